//! Gulin County's rules, free of any WebAssembly glue so that `cargo test`
//! checks them natively: the catalogue, eligibility and pricing here, the
//! configuration document in [`config`], insurance adjudication in
//! [`insurance`] and team incentives in [`incentive`].
//!
//! Source: the 2018 national plan for registered-poor residents'
//! chronic-disease family-doctor contracts (关于印发建档立卡贫困人口慢病家庭医生
//! 签约服务工作方案的通知): must-sign for the poor (应签尽签), the chronic
//! protocols (hypertension, type-2 diabetes, tuberculosis, severe mental
//! disorder, other chronic disease), compensation of the resident's part of
//! the signing fee (明确补偿渠道), differentiated insurance (lower and
//! continuously counted deductibles, a higher ratio after referral,
//! assistance after reimbursement) and pay tied to assessment (多劳多得、
//! 优绩优酬). Every number the plan leaves open is in `config.json`.
//!
//! Money is integer fen. A share of an amount is rounded half up to the fen
//! ([`percent_of`]); where shares make a total, the last is the remainder.

pub mod config;
pub mod incentive;
pub mod insurance;

pub use config::Config;

use county_kit::calendar::is_real_day;
// Shares are rounded half up to the fen, as every county's are.
pub use county_kit::money::percent_of;

use crate::exports::qianyue::county::pricing::{Adjustment, AdjustmentKind, PriceRequest, Quote};
use crate::qianyue::county::types::{Date, Item, Package, PackageKind, PopulationTags, Refusal, ResidentFacts};

pub const COUNTY_CODE: &str = "510525";
pub const COUNTY_NAME: &str = "古蔺县";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The plan's work runs from 2018. The poverty groups stay in force through
/// the transition period (过渡期), so no last year is set.
pub const FIRST_PERIOD: u16 = 2018;
pub const LAST_PERIOD: Option<u16> = None;

/// Basic package (基础服务包) for every resident: annual checkup and health
/// assessment. Paid by the public-health fund.
pub const BASIC: &str = "GL-JC";
/// Health poverty-alleviation package (健康扶贫签约服务包) for the poverty
/// groups. Its signings are how many poor residents a team signed, which
/// the incentive pays for: `team-activity` carries no count by tag.
pub const POVERTY: &str = "GL-FP";
pub const HYPERTENSION: &str = "GL-GXY";
pub const DIABETES: &str = "GL-TNB";
pub const MENTAL_DISORDER: &str = "GL-JSB";
pub const TUBERCULOSIS: &str = "GL-JHB";
pub const OTHER_CHRONIC: &str = "GL-MB";

/// Every WIT population flag with its name in the WIT and in Chinese, for
/// the reasons shown to doctors.
pub const TAG_NAMES: [(PopulationTags, &str, &str); 16] = [
    (PopulationTags::ELDERLY, "elderly", "65岁及以上老年人"),
    (PopulationTags::CHILD, "child", "0–6岁儿童"),
    (PopulationTags::KINDERGARTEN, "kindergarten", "入园儿童"),
    (PopulationTags::MATERNAL, "maternal", "孕产妇"),
    (PopulationTags::HYPERTENSION, "hypertension", "高血压患者"),
    (PopulationTags::DIABETES, "diabetes", "2型糖尿病患者"),
    (PopulationTags::TUBERCULOSIS, "tuberculosis", "肺结核患者"),
    (PopulationTags::SEVERE_MENTAL_DISORDER, "severe-mental-disorder", "严重精神障碍患者"),
    (PopulationTags::DISABLED, "disabled", "残疾人"),
    (PopulationTags::COPD, "copd", "慢阻肺患者"),
    (PopulationTags::STROKE, "stroke", "脑卒中患者"),
    (PopulationTags::TUMOUR, "tumour", "肿瘤患者"),
    (PopulationTags::REGISTERED_POOR, "registered-poor", "建档立卡贫困人口"),
    (PopulationTags::LIFTED_OUT_OF_POVERTY, "lifted-out-of-poverty", "脱贫户"),
    (PopulationTags::POVERTY_MONITORING, "poverty-monitoring", "监测户"),
    (PopulationTags::SPECIAL_FAMILY_PLANNING, "special-family-planning", "计生特殊家庭"),
];

/// The Chinese and the WIT names of a set of tags, each joined for a reason.
pub fn tag_names(tags: PopulationTags) -> (String, String) {
    let named: Vec<_> = TAG_NAMES.iter().filter(|(flag, _, _)| tags.contains(*flag)).collect();
    let zh: Vec<&str> = named.iter().map(|(_, _, zh)| *zh).collect();
    let en: Vec<&str> = named.iter().map(|(_, en, _)| *en).collect();
    (zh.join("、"), en.join(", "))
}

/// A period (year) the rules answer for, so that a contract of a year
/// before the plan is never priced by it.
pub fn check_period(year: u16) -> Result<(), Refusal> {
    if year < FIRST_PERIOD || LAST_PERIOD.is_some_and(|last| year > last) {
        return Err(Refusal::InvalidRequest(format!(
            "{year} 年不在本插件适用的服务年度内 (not in the periods these rules apply to, {FIRST_PERIOD} on)"
        )));
    }
    Ok(())
}

/// A real calendar day in a period the rules answer for.
pub fn check_date(date: Date) -> Result<(), Refusal> {
    let Date { year, month, day } = date;
    if !is_real_day(year, month, day) {
        return Err(Refusal::InvalidRequest(format!("日期无效 (invalid date): {year:04}-{month:02}-{day:02}")));
    }
    check_period(year)
}

/// Who may sign a package.
#[derive(Clone, Copy, Debug)]
pub enum Targets {
    Everyone,
    /// Residents with at least one of these tags.
    Tagged(PopulationTags),
    /// The poverty groups the configuration names (`poverty.groups`).
    PovertyGroups,
}

/// One service item as the plan defines it; how many times a year comes
/// from the configuration, at least `floor`.
#[derive(Debug)]
pub struct ItemSpec {
    pub code: &'static str,
    pub name: &'static str,
    /// The plan's minimum a year (1 where it gives none).
    pub floor: i64,
    /// The plan makes it free: a price cap of 0 fen.
    pub free: bool,
    /// Owed as often as this other item of the package, e.g. a risk
    /// assessment at every follow-up (每次随访应进行危险性评估).
    pub same_as: Option<&'static str>,
}

/// A package without the numbers the configuration gives it.
#[derive(Debug)]
pub struct PackageSpec {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: PackageKind,
    pub targets: Targets,
    pub items: &'static [ItemSpec],
}

const fn item(code: &'static str, name: &'static str, floor: i64) -> ItemSpec {
    ItemSpec { code, name, floor, free: false, same_as: None }
}

const fn free(code: &'static str, name: &'static str, floor: i64) -> ItemSpec {
    ItemSpec { code, name, floor, free: true, same_as: None }
}

const fn chronic(
    code: &'static str,
    name: &'static str,
    tags: PopulationTags,
    items: &'static [ItemSpec],
) -> PackageSpec {
    PackageSpec { code, name, kind: PackageKind::Personalised, targets: Targets::Tagged(tags), items }
}

/// Gulin's catalogue: one basic package for everyone, the poverty package,
/// and a package per chronic protocol of the plan. Personalised packages
/// are bundled with the basic package.
pub static CATALOGUE: &[PackageSpec] = &[
    PackageSpec {
        code: BASIC,
        name: "基础服务包",
        kind: PackageKind::Basic,
        targets: Targets::Everyone,
        items: &[
            item("health-record", "健康档案管理", 1),
            item("checkup", "年度健康体检", 1),
            item("health-assessment", "健康评估", 1),
            item("tcm-service", "中医药健康服务", 1),
        ],
    },
    PackageSpec {
        code: POVERTY,
        name: "健康扶贫签约服务包",
        kind: PackageKind::Personalised,
        targets: Targets::PovertyGroups,
        items: &[
            // 及时、准确告知签约贫困人口健康扶贫相关政策.
            item("policy-briefing", "健康扶贫政策告知", 1),
            // 乡村医生是贫困人口家庭医生签约服务的第一联络人.
            item("village-doctor-contact", "乡村医生联络", 1),
            item("health-education", "健康教育", 1),
        ],
    },
    chronic(
        HYPERTENSION,
        "高血压签约服务包",
        PopulationTags::HYPERTENSION,
        &[item("follow-up", "面对面随访(血压测量、分类干预)", 1), item("checkup", "高血压患者健康体检", 1)],
    ),
    chronic(
        DIABETES,
        "糖尿病签约服务包",
        PopulationTags::DIABETES,
        // 每年提供4次免费空腹血糖检测和面对面随访.
        &[free("fasting-glucose", "免费空腹血糖检测", 4), free("follow-up", "面对面随访", 4)],
    ),
    chronic(
        MENTAL_DISORDER,
        "严重精神障碍签约服务包",
        PopulationTags::SEVERE_MENTAL_DISORDER,
        // 每年至少4次随访，每次随访应对患者进行危险性评估.
        &[
            item("follow-up", "随访(分类干预)", 4),
            ItemSpec {
                code: "risk-assessment", name: "危险性评估", floor: 4, free: false, same_as: Some("follow-up")
            },
        ],
    ),
    chronic(
        TUBERCULOSIS,
        "肺结核签约服务包",
        PopulationTags::TUBERCULOSIS,
        // 入户随访、督导服药和结案评估; the plan gives no counts.
        &[
            item("home-visit", "入户随访", 1),
            item("supervised-medication", "督导服药", 1),
            item("case-closing-assessment", "结案评估", 1),
        ],
    ),
    chronic(
        OTHER_CHRONIC,
        "其他慢病签约服务包",
        PopulationTags::COPD.union(PopulationTags::STROKE).union(PopulationTags::TUMOUR),
        // 每年至少安排一次面对面随访: heart rate, glucose, blood pressure.
        &[item("follow-up", "面对面随访(心率、血糖、血压)", 1)],
    ),
];

pub fn find(code: &str) -> Option<&'static PackageSpec> {
    CATALOGUE.iter().find(|spec| spec.code == code)
}

fn known(code: &str) -> Result<&'static PackageSpec, Refusal> {
    find(code).ok_or_else(|| Refusal::UnknownPackage(code.to_string()))
}

/// The tags that may sign a package under this configuration; empty for
/// everyone, as in the WIT.
pub fn target_tags(config: &Config, spec: &PackageSpec) -> PopulationTags {
    match spec.targets {
        Targets::Everyone => PopulationTags::empty(),
        Targets::Tagged(tags) => tags,
        Targets::PovertyGroups => config.poverty_tags(),
    }
}

/// The catalogue with the configured prices and yearly counts.
pub fn packages(config: &Config) -> Vec<Package> {
    CATALOGUE
        .iter()
        .map(|spec| {
            let terms = config.terms(spec.code);
            Package {
                code: spec.code.to_string(),
                name: spec.name.to_string(),
                kind: spec.kind,
                target_groups: target_tags(config, spec),
                bundled_with: match spec.kind {
                    PackageKind::Basic => None,
                    PackageKind::Personalised => Some(BASIC.to_string()),
                },
                items: spec
                    .items
                    .iter()
                    .map(|item| Item {
                        code: item.code.to_string(),
                        name: item.name.to_string(),
                        times_per_year: terms.map_or(0, |terms| terms.times(item.code)),
                        price_cap: item.free.then_some(0),
                    })
                    .collect(),
                list_price: terms.map_or(0, |terms| terms.list_price),
            }
        })
        .collect()
}

/// Everyone gets the one basic package, so none can be missing or wrong
/// (不得漏选或错选); the poor add the poverty package on top.
pub fn basic_package(_config: &Config, _resident: &ResidentFacts) -> Result<String, Refusal> {
    Ok(BASIC.to_string())
}

/// May this resident sign this package? Yes if it is for everyone or the
/// resident has one of its target tags.
pub fn eligible(config: &Config, code: &str, resident: &ResidentFacts) -> Result<&'static PackageSpec, Refusal> {
    let spec = known(code)?;
    let targets = target_tags(config, spec);
    if !targets.is_empty() && !targets.intersects(resident.tags) {
        let (zh, en) = tag_names(targets);
        return Err(Refusal::NotEligible(format!(
            "{}仅面向{zh} ({} is only for residents tagged {en})",
            spec.name, spec.code
        )));
    }
    Ok(spec)
}

/// A list price divided among the public-health fund, the insurance fund
/// and the resident (签约服务费分担).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeSplit {
    pub public_health_fund: i64,
    pub insurance_fund: i64,
    /// The remainder: what the resident would bear (个人承担部分).
    pub resident_part: i64,
}

/// Both funds' shares are rounded half up; the insurance share never takes
/// more than the public-health share left (two halves rounded up could
/// otherwise pass the list price), and the resident's part is the
/// remainder.
pub fn split_fee(list: i64, public_health_percent: i64, insurance_percent: i64) -> FeeSplit {
    let public_health_fund = percent_of(list, public_health_percent);
    let insurance_fund = percent_of(list, insurance_percent).min(list - public_health_fund);
    FeeSplit { public_health_fund, insurance_fund, resident_part: list - public_health_fund - insurance_fund }
}

/// Price one package for one resident: unknown code first, then the date,
/// then eligibility. The resident's part of a poor resident's fee is
/// compensated by the configured fund and shown as a waiver (减免), so the
/// quote names both the compensation and the self-pay left.
pub fn price(config: &Config, request: &PriceRequest) -> Result<Quote, Refusal> {
    let spec = known(&request.package_code)?;
    check_date(request.starts_on)?;
    eligible(config, spec.code, &request.resident)?;
    let terms = config.terms(spec.code).ok_or_else(|| Refusal::UnknownPackage(spec.code.to_string()))?;
    let list = terms.list_price;
    let (phf_percent, ins_percent) = (terms.public_health_fund_percent, terms.insurance_fund_percent);
    let split = split_fee(list, phf_percent, ins_percent);
    let FeeSplit { public_health_fund, insurance_fund, resident_part } = split;
    let mut rule = format!(
        "{}: 基本公卫 {list} × {phf_percent}% = {public_health_fund} 分, 医保 {list} × {ins_percent}% = {insurance_fund} 分, 个人承担 {list} − {public_health_fund} − {insurance_fund} = {resident_part} 分",
        spec.name
    );
    if insurance_fund < percent_of(list, ins_percent) {
        rule.push_str(" (医保份额以公卫之后的余额为限)");
    }

    let poor = request.resident.tags.intersection(config.poverty_tags());
    let mut adjustments = Vec::new();
    let mut self_pay = resident_part;
    if !poor.is_empty() && resident_part > 0 {
        let percent = config.poverty.fee_compensation_percent;
        let waived = percent_of(resident_part, percent);
        self_pay = resident_part - waived;
        if waived > 0 {
            let (groups, _) = tag_names(poor);
            let fund = config.poverty.fee_compensation_fund.zh();
            adjustments.push(Adjustment {
                kind: AdjustmentKind::Waiver,
                amount: waived,
                reason: format!(
                    "{groups}签约服务费个人承担部分由{fund}补偿: {resident_part} × {percent}% = {waived} 分"
                ),
            });
            rule.push_str(&format!("; {fund}补偿 {waived} 分, 个人自付 {resident_part} − {waived} = {self_pay} 分"));
        }
    }
    Ok(Quote { list_price: list, adjustments, public_health_fund, insurance_fund, self_pay, rule })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;
    use crate::qianyue::county::types::Sex;

    pub(crate) fn shipped() -> Config {
        Config::parse(include_str!("../config.json")).unwrap()
    }

    fn resident(tags: PopulationTags) -> ResidentFacts {
        ResidentFacts { age: 58, sex: Sex::Female, tags }
    }

    fn request(code: &str, tags: PopulationTags) -> PriceRequest {
        PriceRequest {
            package_code: code.to_string(),
            resident: resident(tags),
            starts_on: Date { year: 2018, month: 3, day: 1 },
        }
    }

    fn quote_with(config: &Config, code: &str, tags: PopulationTags) -> Quote {
        match price(config, &request(code, tags)) {
            Ok(quote) => quote,
            Err(refusal) => panic!("{code}: {refusal:?}"),
        }
    }

    /// (waived, public health, insurance, self-pay)
    fn parts(quote: &Quote) -> (i64, i64, i64, i64) {
        let waived = quote.adjustments.iter().map(|a| a.amount).sum();
        (waived, quote.public_health_fund, quote.insurance_fund, quote.self_pay)
    }

    fn assert_adds_up(quote: &Quote) {
        let (waived, phf, ins, own) = parts(quote);
        assert!(quote.adjustments.iter().all(|a| a.amount > 0), "{quote:?}");
        assert!(phf >= 0 && ins >= 0 && own >= 0, "{quote:?}");
        assert_eq!(phf + ins + own, quote.list_price - waived, "{quote:?}");
    }

    fn with_terms(code: &str, list: i64, phf: i64, ins: i64) -> Config {
        let mut config = shipped();
        let terms = config.packages.get_mut(code).unwrap();
        (terms.list_price, terms.public_health_fund_percent, terms.insurance_fund_percent) = (list, phf, ins);
        config
    }

    const POOR: PopulationTags = PopulationTags::REGISTERED_POOR;

    #[test]
    fn fee_split_rounds_each_fund_half_up_and_leaves_the_remainder_to_the_resident() {
        // 1005 × 30% = 301.5 → 302; 1005 × 50% = 502.5 → 503; 1005 − 302 − 503 = 200.
        assert_eq!(
            split_fee(1005, 30, 50),
            FeeSplit { public_health_fund: 302, insurance_fund: 503, resident_part: 200 }
        );
        // Two halves rounded up would make 2 of 1: the insurance share gives way.
        assert_eq!(split_fee(1, 50, 50), FeeSplit { public_health_fund: 1, insurance_fund: 0, resident_part: 0 });
        assert_eq!(split_fee(3, 50, 50), FeeSplit { public_health_fund: 2, insurance_fund: 1, resident_part: 0 });
        for list in [0, 1, 2, 3, 7, 99, 1005, 12_345, config::MAX_FEN] {
            for (a, b) in [(0, 0), (50, 50), (30, 50), (33, 33), (100, 0), (0, 100), (49, 51), (1, 99)] {
                let split = split_fee(list, a, b);
                assert!(split.insurance_fund >= 0 && split.resident_part >= 0, "{list} {a} {b}");
                assert_eq!(split.public_health_fund + split.insurance_fund + split.resident_part, list);
            }
        }
    }

    #[test]
    fn basic_package_is_paid_by_the_public_health_fund_for_everyone() {
        for tags in [PopulationTags::empty(), POOR, PopulationTags::all()] {
            let q = quote_with(&shipped(), BASIC, tags);
            assert_eq!((q.list_price, parts(&q)), (1200, (0, 1200, 0, 0)));
            assert!(q.adjustments.is_empty());
        }
    }

    #[test]
    fn chronic_package_self_pay_for_the_non_poor() {
        let q = quote_with(&shipped(), DIABETES, PopulationTags::DIABETES);
        // 15000 × 30% = 4500; × 50% = 7500; the rest 3000.
        assert_eq!((q.list_price, parts(&q)), (15000, (0, 4500, 7500, 3000)));
        assert_eq!(
            q.rule,
            "糖尿病签约服务包: 基本公卫 15000 × 30% = 4500 分, 医保 15000 × 50% = 7500 分, 个人承担 15000 − 4500 − 7500 = 3000 分"
        );
    }

    #[test]
    fn the_poor_and_monitoring_households_pay_nothing_and_the_compensation_shows() {
        for tags in [POOR, PopulationTags::POVERTY_MONITORING, POOR | PopulationTags::POVERTY_MONITORING] {
            let q = quote_with(&shipped(), DIABETES, tags | PopulationTags::DIABETES);
            assert_eq!(parts(&q), (3000, 4500, 7500, 0), "{tags:?}");
            assert_eq!(q.adjustments[0].kind, AdjustmentKind::Waiver);
            assert_adds_up(&q);
        }
        let q = quote_with(&shipped(), DIABETES, PopulationTags::POVERTY_MONITORING | PopulationTags::DIABETES);
        assert_eq!(q.adjustments[0].reason, "监测户签约服务费个人承担部分由县级财政补偿: 3000 × 100% = 3000 分");
    }

    #[test]
    fn lifted_households_pay_unless_the_configuration_names_them() {
        let tags = PopulationTags::LIFTED_OUT_OF_POVERTY | PopulationTags::HYPERTENSION;
        let q = quote_with(&shipped(), HYPERTENSION, tags);
        assert_eq!(parts(&q), (0, 3600, 6000, 2400));
        let mut config = shipped();
        config.poverty.groups.push(config::PovertyGroup::LiftedOutOfPoverty);
        let q = quote_with(&config, HYPERTENSION, tags);
        assert_eq!(parts(&q), (2400, 3600, 6000, 0));
        assert_eq!(q.adjustments[0].reason, "脱贫户签约服务费个人承担部分由县级财政补偿: 2400 × 100% = 2400 分");
    }

    #[test]
    fn partial_compensation_rounds_half_up_and_leaves_the_remainder_to_the_resident() {
        let mut config = with_terms(DIABETES, 1005, 30, 50);
        config.poverty.fee_compensation_percent = 75;
        // Resident part 200 (see the split test); 200 × 75% = 150; 50 left.
        let q = quote_with(&config, DIABETES, POOR | PopulationTags::DIABETES);
        assert_eq!(parts(&q), (150, 302, 503, 50));
        config.poverty.fee_compensation_percent = 50;
        let config = Config { packages: with_terms(DIABETES, 1003, 30, 50).packages, ..config };
        // 1003: 300.9 → 301; 501.5 → 502; part 200; 50% → 100.
        let q = quote_with(&config, DIABETES, POOR | PopulationTags::DIABETES);
        assert_eq!(parts(&q), (100, 301, 502, 100));
        let mut config = shipped();
        config.poverty.fee_compensation_percent = 0;
        let q = quote_with(&config, DIABETES, POOR | PopulationTags::DIABETES);
        assert_eq!((parts(&q), q.adjustments.len()), ((0, 4500, 7500, 3000), 0), "no zero adjustment");
    }

    #[test]
    fn every_quote_adds_up_whatever_the_numbers() {
        for spec in CATALOGUE {
            for list in [0, 1, 3, 5, 1005, 9999, config::MAX_FEN] {
                for (phf, ins) in [(0, 0), (50, 50), (30, 50), (100, 0), (33, 66)] {
                    let config = with_terms(spec.code, list, phf, ins);
                    for tags in [PopulationTags::all(), PopulationTags::all().difference(POOR)] {
                        let q = quote_with(&config, spec.code, tags);
                        assert_eq!(q.list_price, list);
                        assert_adds_up(&q);
                    }
                }
            }
        }
    }

    #[test]
    fn residents_outside_the_target_groups_are_refused_with_the_groups_named() {
        let config = shipped();
        let refusal = |code: &str, tags| eligible(&config, code, &resident(tags)).map(|_| ()).unwrap_err();
        assert_eq!(
            refusal(OTHER_CHRONIC, PopulationTags::HYPERTENSION),
            Refusal::NotEligible(
                "其他慢病签约服务包仅面向慢阻肺患者、脑卒中患者、肿瘤患者 (GL-MB is only for residents tagged copd, stroke, tumour)"
                    .to_string()
            )
        );
        assert_eq!(
            refusal(POVERTY, PopulationTags::LIFTED_OUT_OF_POVERTY),
            Refusal::NotEligible(
                "健康扶贫签约服务包仅面向建档立卡贫困人口、监测户 (GL-FP is only for residents tagged registered-poor, poverty-monitoring)"
                    .to_string()
            )
        );
        for (code, tag) in [
            (HYPERTENSION, PopulationTags::HYPERTENSION),
            (DIABETES, PopulationTags::DIABETES),
            (MENTAL_DISORDER, PopulationTags::SEVERE_MENTAL_DISORDER),
            (TUBERCULOSIS, PopulationTags::TUBERCULOSIS),
            (OTHER_CHRONIC, PopulationTags::STROKE),
            (POVERTY, PopulationTags::POVERTY_MONITORING),
        ] {
            assert!(eligible(&config, code, &resident(tag)).is_ok(), "{code}");
            let others = PopulationTags::all().difference(target_tags(&config, find(code).unwrap()));
            assert!(matches!(refusal(code, others), Refusal::NotEligible(_)), "{code}");
            assert!(matches!(price(&config, &request(code, others)), Err(Refusal::NotEligible(_))), "{code}");
        }
    }

    #[test]
    fn refusals_come_in_order_code_date_eligibility() {
        let config = shipped();
        let on = |code: &str, year, month, day| PriceRequest {
            starts_on: Date { year, month, day },
            ..request(code, PopulationTags::empty())
        };
        assert_eq!(price(&config, &on("GL-XX", 2017, 1, 1)), Err(Refusal::UnknownPackage("GL-XX".to_string())));
        let early = "2017 年不在本插件适用的服务年度内 (not in the periods these rules apply to, 2018 on)";
        assert_eq!(price(&config, &on(DIABETES, 2017, 12, 31)), Err(Refusal::InvalidRequest(early.to_string())));
        for (year, month, day) in [(2019, 2, 29), (2100, 2, 29), (2020, 13, 1), (2020, 4, 31), (2020, 1, 0)] {
            let text = format!("日期无效 (invalid date): {year:04}-{month:02}-{day:02}");
            assert_eq!(price(&config, &on(BASIC, year, month, day)), Err(Refusal::InvalidRequest(text)));
        }
        assert!(price(&config, &on(BASIC, 2020, 2, 29)).is_ok());
        assert!(price(&config, &on(BASIC, 2400, 2, 29)).is_ok());
        assert!(price(&config, &on(BASIC, 2018, 1, 1)).is_ok());
        assert!(matches!(price(&config, &on(DIABETES, 2018, 1, 1)), Err(Refusal::NotEligible(_))));
    }

    #[test]
    fn everyone_gets_the_one_basic_package() {
        for tags in [PopulationTags::empty(), POOR, PopulationTags::all()] {
            assert_eq!(basic_package(&shipped(), &resident(tags)), Ok(BASIC.to_string()));
        }
    }

    #[test]
    fn catalogue_carries_the_protocols_items() {
        let packages = packages(&shipped());
        let codes: Vec<&str> = packages.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["GL-JC", "GL-FP", "GL-GXY", "GL-TNB", "GL-JSB", "GL-JHB", "GL-MB"]);
        let items = |code: &str| -> Vec<(String, u32, Option<i64>)> {
            let package = packages.iter().find(|p| p.code == code).unwrap();
            package.items.iter().map(|i| (i.code.clone(), i.times_per_year, i.price_cap)).collect()
        };
        let owned = |list: &[(&str, u32, Option<i64>)]| -> Vec<(String, u32, Option<i64>)> {
            list.iter().map(|(code, times, cap)| (code.to_string(), *times, *cap)).collect()
        };
        assert_eq!(items(DIABETES), owned(&[("fasting-glucose", 4, Some(0)), ("follow-up", 4, Some(0))]));
        assert_eq!(items(MENTAL_DISORDER), owned(&[("follow-up", 4, None), ("risk-assessment", 4, None)]));
        assert_eq!(
            items(TUBERCULOSIS),
            owned(&[
                ("home-visit", 10, None),
                ("supervised-medication", 6, None),
                ("case-closing-assessment", 1, None)
            ])
        );
        assert_eq!(items(OTHER_CHRONIC), owned(&[("follow-up", 1, None)]));
        let basic = items(BASIC);
        assert!(
            basic.contains(&("checkup".to_string(), 1, None)) && basic.contains(&("health-assessment".into(), 1, None))
        );
        for package in &packages {
            let bundled = package.bundled_with.as_deref();
            match package.kind {
                PackageKind::Basic => assert_eq!((package.code.as_str(), bundled), (BASIC, None)),
                PackageKind::Personalised => assert_eq!(bundled, Some(BASIC), "{}", package.code),
            }
            let mut seen: Vec<&str> = package.items.iter().map(|i| i.code.as_str()).collect();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), package.items.len(), "{}", package.code);
        }
    }

    #[test]
    fn the_poverty_package_targets_the_configured_groups() {
        let mut config = shipped();
        let target = |config: &Config| packages(config)[1].target_groups;
        assert_eq!(target(&config), POOR | PopulationTags::POVERTY_MONITORING);
        config.poverty.groups = vec![config::PovertyGroup::RegisteredPoor];
        assert_eq!(target(&config), POOR);
    }
}
