//! Pei County's rules, free of any WebAssembly glue so that they can be
//! tested natively with `cargo test`: the catalogue and pricing here, the
//! configuration document in [`config`], insurance adjudication in
//! [`insurance`] and team incentives in [`incentive`].
//!
//! Sources: the county's family-doctor contract documents fix the checkup
//! package at 40% of list price (体检包四折), the child-care package at 60% for
//! kindergarten children (入园儿童六折), a 300-yuan rise of signed residents'
//! outpatient cap, a 10% top-up for the stroke rehabilitation package, 15 yuan
//! a signing of the pregnancy and elderly-care packages, and the 10-yuan
//! per-capita public-health subsidy for signing work. Those numbers, and this
//! plugin's defaults for everything the documents leave out, live in the
//! configuration document (`config.json`), not here.

use std::fmt;

use county_kit::calendar::is_real_day;
// Shares are rounded half up to the fen, as every county's are.
pub(crate) use county_kit::money::percent_of;

pub mod config;
pub mod incentive;
pub mod insurance;

pub use config::Config;

/// Who this plugin is.
pub struct Info {
    pub county_code: &'static str,
    pub county_name: &'static str,
    pub version: &'static str,
    /// The first service year the rules apply to: family-doctor signing
    /// began in 2016.
    pub first_period: u16,
    /// The last, or `None` while the rules stay in force.
    pub last_period: Option<u16>,
}

pub const INFO: Info =
    Info { county_code: "320322", county_name: "沛县", version: "2024.1.1", first_period: 2016, last_period: None };

/// A population tag, one per flag of the WIT `population-tags`, so that the
/// glue converts without losing any tag a future rule might need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    Elderly,
    Child,
    Kindergarten,
    Maternal,
    Hypertension,
    Diabetes,
    Tuberculosis,
    SevereMentalDisorder,
    Disabled,
    Copd,
    Stroke,
    Tumour,
    RegisteredPoor,
    LiftedOutOfPoverty,
    PovertyMonitoring,
    SpecialFamilyPlanning,
}

impl Tag {
    pub const ALL: [Tag; 16] = [
        Tag::Elderly,
        Tag::Child,
        Tag::Kindergarten,
        Tag::Maternal,
        Tag::Hypertension,
        Tag::Diabetes,
        Tag::Tuberculosis,
        Tag::SevereMentalDisorder,
        Tag::Disabled,
        Tag::Copd,
        Tag::Stroke,
        Tag::Tumour,
        Tag::RegisteredPoor,
        Tag::LiftedOutOfPoverty,
        Tag::PovertyMonitoring,
        Tag::SpecialFamilyPlanning,
    ];

    const fn bit(self) -> u32 {
        1 << (self as u32)
    }

    fn zh(self) -> &'static str {
        match self {
            Tag::Elderly => "65岁及以上老年人",
            Tag::Child => "0–6岁儿童",
            Tag::Kindergarten => "入园儿童",
            Tag::Maternal => "孕产妇",
            Tag::Hypertension => "高血压患者",
            Tag::Diabetes => "2型糖尿病患者",
            Tag::Tuberculosis => "肺结核患者",
            Tag::SevereMentalDisorder => "严重精神障碍患者",
            Tag::Disabled => "残疾人",
            Tag::Copd => "慢阻肺患者",
            Tag::Stroke => "脑卒中患者",
            Tag::Tumour => "肿瘤患者",
            Tag::RegisteredPoor => "建档立卡贫困人口",
            Tag::LiftedOutOfPoverty => "脱贫户",
            Tag::PovertyMonitoring => "监测户",
            Tag::SpecialFamilyPlanning => "计生特殊家庭",
        }
    }

    /// The WIT flag name, as the not-eligible messages show it.
    pub fn en(self) -> &'static str {
        match self {
            Tag::Elderly => "elderly",
            Tag::Child => "child",
            Tag::Kindergarten => "kindergarten",
            Tag::Maternal => "maternal",
            Tag::Hypertension => "hypertension",
            Tag::Diabetes => "diabetes",
            Tag::Tuberculosis => "tuberculosis",
            Tag::SevereMentalDisorder => "severe-mental-disorder",
            Tag::Disabled => "disabled",
            Tag::Copd => "copd",
            Tag::Stroke => "stroke",
            Tag::Tumour => "tumour",
            Tag::RegisteredPoor => "registered-poor",
            Tag::LiftedOutOfPoverty => "lifted-out-of-poverty",
            Tag::PovertyMonitoring => "poverty-monitoring",
            Tag::SpecialFamilyPlanning => "special-family-planning",
        }
    }
}

/// A set of population tags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tags(u32);

impl Tags {
    pub const EMPTY: Tags = Tags(0);

    /// `const` so that the catalogue can be a static table.
    pub const fn of(tags: &[Tag]) -> Tags {
        let mut bits = 0;
        let mut i = 0;
        while i < tags.len() {
            bits |= tags[i].bit();
            i += 1;
        }
        Tags(bits)
    }

    pub fn with(self, tag: Tag) -> Tags {
        Tags(self.0 | tag.bit())
    }

    pub fn contains(self, tag: Tag) -> bool {
        self.0 & tag.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn intersects(self, other: Tags) -> bool {
        self.0 & other.0 != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Tag> {
        Tag::ALL.into_iter().filter(move |tag| self.contains(*tag))
    }
}

/// Sex as recorded in the citizen ID. No Pei rule depends on it; it is kept
/// so that the glue loses nothing a future rule might need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

/// What the kernel tells the plugin about a resident (居民): never who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resident {
    pub age: u8,
    pub sex: Sex,
    pub tags: Tags,
}

/// A calendar day as the kernel sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Why the plugin gives no answer: a business answer shown to the doctor or
/// clerk, one variant per WIT `refusal` case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    UnknownPackage(String),
    NotEligible(String),
    InvalidRequest(String),
}

/// What every call but `info` answers before a configuration was accepted.
pub fn not_configured() -> Refusal {
    Refusal::InvalidRequest("not configured".to_string())
}

/// A day the rules can answer for: a real date in a period the plugin
/// applies to (2016 on), so that an old contract is never priced by today's
/// numbers.
pub(crate) fn check_date(date: Date) -> Result<(), Refusal> {
    if !is_real_day(date.year, date.month, date.day) {
        return Err(Refusal::InvalidRequest(format!("日期无效 (invalid date): {date}")));
    }
    check_period(date.year, &date.to_string())
}

pub(crate) fn check_period(year: u16, shown: &str) -> Result<(), Refusal> {
    let first = INFO.first_period;
    let after_last = INFO.last_period.is_some_and(|last| year > last);
    if year < first || after_last {
        return Err(Refusal::InvalidRequest(format!(
            "{shown} 不在本插件适用的服务年度内 (not in the periods these rules apply to, {first} on)"
        )));
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Basic,
    Personalised,
}

pub struct Item {
    pub code: &'static str,
    pub name: &'static str,
    pub times_per_year: u32,
    /// Price cap of one delivery (价格上限), fen; the documents give none.
    pub price_cap: Option<i64>,
}

/// A package without its price: list prices come from the configuration.
pub struct Package {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: Kind,
    pub target_groups: Tags,
    pub bundled_with: Option<&'static str>,
    pub items: &'static [Item],
}

const fn item(code: &'static str, name: &'static str, times_per_year: u32) -> Item {
    Item { code, name, times_per_year, price_cap: None }
}

const fn personalised(code: &'static str, name: &'static str, target_groups: Tags, items: &'static [Item]) -> Package {
    Package { code, name, kind: Kind::Personalised, target_groups, bundled_with: Some(BASIC), items }
}

/// Pei's one basic package (公卫包), the same for every population group.
pub const BASIC: &str = "PEI-GW";
pub const PREGNANCY: &str = "PEI-YY";
pub const CHILD_CARE: &str = "PEI-ET";
pub const ELDERLY_CARE: &str = "PEI-LN";
pub const CHECKUP: &str = "PEI-TJ";
pub const STROKE_REHAB: &str = "PEI-NZ";

/// Pei's packages: the seven types of the county's documents plus the stroke
/// rehabilitation package. The items and their yearly counts are
/// illustrative; the documents list the packages, not their contents.
pub static CATALOGUE: &[Package] = &[
    Package {
        code: BASIC,
        name: "公卫包",
        kind: Kind::Basic,
        target_groups: Tags::EMPTY,
        bundled_with: None,
        items: &[
            item("health-record", "健康档案", 1),
            item("health-assessment", "健康评估", 1),
            item("health-education", "健康教育", 4),
            item("tcm-health-management", "中医药健康管理", 1),
        ],
    },
    personalised(
        PREGNANCY,
        "优孕优育包",
        Tags::of(&[Tag::Maternal]),
        &[item("prenatal-check", "产前检查", 5), item("postpartum-visit", "产后访视", 2)],
    ),
    personalised(
        CHILD_CARE,
        "儿童保健包",
        Tags::of(&[Tag::Child]),
        &[item("child-health-check", "儿童健康检查", 4), item("growth-assessment", "生长发育评估", 2)],
    ),
    personalised(
        ELDERLY_CARE,
        "老年保健包",
        Tags::of(&[Tag::Elderly]),
        &[item("elderly-checkup", "老年人健康体检", 1), item("follow-up", "面对面随访", 4)],
    ),
    personalised(
        "PEI-MB",
        "慢病服务包",
        Tags::of(&[Tag::Hypertension, Tag::Diabetes, Tag::Copd, Tag::Stroke, Tag::Tumour]),
        &[
            item("fasting-glucose", "空腹血糖检测", 4),
            item("blood-pressure", "血压测量", 4),
            item("follow-up", "面对面随访", 4),
        ],
    ),
    personalised(CHECKUP, "健康体检包", Tags::EMPTY, &[item("checkup", "健康体检", 1)]),
    personalised(
        "PEI-TX",
        "特需服务包",
        Tags::EMPTY,
        &[item("home-visit", "上门服务", 4), item("specialist-appointment", "预约专家门诊", 2)],
    ),
    personalised(
        STROKE_REHAB,
        "脑卒中康复包",
        Tags::of(&[Tag::Stroke]),
        &[item("rehabilitation-guidance", "康复训练指导", 12), item("home-follow-up", "上门随访", 4)],
    ),
];

pub fn find(code: &str) -> Option<&'static Package> {
    CATALOGUE.iter().find(|package| package.code == code)
}

fn known(code: &str) -> Result<&'static Package, Refusal> {
    find(code).ok_or_else(|| Refusal::UnknownPackage(code.to_string()))
}

fn not_eligible(package: &Package) -> Refusal {
    let zh: Vec<&str> = package.target_groups.iter().map(Tag::zh).collect();
    let en: Vec<&str> = package.target_groups.iter().map(Tag::en).collect();
    Refusal::NotEligible(format!(
        "{}仅面向{} ({} is only for residents tagged {})",
        package.name,
        zh.join("、"),
        package.code,
        en.join(", "),
    ))
}

/// The basic package (基础服务包) for a resident. Pei has one for every
/// population group, so no resident can get a missing or wrong one.
pub fn basic_package(_resident: &Resident) -> Result<String, Refusal> {
    Ok(BASIC.to_string())
}

/// May this resident sign this package? A package with target groups is for
/// residents with at least one of them; one without is for everyone.
pub fn eligible(package_code: &str, resident: &Resident) -> Result<&'static Package, Refusal> {
    let package = known(package_code)?;
    if !package.target_groups.is_empty() && !package.target_groups.intersects(resident.tags) {
        return Err(not_eligible(package));
    }
    Ok(package)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceRequest {
    pub package_code: String,
    pub resident: Resident,
    pub starts_on: Date,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdjustmentKind {
    /// 折扣
    Discount,
    /// 减免; Pei grants none on its packages (the poor's self-pay is
    /// compensated in insurance adjudication instead).
    Waiver,
}

/// One itemised reduction of the list price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    pub kind: AdjustmentKind,
    pub amount: i64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    pub list_price: i64,
    pub adjustments: Vec<Adjustment>,
    pub public_health_fund: i64,
    pub insurance_fund: i64,
    pub self_pay: i64,
    pub rule: String,
}

/// A package at `percent`% of list, self-paid, its discount itemised. The
/// discount is the difference, not its own percentage, so that rounding
/// cannot make the two disagree with the list price; a discount of nothing
/// is left out, because the WIT wants every adjustment positive.
fn discounted(package: &Package, label: &str, list: i64, percent: i64) -> Quote {
    let price = percent_of(list, percent);
    let discount = list - price;
    let adjustment = Adjustment {
        kind: AdjustmentKind::Discount,
        amount: discount,
        reason: format!("{label}{}优惠: {list} − {price} = {discount} 分", package.name),
    };
    Quote {
        list_price: list,
        adjustments: if discount > 0 { vec![adjustment] } else { Vec::new() },
        public_health_fund: 0,
        insurance_fund: 0,
        self_pay: price,
        rule: format!("{label}{}按标价 {percent}% 收费: {list} × {percent}% = {price} 分", package.name),
    }
}

/// Price one package for one resident: unknown code first, then the date,
/// then eligibility.
pub fn price(config: &Config, request: &PriceRequest) -> Result<Quote, Refusal> {
    let package = known(&request.package_code)?;
    check_date(request.starts_on)?;
    eligible(package.code, &request.resident)?;
    // Every catalogue code has a price once the configuration is accepted.
    let list = config.list_price(package.code).ok_or_else(|| Refusal::UnknownPackage(package.code.to_string()))?;
    let quote = match package.code {
        BASIC => Quote {
            list_price: list,
            adjustments: Vec::new(),
            public_health_fund: list,
            insurance_fund: 0,
            self_pay: 0,
            rule: format!("{}由基本公共卫生服务经费全额支付: {list} 分", package.name),
        },
        CHECKUP => discounted(package, "", list, config.checkup_percent),
        CHILD_CARE if request.resident.tags.contains(Tag::Kindergarten) => {
            discounted(package, "入园儿童", list, config.kindergarten_percent)
        }
        _ => Quote {
            list_price: list,
            adjustments: Vec::new(),
            public_health_fund: 0,
            insurance_fund: 0,
            self_pay: list,
            rule: format!("{}原价, 个人自付: {list} 分", package.name),
        },
    };
    Ok(quote)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn shipped() -> Config {
        Config::parse(include_str!("../config.json")).unwrap()
    }

    /// The shipped configuration with other list prices, for rounding.
    fn with_price(code: &str, list_price: i64) -> Config {
        let mut config = shipped();
        config.list_prices.insert(code.to_string(), list_price);
        config
    }

    fn resident(tags: &[Tag]) -> Resident {
        Resident { age: 40, sex: Sex::Female, tags: Tags::of(tags) }
    }

    const DAY: Date = Date { year: 2025, month: 1, day: 1 };

    fn request(code: &str, tags: &[Tag]) -> PriceRequest {
        PriceRequest { package_code: code.to_string(), resident: resident(tags), starts_on: DAY }
    }

    fn quote_with(config: &Config, code: &str, tags: &[Tag]) -> Quote {
        match price(config, &request(code, tags)) {
            Ok(quote) => quote,
            Err(error) => panic!("{code} for {tags:?}: {error:?}"),
        }
    }

    fn quote(code: &str, tags: &[Tag]) -> Quote {
        quote_with(&shipped(), code, tags)
    }

    fn split(q: &Quote) -> (i64, i64, i64, i64) {
        (q.adjustments.iter().map(|a| a.amount).sum(), q.public_health_fund, q.insurance_fund, q.self_pay)
    }

    fn assert_split(q: &Quote) {
        let (discount, phf, insurance, own) = split(q);
        assert!(q.adjustments.iter().all(|a| a.amount > 0), "{q:?}");
        assert!(phf >= 0 && insurance >= 0 && own >= 0, "{q:?}");
        assert_eq!(phf + insurance + own, q.list_price - discount, "{q:?}");
    }

    /// Tags that make a resident eligible for the package: one of its targets.
    fn eligible_tags(package: &Package) -> Vec<Tag> {
        package.target_groups.iter().take(1).collect()
    }

    #[test]
    fn info_names_pei_and_its_periods() {
        assert_eq!((INFO.county_code, INFO.county_name, INFO.version), ("320322", "沛县", "2024.1.1"));
        assert_eq!((INFO.first_period, INFO.last_period), (2016, None));
        assert_eq!(INFO.version, env!("CARGO_PKG_VERSION"), "Cargo.toml and info agree");
    }

    #[test]
    fn basic_package_is_paid_by_public_health_fund() {
        let q = quote("PEI-GW", &[]);
        assert_eq!((q.list_price, split(&q)), (1000, (0, 1000, 0, 0)));
        assert!(q.adjustments.is_empty());
        assert_eq!(q.rule, "公卫包由基本公共卫生服务经费全额支付: 1000 分");
    }

    #[test]
    fn checkup_package_is_forty_percent() {
        let q = quote("PEI-TJ", &[]);
        assert_eq!((q.list_price, split(&q)), (20000, (12000, 0, 0, 8000)));
        assert_eq!(q.adjustments[0].kind, AdjustmentKind::Discount);
        assert_eq!(q.adjustments[0].reason, "健康体检包优惠: 20000 − 8000 = 12000 分");
        assert_eq!(q.rule, "健康体检包按标价 40% 收费: 20000 × 40% = 8000 分");
    }

    #[test]
    fn checkup_package_rounds_half_up() {
        for (list, price) in [(1005, 402), (1004, 402), (1003, 401), (1, 0), (0, 0)] {
            let q = quote_with(&with_price("PEI-TJ", list), "PEI-TJ", &[]);
            assert_eq!(q.self_pay, price, "{list}");
            assert_eq!(q.adjustments.iter().map(|a| a.amount).sum::<i64>(), list - price, "{list}");
            assert_split(&q);
        }
    }

    #[test]
    fn discount_percent_comes_from_the_configuration() {
        let mut config = shipped();
        config.checkup_percent = 50;
        let q = quote_with(&config, "PEI-TJ", &[]);
        assert_eq!(split(&q), (10000, 0, 0, 10000));
        // No reduction, no adjustment: the WIT wants adjustments positive.
        config.checkup_percent = 100;
        let q = quote_with(&config, "PEI-TJ", &[]);
        assert_eq!((split(&q), q.adjustments.len()), ((0, 0, 0, 20000), 0));
    }

    #[test]
    fn child_care_is_sixty_percent_for_kindergarten_children() {
        let q = quote("PEI-ET", &[Tag::Child, Tag::Kindergarten]);
        assert_eq!(split(&q), (4000, 0, 0, 6000));
        assert_eq!(q.rule, "入园儿童儿童保健包按标价 60% 收费: 10000 × 60% = 6000 分");
    }

    #[test]
    fn child_care_rounds_half_up() {
        for (list, price) in [(1005, 603), (1003, 602), (1002, 601), (1, 1)] {
            let q = quote_with(&with_price("PEI-ET", list), "PEI-ET", &[Tag::Child, Tag::Kindergarten]);
            assert_eq!((q.self_pay, list - q.self_pay), (price, list - price), "{list}");
            assert_split(&q);
        }
    }

    #[test]
    fn child_care_is_full_price_outside_kindergarten() {
        let q = quote("PEI-ET", &[Tag::Child]);
        assert_eq!(split(&q), (0, 0, 0, 10000));
        assert!(q.adjustments.is_empty());
    }

    #[test]
    fn other_personalised_packages_are_full_price_self_paid() {
        let config = shipped();
        for code in ["PEI-YY", "PEI-LN", "PEI-MB", "PEI-TX", "PEI-NZ"] {
            let package = find(code).unwrap();
            let list = config.list_price(code).unwrap();
            let q = quote(code, &eligible_tags(package));
            assert_eq!((q.list_price, split(&q)), (list, (0, 0, 0, list)), "{code}");
            assert_eq!(q.rule, format!("{}原价, 个人自付: {list} 分", package.name));
        }
    }

    #[test]
    fn every_package_quote_splits_exactly() {
        for package in CATALOGUE {
            for list in [0, 1, 5, 1005, 9999, config::MAX_FEN] {
                let config = with_price(package.code, list);
                for tags in [eligible_tags(package), Tag::ALL.to_vec()] {
                    let q = quote_with(&config, package.code, &tags);
                    assert_eq!(q.list_price, list);
                    assert_split(&q);
                }
            }
        }
    }

    #[test]
    fn residents_outside_the_target_groups_are_not_eligible() {
        let cases: [(&str, &[Tag]); 5] = [
            ("PEI-YY", &[Tag::Elderly]),
            ("PEI-ET", &[Tag::Kindergarten]),
            ("PEI-LN", &[Tag::Child]),
            ("PEI-MB", &[Tag::Tuberculosis, Tag::Elderly]),
            ("PEI-NZ", &[Tag::Hypertension]),
        ];
        for (code, tags) in cases {
            let priced = price(&shipped(), &request(code, tags));
            let checked = eligible(code, &resident(tags)).map(|_| ());
            match (priced, checked) {
                (Err(Refusal::NotEligible(a)), Err(Refusal::NotEligible(b))) => {
                    assert!(a.contains(code), "{a}");
                    assert_eq!(a, b);
                }
                other => panic!("{code} for {tags:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn not_eligible_reason_names_the_groups() {
        assert_eq!(
            eligible("PEI-NZ", &resident(&[])).map(|_| ()),
            Err(Refusal::NotEligible(
                "脑卒中康复包仅面向脑卒中患者 (PEI-NZ is only for residents tagged stroke)".to_string()
            ))
        );
    }

    #[test]
    fn packages_for_everyone_need_no_tag() {
        for code in ["PEI-GW", "PEI-TJ", "PEI-TX"] {
            assert!(eligible(code, &resident(&[])).is_ok(), "{code}");
            assert!(price(&shipped(), &request(code, &[])).is_ok(), "{code}");
        }
    }

    #[test]
    fn everyone_gets_the_one_basic_package() {
        for tags in [vec![], vec![Tag::Elderly, Tag::Hypertension], vec![Tag::Child], Tag::ALL.to_vec()] {
            assert_eq!(basic_package(&resident(&tags)), Ok("PEI-GW".to_string()));
        }
    }

    #[test]
    fn unknown_package_is_refused() {
        let unknown = Refusal::UnknownPackage("PEI-XX".to_string());
        assert_eq!(price(&shipped(), &request("PEI-XX", &[])), Err(unknown.clone()));
        assert_eq!(eligible("PEI-XX", &resident(&[])).map(|_| ()), Err(unknown));
    }

    #[test]
    fn dates_outside_the_periods_are_invalid_requests() {
        let config = shipped();
        let on = |year, month, day| PriceRequest { starts_on: Date { year, month, day }, ..request("PEI-TJ", &[]) };
        assert!(price(&config, &on(2016, 1, 1)).is_ok());
        assert!(price(&config, &on(2024, 2, 29)).is_ok());
        for (date, message) in [
            (
                on(2015, 12, 31),
                "2015-12-31 不在本插件适用的服务年度内 (not in the periods these rules apply to, 2016 on)",
            ),
            (on(2023, 2, 29), "日期无效 (invalid date): 2023-02-29"),
            (on(2024, 13, 1), "日期无效 (invalid date): 2024-13-01"),
            (on(2024, 4, 31), "日期无效 (invalid date): 2024-04-31"),
            (on(2024, 1, 0), "日期无效 (invalid date): 2024-01-00"),
        ] {
            assert_eq!(price(&config, &date), Err(Refusal::InvalidRequest(message.to_string())));
        }
        // An unknown code is named before the date is looked at.
        let unknown = PriceRequest { package_code: "PEI-XX".into(), ..on(2015, 1, 1) };
        assert!(matches!(price(&config, &unknown), Err(Refusal::UnknownPackage(_))));
    }

    #[test]
    fn catalogue_codes_are_unique() {
        for (i, a) in CATALOGUE.iter().enumerate() {
            for b in &CATALOGUE[i + 1..] {
                assert_ne!(a.code, b.code);
            }
            for (j, x) in a.items.iter().enumerate() {
                for y in &a.items[j + 1..] {
                    assert_ne!(x.code, y.code, "{}", a.code);
                }
            }
        }
    }

    #[test]
    fn personalised_packages_are_bundled_with_the_basic_package() {
        for package in CATALOGUE {
            match package.kind {
                Kind::Basic => assert_eq!((package.code, package.bundled_with), (BASIC, None)),
                Kind::Personalised => assert_eq!(package.bundled_with, Some(BASIC), "{}", package.code),
            }
        }
    }

    #[test]
    fn catalogue_is_as_documented() {
        let codes: Vec<_> = CATALOGUE.iter().map(|p| p.code).collect();
        assert_eq!(codes, ["PEI-GW", "PEI-YY", "PEI-ET", "PEI-LN", "PEI-MB", "PEI-TJ", "PEI-TX", "PEI-NZ"]);
        for package in CATALOGUE {
            assert!(!package.items.is_empty(), "{}", package.code);
            assert!(package.items.iter().all(|i| i.times_per_year > 0 && i.price_cap.is_none()));
        }
    }

    #[test]
    fn tags_round_trip() {
        let tags = Tags::EMPTY.with(Tag::Stroke).with(Tag::Child);
        assert_eq!(tags, Tags::of(&[Tag::Child, Tag::Stroke]));
        assert_eq!(tags.iter().collect::<Vec<_>>(), [Tag::Child, Tag::Stroke]);
        assert_eq!(Tags::of(&Tag::ALL).iter().count(), 16);
    }
}
