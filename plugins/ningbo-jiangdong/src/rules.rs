//! Ningbo Jiangdong District's rules as plain functions of the configuration
//! and a request, free of WebAssembly glue and tested natively: the catalogue
//! and pricing here, the configuration document in [`config`], insurance
//! adjudication in [`insurance`], capitation settlement in [`incentive`].
//!
//! Source: 杜丽君, 水黎明, 林伟良, 《宁波市江东区家庭医生制度下签约服务模式的实践与
//! 探索》 (中华健康管理学杂志 2013) and the Ningbo documents bundled with it
//! (seed 003). Jiangdong's family doctors serve six key populations — the
//! elderly, women, children, chronic-disease, mental-illness and disabled
//! patients — through five flows: health information (checkups), a yearly
//! health and risk assessment with a personal health plan, classified
//! intervention, case management of hypertension, diabetes, mental illness
//! and disability, and special-needs home care for empty-nest and immobile
//! elderly. The seed gives no prices: list prices and who pays them are the
//! configuration's (`config.json`), with this plugin's defaults.
//!
//! Money is integer fen; shares are rounded half up to the fen
//! ([`percent_of`]) and the last share of a total is the remainder.

use std::fmt;

use county_kit::calendar::is_real_day;
// Shares are rounded half up to the fen, as every county's are.
pub use county_kit::money::percent_of;

pub mod config;
pub mod incentive;
pub mod insurance;

pub use config::Config;

use crate::exports::qianyue::county::pricing::{PriceRequest, Quote};
use crate::qianyue::county::types::{Date, Item, Package, PackageKind, PopulationTags, Refusal, ResidentFacts, Sex};

pub const COUNTY_CODE: &str = "330204";
pub const COUNTY_NAME: &str = "宁波市江东区";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The seed describes Jiangdong's contract model as practised in 2012–2014;
/// no later document changes it, so the rules stay open-ended.
pub const FIRST_PERIOD: u16 = 2014;
pub const LAST_PERIOD: Option<u16> = None;

/// Package codes. `NBJD` (宁波江东) rather than a bare `NB`, because Ningbo's
/// other districts sign under their own rules.
pub const BASIC: &str = "NBJD-JC";
pub const ELDERLY: &str = "NBJD-LN";
pub const CHRONIC: &str = "NBJD-MB";
pub const MENTAL: &str = "NBJD-JS";
pub const DISABLED: &str = "NBJD-CJ";
pub const MATERNAL: &str = "NBJD-YC";
pub const CHILD: &str = "NBJD-ET";
pub const SPECIAL_NEEDS: &str = "NBJD-TX";

/// Every population tag with the names a refusal shows: Chinese for the
/// doctor, the WIT flag name for the record.
const TAG_NAMES: [(PopulationTags, &str, &str); 16] = [
    (PopulationTags::ELDERLY, "65岁及以上老年人", "elderly"),
    (PopulationTags::CHILD, "0–6岁儿童", "child"),
    (PopulationTags::KINDERGARTEN, "入园儿童", "kindergarten"),
    (PopulationTags::MATERNAL, "孕产妇", "maternal"),
    (PopulationTags::HYPERTENSION, "高血压患者", "hypertension"),
    (PopulationTags::DIABETES, "2型糖尿病患者", "diabetes"),
    (PopulationTags::TUBERCULOSIS, "肺结核患者", "tuberculosis"),
    (PopulationTags::SEVERE_MENTAL_DISORDER, "严重精神障碍患者", "severe-mental-disorder"),
    (PopulationTags::DISABLED, "残疾人", "disabled"),
    (PopulationTags::COPD, "慢阻肺患者", "copd"),
    (PopulationTags::STROKE, "脑卒中患者", "stroke"),
    (PopulationTags::TUMOUR, "肿瘤患者", "tumour"),
    (PopulationTags::REGISTERED_POOR, "建档立卡贫困人口", "registered-poor"),
    (PopulationTags::LIFTED_OUT_OF_POVERTY, "脱贫户", "lifted-out-of-poverty"),
    (PopulationTags::POVERTY_MONITORING, "监测户", "poverty-monitoring"),
    (PopulationTags::SPECIAL_FAMILY_PLANNING, "计生特殊家庭", "special-family-planning"),
];

/// One service item (服务项目) as the catalogue table writes it.
pub struct ItemSpec {
    pub code: &'static str,
    pub name: &'static str,
    pub times_per_year: u32,
}

/// A package without its price and payers, which are the configuration's.
pub struct PackageSpec {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: PackageKind,
    /// Residents with any of these tags may sign; empty means everyone.
    pub target_groups: PopulationTags,
    /// A package for one sex only (孕产妇 are women), checked after the tags
    /// because the WIT's `target-groups` cannot say it.
    pub sex: Option<Sex>,
    pub items: &'static [ItemSpec],
}

const fn item(code: &'static str, name: &'static str, times_per_year: u32) -> ItemSpec {
    ItemSpec { code, name, times_per_year }
}

/// A key-population package (重点人群约定服务), bundled with the basic one.
const fn personalised(
    code: &'static str,
    name: &'static str,
    target_groups: PopulationTags,
    items: &'static [ItemSpec],
) -> PackageSpec {
    PackageSpec { code, name, kind: PackageKind::Personalised, target_groups, sex: None, items }
}

/// Jiangdong's catalogue. Counts marked "seed" are the seed's; "national"
/// are the national protocols of domain.md or the national basic
/// public-health service standard (国家基本公共卫生服务规范) the seed's
/// key-population follow-ups follow; the rest are this plugin's defaults
/// where the seed names a service without its frequency.
pub static CATALOGUE: &[PackageSpec] = &[
    // Flows 1–3 of the seed, for every signed resident.
    PackageSpec {
        code: BASIC,
        name: "基础健康管理包",
        kind: PackageKind::Basic,
        target_groups: PopulationTags::empty(),
        sex: None,
        items: &[
            item("health-record", "建立规范化健康档案", 1),     // seed
            item("health-assessment", "健康及疾病风险评估", 1), // seed: 每年1次
            item("health-plan", "个性化健康规划", 1),           // seed: with the assessment
            item("health-intervention", "分类健康干预", 1),     // default
        ],
    },
    personalised(
        ELDERLY,
        "老年人健康管理包",
        PopulationTags::ELDERLY,
        &[
            item("elderly-checkup", "老年人周期性健康体检", 1), // seed flow 1, national: yearly
            item("tcm-constitution", "中医体质辨识", 1),        // seed (移动随访包), national: yearly
            item("follow-up", "面对面随访", 1),                 // national: at least one
        ],
    ),
    // Seed flow 4: case management (专案管理) of hypertension and diabetes.
    personalised(
        CHRONIC,
        "慢性病专案管理包",
        PopulationTags::HYPERTENSION.union(PopulationTags::DIABETES),
        &[
            item("follow-up", "面对面随访", 4),         // national: 4 a year
            item("blood-pressure", "血压测量", 4),      // default: at each follow-up
            item("fasting-glucose", "空腹血糖检测", 4), // national: 4 free tests a year
            item("blood-lipid", "快速血脂检测", 1),     // seed (移动随访包), default count
        ],
    ),
    personalised(
        MENTAL,
        "严重精神障碍专案管理包",
        PopulationTags::SEVERE_MENTAL_DISORDER,
        &[
            item("follow-up", "随访及危险性评估", 4), // national: at least 4, each assessed
            item("medication-guidance", "合理用药指导", 4), // seed names it; default: each follow-up
        ],
    ),
    personalised(
        DISABLED,
        "残疾人专案管理包",
        PopulationTags::DISABLED,
        &[
            item("follow-up", "面对面随访", 1),             // default
            item("rehabilitation-guidance", "康复指导", 4), // default
        ],
    ),
    PackageSpec {
        code: MATERNAL,
        name: "孕产妇健康管理包",
        kind: PackageKind::Personalised,
        target_groups: PopulationTags::MATERNAL,
        sex: Some(Sex::Female),
        items: &[
            item("prenatal-check", "孕期健康检查", 5),       // national: 5 in pregnancy
            item("postpartum-visit", "产后访视", 1),         // national
            item("postpartum-check", "产后42天健康检查", 1), // national
        ],
    },
    personalised(
        CHILD,
        "儿童健康管理包",
        PopulationTags::CHILD,
        &[
            item("child-health-check", "儿童健康检查", 2), // default (national: 2 a year at 1–3)
            item("tcm-child-care", "中医药健康指导", 2),   // national: every 6 months to 3 years
        ],
    ),
    // Seed flow 5: special-needs care for empty-nest and immobile elderly.
    // The WIT has no tag for either, so the package is open to the elderly
    // and the disabled and the doctor judges the need.
    personalised(
        SPECIAL_NEEDS,
        "特需医疗服务包",
        PopulationTags::ELDERLY.union(PopulationTags::DISABLED),
        &[
            item("home-visit", "上门访视", 4),        // seed names it; default count
            item("home-consultation", "家庭出诊", 2), // seed names it; default count
        ],
    ),
];

pub fn find(code: &str) -> Option<&'static PackageSpec> {
    CATALOGUE.iter().find(|package| package.code == code)
}

pub(crate) fn known(code: &str) -> Result<&'static PackageSpec, Refusal> {
    find(code).ok_or_else(|| Refusal::UnknownPackage(code.to_string()))
}

/// The catalogue priced by the configuration, as the WIT describes it.
pub fn packages(config: &Config) -> Vec<Package> {
    CATALOGUE
        .iter()
        .map(|spec| Package {
            code: spec.code.to_string(),
            name: spec.name.to_string(),
            kind: spec.kind,
            target_groups: spec.target_groups,
            bundled_with: match spec.kind {
                PackageKind::Basic => None,
                PackageKind::Personalised => Some(BASIC.to_string()),
            },
            items: spec
                .items
                .iter()
                .map(|i| Item {
                    code: i.code.to_string(),
                    name: i.name.to_string(),
                    times_per_year: i.times_per_year,
                    // The seed sets no price cap on any item.
                    price_cap: None,
                })
                .collect(),
            list_price: config.terms(spec.code).map_or(0, |terms| terms.list_price),
        })
        .collect()
}

/// Every signed resident gets the one basic package: the seed's health
/// record, yearly assessment and plan are for everyone, and the
/// key-population services are the personalised packages on top, so no
/// population group can get a missing or wrong basic package.
pub fn basic_package(_resident: &ResidentFacts) -> Result<String, Refusal> {
    Ok(BASIC.to_string())
}

fn group_names(tags: PopulationTags) -> (String, String) {
    let named = TAG_NAMES.iter().filter(|(flag, _, _)| tags.contains(*flag));
    let zh: Vec<&str> = named.clone().map(|(_, zh, _)| *zh).collect();
    let en: Vec<&str> = named.map(|(_, _, en)| *en).collect();
    (zh.join("、"), en.join(", "))
}

/// May this resident sign this package? One of its target tags, and the
/// right sex where the package has one.
pub fn eligible(code: &str, resident: &ResidentFacts) -> Result<&'static PackageSpec, Refusal> {
    let package = known(code)?;
    if !package.target_groups.is_empty() && !package.target_groups.intersects(resident.tags) {
        let (zh, en) = group_names(package.target_groups);
        return Err(Refusal::NotEligible(format!(
            "{}仅面向{zh} ({} is only for residents tagged {en})",
            package.name, package.code
        )));
    }
    if package.sex.is_some_and(|sex| sex != resident.sex) {
        return Err(Refusal::NotEligible(format!("{}仅面向女性 ({} is only for women)", package.name, package.code)));
    }
    Ok(package)
}

/// A date as the reasons and refusals show it.
pub(crate) struct Day<'a>(pub &'a Date);

impl fmt::Display for Day<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0.year, self.0.month, self.0.day)
    }
}

/// A real day in the periods these rules apply to, so that a year before
/// Jiangdong's model is never priced by it.
pub(crate) fn check_date(date: &Date) -> Result<(), Refusal> {
    if !is_real_day(date.year, date.month, date.day) {
        return Err(Refusal::InvalidRequest(format!("日期无效 (invalid date): {}", Day(date))));
    }
    check_period(date.year, &Day(date).to_string())
}

pub(crate) fn check_period(year: u16, shown: &str) -> Result<(), Refusal> {
    if year < FIRST_PERIOD || LAST_PERIOD.is_some_and(|last| year > last) {
        return Err(Refusal::InvalidRequest(format!(
            "{shown} 不在本插件适用的服务年度内 (not in the periods these rules apply to, {FIRST_PERIOD} on)"
        )));
    }
    Ok(())
}

/// Who may pay a package, in the order its shares are computed, and what
/// the rule says when one of them pays it all.
const PAYERS: [&str; 3] = ["基本公共卫生服务经费", "医保基金", "个人自付"];
const WHOLLY: [&str; 3] = ["全部由基本公共卫生服务经费支付", "全部由医保基金支付", "全部由个人自付"];

/// Price one package for one resident: the code first, then the date, then
/// eligibility. The list price is split by the configured percentages:
/// every payer but the last one with a share is rounded half up and the
/// last takes the remainder, so the three always add up to the list price.
pub fn price(config: &Config, request: &PriceRequest) -> Result<Quote, Refusal> {
    let package = known(&request.package_code)?;
    check_date(&request.starts_on)?;
    eligible(package.code, &request.resident)?;
    // Every catalogue code has terms once the configuration is accepted.
    let terms = config.terms(package.code).ok_or_else(|| Refusal::UnknownPackage(package.code.to_string()))?;
    let list = terms.list_price;
    let percents = [
        terms.public_health_percent,
        terms.insurance_percent,
        100 - terms.public_health_percent - terms.insurance_percent,
    ];
    let last = percents.iter().rposition(|percent| *percent > 0).unwrap_or(2);

    let mut amounts = [0_i64; 3];
    let mut parts = Vec::new();
    for (i, percent) in percents.iter().enumerate().filter(|(_, percent)| **percent > 0) {
        if i == last {
            amounts[i] = list - amounts.iter().sum::<i64>();
            let taken: String = amounts[..i].iter().filter(|a| **a > 0).map(|a| format!(" − {a}")).collect();
            parts.push(format!("{} {list}{taken} = {} 分", PAYERS[i], amounts[i]));
        } else {
            amounts[i] = percent_of(list, *percent);
            parts.push(format!("{} {list} × {percent}% = {} 分", PAYERS[i], amounts[i]));
        }
    }
    let rule = if parts.len() == 1 {
        format!("{} {list} 分: {}", package.name, WHOLLY[last])
    } else {
        format!("{} {list} 分: {}", package.name, parts.join(", "))
    };
    Ok(Quote {
        list_price: list,
        adjustments: Vec::new(),
        public_health_fund: amounts[0],
        insurance_fund: amounts[1],
        self_pay: amounts[2],
        rule,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn shipped() -> Config {
        Config::parse(include_str!("../config.json")).unwrap()
    }

    pub(crate) fn resident(age: u8, sex: Sex, tags: PopulationTags) -> ResidentFacts {
        ResidentFacts { age, sex, tags }
    }

    fn request(code: &str, tags: PopulationTags) -> PriceRequest {
        PriceRequest {
            package_code: code.to_string(),
            resident: resident(40, Sex::Female, tags),
            starts_on: Date { year: 2015, month: 1, day: 1 },
        }
    }

    /// The shipped configuration with other terms for one package.
    fn with_terms(code: &str, list_price: i64, public_health_percent: i64, insurance_percent: i64) -> Config {
        let mut config = shipped();
        let terms = config::PackageTerms { list_price, public_health_percent, insurance_percent };
        config.packages.insert(code.to_string(), terms);
        config
    }

    fn split(quote: &Quote) -> (i64, i64, i64) {
        (quote.public_health_fund, quote.insurance_fund, quote.self_pay)
    }

    #[test]
    fn basic_package_is_paid_by_the_public_health_fund() {
        let quote = price(&shipped(), &request(BASIC, PopulationTags::empty())).unwrap();
        assert_eq!((quote.list_price, split(&quote)), (1000, (1000, 0, 0)));
        assert_eq!(quote.rule, "基础健康管理包 1000 分: 全部由基本公共卫生服务经费支付");
        assert!(quote.adjustments.is_empty());
    }

    #[test]
    fn key_population_packages_are_shared_by_insurance_and_resident() {
        let quote = price(&shipped(), &request(ELDERLY, PopulationTags::ELDERLY)).unwrap();
        assert_eq!(split(&quote), (0, 6000, 6000));
        assert_eq!(
            quote.rule,
            "老年人健康管理包 12000 分: 医保基金 12000 × 50% = 6000 分, 个人自付 12000 − 6000 = 6000 分"
        );
    }

    #[test]
    fn special_needs_is_wholly_self_paid() {
        let quote = price(&shipped(), &request(SPECIAL_NEEDS, PopulationTags::DISABLED)).unwrap();
        assert_eq!(split(&quote), (0, 0, 30000));
        assert_eq!(quote.rule, "特需医疗服务包 30000 分: 全部由个人自付");
    }

    #[test]
    fn three_payers_round_half_up_and_the_resident_takes_the_remainder() {
        // 1005 × 30% = 301.5 → 302; 1005 × 50% = 502.5 → 503; 1005 − 302 − 503 = 200.
        let quote = price(&with_terms(CHRONIC, 1005, 30, 50), &request(CHRONIC, PopulationTags::DIABETES)).unwrap();
        assert_eq!(split(&quote), (302, 503, 200));
        assert_eq!(
            quote.rule,
            "慢性病专案管理包 1005 分: 基本公共卫生服务经费 1005 × 30% = 302 分, 医保基金 1005 × 50% = 503 分, 个人自付 1005 − 302 − 503 = 200 分"
        );
        // When the funds pay it all, the insurance fund takes the remainder:
        // 1005 × 50% = 503, and 1005 − 503 = 502 rather than another 503.
        let quote = price(&with_terms(CHRONIC, 1005, 50, 50), &request(CHRONIC, PopulationTags::DIABETES)).unwrap();
        assert_eq!(split(&quote), (503, 502, 0));
        assert_eq!(
            quote.rule,
            "慢性病专案管理包 1005 分: 基本公共卫生服务经费 1005 × 50% = 503 分, 医保基金 1005 − 503 = 502 分"
        );
    }

    #[test]
    fn every_split_adds_up_to_the_list_price() {
        for list in [0, 1, 2, 3, 99, 1005, 2011, 9999, config::MAX_FEN] {
            for public in [0, 1, 30, 49, 50, 99, 100] {
                for insurance in [0, 1, 33, 49, 50, 51, 99, 100] {
                    if public + insurance > 100 {
                        continue;
                    }
                    let config = with_terms(CHRONIC, list, public, insurance);
                    let quote = price(&config, &request(CHRONIC, PopulationTags::HYPERTENSION)).unwrap();
                    let (a, b, c) = split(&quote);
                    assert!(a >= 0 && b >= 0 && c >= 0, "{list} {public} {insurance}: {quote:?}");
                    assert_eq!(a + b + c, list, "{list} {public} {insurance}");
                    assert_eq!(a, percent_of(list, public).min(list), "{list} {public} {insurance}");
                }
            }
        }
    }

    #[test]
    fn eligibility_follows_the_target_groups() {
        let config = shipped();
        let cases = [
            (ELDERLY, PopulationTags::ELDERLY),
            (CHRONIC, PopulationTags::HYPERTENSION),
            (CHRONIC, PopulationTags::DIABETES),
            (MENTAL, PopulationTags::SEVERE_MENTAL_DISORDER),
            (DISABLED, PopulationTags::DISABLED),
            (MATERNAL, PopulationTags::MATERNAL),
            (CHILD, PopulationTags::CHILD),
            (SPECIAL_NEEDS, PopulationTags::ELDERLY),
            (SPECIAL_NEEDS, PopulationTags::DISABLED),
        ];
        for (code, tags) in cases {
            assert!(eligible(code, &resident(40, Sex::Female, tags)).is_ok(), "{code}");
            assert!(price(&config, &request(code, tags)).is_ok(), "{code}");
            let others = PopulationTags::all().difference(find(code).unwrap().target_groups);
            let refused = eligible(code, &resident(40, Sex::Female, others)).map(|_| ());
            assert!(matches!(refused, Err(Refusal::NotEligible(ref m)) if m.contains(code)), "{code}: {refused:?}");
        }
        assert!(eligible(BASIC, &resident(30, Sex::Male, PopulationTags::empty())).is_ok());
    }

    #[test]
    fn not_eligible_reasons_name_the_groups_and_the_sex() {
        let refusal = |code, sex, tags| eligible(code, &resident(50, sex, tags)).map(|_| ()).unwrap_err();
        assert_eq!(
            refusal(CHRONIC, Sex::Male, PopulationTags::COPD),
            Refusal::NotEligible(
                "慢性病专案管理包仅面向高血压患者、2型糖尿病患者 (NBJD-MB is only for residents tagged hypertension, diabetes)"
                    .into()
            )
        );
        assert_eq!(
            refusal(MATERNAL, Sex::Male, PopulationTags::MATERNAL),
            Refusal::NotEligible("孕产妇健康管理包仅面向女性 (NBJD-YC is only for women)".into())
        );
    }

    #[test]
    fn everyone_gets_the_one_basic_package() {
        for tags in
            [PopulationTags::empty(), PopulationTags::ELDERLY | PopulationTags::HYPERTENSION, PopulationTags::all()]
        {
            assert_eq!(basic_package(&resident(70, Sex::Male, tags)), Ok(BASIC.to_string()));
        }
    }

    #[test]
    fn unknown_codes_and_bad_dates_are_refused_in_order() {
        let config = shipped();
        let unknown = Refusal::UnknownPackage("NBJD-XX".into());
        assert_eq!(
            eligible("NBJD-XX", &resident(40, Sex::Male, PopulationTags::empty())).map(|_| ()),
            Err(unknown.clone())
        );
        let mut r = request("NBJD-XX", PopulationTags::empty());
        r.starts_on = Date { year: 2013, month: 1, day: 1 };
        assert_eq!(price(&config, &r), Err(unknown), "the code is named before the date");
        let on = |year, month, day| PriceRequest {
            starts_on: Date { year, month, day },
            ..request(BASIC, PopulationTags::empty())
        };
        assert!(price(&config, &on(2014, 1, 1)).is_ok());
        assert!(price(&config, &on(2016, 2, 29)).is_ok());
        for (r, message) in [
            (
                on(2013, 12, 31),
                "2013-12-31 不在本插件适用的服务年度内 (not in the periods these rules apply to, 2014 on)",
            ),
            (on(2015, 2, 29), "日期无效 (invalid date): 2015-02-29"),
            (on(2015, 13, 1), "日期无效 (invalid date): 2015-13-01"),
            (on(2015, 6, 31), "日期无效 (invalid date): 2015-06-31"),
            (on(2015, 1, 0), "日期无效 (invalid date): 2015-01-00"),
        ] {
            assert_eq!(price(&config, &r), Err(Refusal::InvalidRequest(message.into())));
        }
        // Eligibility is checked after the date.
        let mut r = request(ELDERLY, PopulationTags::empty());
        r.starts_on = Date { year: 2013, month: 1, day: 1 };
        assert!(matches!(price(&config, &r), Err(Refusal::InvalidRequest(_))));
    }

    #[test]
    fn catalogue_is_as_documented() {
        let codes: Vec<_> = CATALOGUE.iter().map(|p| p.code).collect();
        assert_eq!(codes, [BASIC, ELDERLY, CHRONIC, MENTAL, DISABLED, MATERNAL, CHILD, SPECIAL_NEEDS]);
        for (i, a) in CATALOGUE.iter().enumerate() {
            assert!(a.code.starts_with("NBJD-"));
            assert!(!a.items.is_empty() && a.items.iter().all(|i| i.times_per_year > 0), "{}", a.code);
            assert!(CATALOGUE[i + 1..].iter().all(|b| b.code != a.code));
            for (j, x) in a.items.iter().enumerate() {
                assert!(a.items[j + 1..].iter().all(|y| y.code != x.code), "{}", a.code);
            }
            assert_eq!(a.kind == PackageKind::Basic, a.code == BASIC);
        }
        let listed = packages(&shipped());
        assert_eq!(listed.len(), CATALOGUE.len());
        assert!(listed.iter().all(|p| (p.bundled_with.is_none()) == (p.code == BASIC)));
        assert_eq!(
            listed.iter().map(|p| p.list_price).collect::<Vec<_>>(),
            [1000, 12000, 15000, 10000, 10000, 12000, 10000, 30000]
        );
    }

    #[test]
    fn every_tag_has_its_names() {
        let all = TAG_NAMES.iter().fold(PopulationTags::empty(), |tags, (flag, _, _)| tags | *flag);
        assert_eq!(all, PopulationTags::all());
    }
}
