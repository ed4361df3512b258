//! The county's rules, free of WebAssembly glue so that `cargo test` checks
//! them natively. They work on the types wit-bindgen generates from the WIT,
//! so the glue in `lib.rs` converts nothing.
//!
//! Source: seed 004, a compilation of 2024 Anhui county plans for
//! family-doctor contract services (2024年全县家庭医生签约服务实施方案汇编). The
//! plan names no county, so this plugin is Jinzhai County (金寨县, 341524)
//! applying that plan. What the plan fixes is code: eight basic packages by
//! population group, free to residents and paid by the basic public-health
//! fund; eleven paid personalised packages, each bundled with the basic
//! package of the resident's group, their fees shared by the public-health
//! fund, the insurance fund and the resident and charged below the current
//! medical price after insurance; fees collected by the health centre and paid
//! to teams by delivered quantity and quality after assessment. Every number
//! the plan leaves open is in the configuration ([`config`]).
//!
//! - [`catalogue`]: the packages, the basic package of a resident, eligibility
//! - [`pricing`]: a package's price and who pays it
//! - [`insurance`]: adjudication of a signed resident's claim
//! - [`incentive`]: a team's settlement by fulfilment and assessment

use county_kit::calendar::is_real_day;
// Shares are rounded half up to the fen, as every county's are.
pub use county_kit::money::percent_of;

use crate::qianyue::county::types::{Date, PopulationTags, Refusal, ResidentFacts, Sex};

pub mod catalogue;
pub mod config;
pub mod incentive;
pub mod insurance;
pub mod pricing;

pub use config::Config;

pub const COUNTY_CODE: &str = "341524";
pub const COUNTY_NAME: &str = "金寨县";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The plan is for the 2024 service year; the rules stay in force until the
/// county uploads new ones.
pub const FIRST_PERIOD: u16 = 2024;
pub const LAST_PERIOD: Option<u16> = None;

/// Age limits of the age-derived tags: `elderly` is 65 or older, `child` 0
/// to 6 (the WIT derives both from the birth date).
pub const ELDERLY_FROM: u8 = 65;
pub const CHILD_UNTIL: u8 = 6;

/// Every WIT population tag with the name the configuration and the golden
/// files use and the Chinese name refusals show.
pub const TAGS: [(PopulationTags, &str, &str); 16] = [
    (PopulationTags::ELDERLY, "elderly", "65岁及以上老年人"),
    (PopulationTags::CHILD, "child", "0–6岁儿童"),
    (PopulationTags::KINDERGARTEN, "kindergarten", "入园儿童"),
    (PopulationTags::MATERNAL, "maternal", "孕产妇"),
    (PopulationTags::HYPERTENSION, "hypertension", "高血压患者"),
    (PopulationTags::DIABETES, "diabetes", "2型糖尿病患者"),
    (PopulationTags::TUBERCULOSIS, "tuberculosis", "肺结核患者"),
    (PopulationTags::SEVERE_MENTAL_DISORDER, "severe_mental_disorder", "严重精神障碍患者"),
    (PopulationTags::DISABLED, "disabled", "残疾人"),
    (PopulationTags::COPD, "copd", "慢阻肺患者"),
    (PopulationTags::STROKE, "stroke", "脑卒中患者"),
    (PopulationTags::TUMOUR, "tumour", "肿瘤患者"),
    (PopulationTags::REGISTERED_POOR, "registered_poor", "建档立卡贫困人口"),
    (PopulationTags::LIFTED_OUT_OF_POVERTY, "lifted_out_of_poverty", "脱贫户"),
    (PopulationTags::POVERTY_MONITORING, "poverty_monitoring", "监测户"),
    (PopulationTags::SPECIAL_FAMILY_PLANNING, "special_family_planning", "计生特殊家庭"),
];

/// The names of a set of tags, Chinese joined by `、`, English by `, `.
pub fn tag_names(tags: PopulationTags) -> (String, String) {
    let named: Vec<_> = TAGS.iter().filter(|(flag, _, _)| tags.contains(*flag)).collect();
    let zh: Vec<&str> = named.iter().map(|(_, _, zh)| *zh).collect();
    let en: Vec<&str> = named.iter().map(|(_, en, _)| *en).collect();
    (zh.join("、"), en.join(", "))
}

/// The resident's facts must agree with each other: the kernel derives
/// `elderly` and `child` from the same birth date as the age, and only women
/// are pregnant or postpartum. A contradiction is a wrong request, not a
/// business answer, and the plugin will not guess which fact is right.
pub fn check_resident(resident: &ResidentFacts) -> Result<(), Refusal> {
    let age = resident.age;
    let tagged = |flag| resident.tags.contains(flag);
    let contradiction = if tagged(PopulationTags::ELDERLY) != (age >= ELDERLY_FROM) {
        Some(format!("年龄 {age} 岁与人群标签 elderly (65岁及以上) 不符 (age {age} contradicts the elderly tag)"))
    } else if tagged(PopulationTags::CHILD) != (age <= CHILD_UNTIL) {
        Some(format!("年龄 {age} 岁与人群标签 child (0–6岁) 不符 (age {age} contradicts the child tag)"))
    } else if tagged(PopulationTags::MATERNAL) && resident.sex == Sex::Male {
        Some("男性居民不能带孕产妇标签 (a man cannot be tagged maternal)".to_string())
    } else {
        None
    };
    contradiction.map_or(Ok(()), |reason| Err(Refusal::InvalidRequest(reason)))
}

/// A year the rules answer for, so that a contract of an earlier year is
/// never priced by this plan's numbers.
pub fn check_period(year: u16) -> Result<(), Refusal> {
    if year < FIRST_PERIOD || LAST_PERIOD.is_some_and(|last| year > last) {
        return Err(Refusal::InvalidRequest(format!(
            "{year} 年不在本插件适用的服务年度内 (not in the periods these rules apply to, {FIRST_PERIOD} on)"
        )));
    }
    Ok(())
}

/// A real day in a period the rules answer for.
pub fn check_date(date: Date) -> Result<(), Refusal> {
    if !is_real_day(date.year, date.month, date.day) {
        let shown = format!("{:04}-{:02}-{:02}", date.year, date.month, date.day);
        return Err(Refusal::InvalidRequest(format!("日期无效 (invalid date): {shown}")));
    }
    check_period(date.year)
}

/// A refusal for money too large to pay, instead of a wrapped number.
pub fn too_large() -> Refusal {
    Refusal::InvalidRequest("金额过大 (the amount is too large)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resident(age: u8, sex: Sex, tags: PopulationTags) -> ResidentFacts {
        ResidentFacts { age, sex, tags }
    }

    #[test]
    fn every_tag_has_a_name() {
        let all = TAGS.iter().fold(PopulationTags::empty(), |all, (flag, _, _)| all | *flag);
        assert_eq!(all, PopulationTags::all());
        let (zh, en) = tag_names(PopulationTags::COPD | PopulationTags::STROKE);
        assert_eq!((zh.as_str(), en.as_str()), ("慢阻肺患者、脑卒中患者", "copd, stroke"));
    }

    #[test]
    fn age_and_tags_must_agree() {
        let ok = [
            resident(65, Sex::Male, PopulationTags::ELDERLY),
            resident(64, Sex::Male, PopulationTags::empty()),
            resident(6, Sex::Female, PopulationTags::CHILD),
            resident(0, Sex::Female, PopulationTags::CHILD),
            resident(7, Sex::Female, PopulationTags::empty()),
            resident(30, Sex::Female, PopulationTags::MATERNAL),
        ];
        for r in ok {
            assert_eq!(check_resident(&r), Ok(()), "{r:?}");
        }
        let wrong = [
            resident(64, Sex::Male, PopulationTags::ELDERLY),
            resident(65, Sex::Male, PopulationTags::empty()),
            resident(7, Sex::Female, PopulationTags::CHILD),
            resident(6, Sex::Female, PopulationTags::empty()),
            resident(30, Sex::Male, PopulationTags::MATERNAL),
        ];
        for r in wrong {
            assert!(matches!(check_resident(&r), Err(Refusal::InvalidRequest(_))), "{r:?}");
        }
    }

    #[test]
    fn dates_must_be_real_and_in_a_period() {
        let day = |year, month, day| Date { year, month, day };
        assert_eq!(check_date(day(2024, 1, 1)), Ok(()));
        assert_eq!(check_date(day(2024, 2, 29)), Ok(()));
        assert_eq!(check_date(day(2100, 12, 31)), Ok(()));
        assert_eq!(
            check_date(day(2023, 12, 31)),
            Err(Refusal::InvalidRequest(
                "2023 年不在本插件适用的服务年度内 (not in the periods these rules apply to, 2024 on)".into()
            ))
        );
        for wrong in [day(2025, 2, 29), day(2024, 4, 31), day(2024, 13, 1), day(2024, 1, 0), day(2100, 2, 29)] {
            assert!(
                matches!(check_date(wrong), Err(Refusal::InvalidRequest(m)) if m.starts_with("日期无效")),
                "{wrong:?}"
            );
        }
    }
}
