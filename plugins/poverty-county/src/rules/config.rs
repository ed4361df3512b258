//! Gulin's configuration document (`config.json`): the numbers the plan
//! leaves to the county, uploaded with each plugin version.
//!
//! Every field is required and unknown fields are refused, so a misspelt
//! field never falls back to a default; every number is range-checked
//! against what the plan fixes (a diabetic is owed at least 4 free fasting
//! glucose tests, a severe mental disorder at least 4 follow-ups, each with
//! a risk assessment). A refusal names the field: the county officer who
//! uploaded the document reads it.

use std::collections::BTreeMap;

pub use county_kit::config::ByLevel;
use county_kit::config::{between, percent};
use serde::Deserialize;

use super::{CATALOGUE, PackageSpec, find};
use crate::exports::qianyue::county::insurance::CareLevel;
use crate::qianyue::county::types::PopulationTags;

/// The most any configured amount may be, in fen (100 million yuan): far
/// above any real price or cap, and low enough that an amount times a
/// count times a score stays inside `i128` arithmetic with room to spare.
pub const MAX_FEN: i64 = 10_000_000_000;

/// The most times a year an item may be owed: once a day.
pub const MAX_TIMES: i64 = 366;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Every package's price, who shares it and its yearly item counts, by
    /// code: exactly the catalogue's packages.
    pub packages: BTreeMap<String, PackageTerms>,
    pub poverty: Poverty,
    pub insurance: Insurance,
    pub incentive: Incentive,
}

/// A package's numbers (签约服务费标准 and 服务频次).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageTerms {
    /// Approved list price for a year (物价核定价格), fen.
    pub list_price: i64,
    /// The public-health fund's share of the list price, percent.
    pub public_health_fund_percent: i64,
    /// The insurance fund's share, percent. The resident bears the rest.
    pub insurance_fund_percent: i64,
    /// How many times a year each item is owed, by item code: exactly the
    /// package's items.
    pub times_per_year: BTreeMap<String, i64>,
}

impl PackageTerms {
    /// The configured count of an item; validation sees that every item
    /// has one in 1–366.
    pub fn times(&self, item: &str) -> u32 {
        self.times_per_year.get(item).and_then(|times| u32::try_from(*times).ok()).unwrap_or(0)
    }
}

/// A poverty group the national rules apply to, as the WIT tags it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PovertyGroup {
    /// 建档立卡贫困人口
    RegisteredPoor,
    /// 监测户 (脱贫不稳定户, 边缘易致贫户, 突发严重困难户)
    PovertyMonitoring,
    /// 脱贫户
    LiftedOutOfPoverty,
}

impl PovertyGroup {
    /// The name the configuration uses.
    pub fn name(self) -> &'static str {
        match self {
            PovertyGroup::RegisteredPoor => "registered_poor",
            PovertyGroup::PovertyMonitoring => "poverty_monitoring",
            PovertyGroup::LiftedOutOfPoverty => "lifted_out_of_poverty",
        }
    }

    pub fn tag(self) -> PopulationTags {
        match self {
            PovertyGroup::RegisteredPoor => PopulationTags::REGISTERED_POOR,
            PovertyGroup::PovertyMonitoring => PopulationTags::POVERTY_MONITORING,
            PovertyGroup::LiftedOutOfPoverty => PopulationTags::LIFTED_OUT_OF_POVERTY,
        }
    }
}

/// Who pays the resident's part of a poor resident's signing fee: the plan
/// asks each county to name the channel (明确补偿渠道). Named in the quote's
/// waiver; none of them is a payer column of the quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompensationFund {
    /// 县级财政
    CountyFinance,
    /// 财政专项扶贫资金
    PovertyAlleviationFund,
    /// 医疗救助资金
    MedicalAssistance,
}

impl CompensationFund {
    pub fn zh(self) -> &'static str {
        match self {
            CompensationFund::CountyFinance => "县级财政",
            CompensationFund::PovertyAlleviationFund => "财政专项扶贫资金",
            CompensationFund::MedicalAssistance => "医疗救助资金",
        }
    }
}

/// The poverty rules of the signing fee.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Poverty {
    /// Who counts as poor for every poverty rule of this plugin: the
    /// package fee, the insurance benefits and the poverty package.
    pub groups: Vec<PovertyGroup>,
    pub fee_compensation_fund: CompensationFund,
    /// How much of the resident's part of the fee is compensated, percent.
    pub fee_compensation_percent: i64,
}

/// Medical insurance (城乡居民医保) numbers.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insurance {
    /// Outpatient care (门诊); rehabilitation uses it too.
    pub outpatient: Benefit,
    /// Inpatient care (住院).
    pub inpatient: Benefit,
    /// The plan's differentiated benefits for the poverty groups.
    pub poverty: InsurancePoverty,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Benefit {
    /// Deductible of one visit or admission (起付线), fen.
    pub deductible: ByLevel,
    /// Reimbursement ratio above the deductible (报销比例), percent.
    pub ratio_percent: ByLevel,
    /// Annual reimbursement cap (年度封顶线), fen.
    pub annual_cap: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsurancePoverty {
    /// The poor's deductible as a percentage of everyone's (降低起付线).
    pub deductible_percent: i64,
    /// Percentage points added to the inpatient ratio of a referred poor
    /// patient (提高转诊住院报销比例); the ratio stops at 100.
    pub referred_inpatient_ratio_points: i64,
    /// After insurance, the most a poor resident still pays of a claim, as
    /// a percentage of it; medical assistance pays the rest (救助兜底). 100
    /// means no assistance at that level.
    pub self_pay_limit_percent: ByLevel,
}

/// The number a [`ByLevel`] holds for a level of care: a function, because
/// `ByLevel` is the kit's and `CareLevel` this crate's generated type.
pub fn at(levels: ByLevel, level: CareLevel) -> i64 {
    match level {
        CareLevel::VillageClinic => levels.village_clinic,
        CareLevel::TownshipCentre => levels.township_centre,
        CareLevel::CountyHospital => levels.county_hospital,
        CareLevel::AboveCounty => levels.above_county,
    }
}

/// Team pay tied to signing the poor and to delivered chronic care.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incentive {
    /// Paid per signed poor resident (a signing of GL-FP) at an assessment
    /// score of 100, in proportion to the score below it, fen.
    pub per_poor_resident: i64,
    /// Paid per delivered item, by package code and item code, fen.
    /// Items not listed earn nothing by delivery.
    pub per_delivered_item: BTreeMap<String, BTreeMap<String, i64>>,
}

/// An amount within this county's bound, [`MAX_FEN`].
fn fen(field: &str, value: i64) -> Result<(), String> {
    county_kit::config::fen(field, value, MAX_FEN)
}

/// The item codes of a package, for messages.
fn item_codes(spec: &PackageSpec) -> String {
    spec.items.iter().map(|item| item.code).collect::<Vec<_>>().join(", ")
}

fn check_package(spec: &PackageSpec, terms: &PackageTerms) -> Result<(), String> {
    let field = format!("packages.{}", spec.code);
    fen(&format!("{field}.list_price"), terms.list_price)?;
    percent(&format!("{field}.public_health_fund_percent"), terms.public_health_fund_percent)?;
    percent(&format!("{field}.insurance_fund_percent"), terms.insurance_fund_percent)?;
    let funds = terms.public_health_fund_percent + terms.insurance_fund_percent;
    if funds > 100 {
        return Err(format!(
            "{field}: public_health_fund_percent + insurance_fund_percent must be at most 100, got {funds}"
        ));
    }
    for item in spec.items {
        let at = format!("{field}.times_per_year.{}", item.code);
        let Some(&times) = terms.times_per_year.get(item.code) else {
            return Err(format!("{at}: missing"));
        };
        between(&at, times, item.floor, MAX_TIMES)?;
        if let Some(other) = item.same_as {
            let wanted = terms.times_per_year.get(other).copied().unwrap_or_default();
            if times != wanted {
                return Err(format!("{at}: must equal {other} ({wanted}), got {times}"));
            }
        }
    }
    if let Some(code) = terms.times_per_year.keys().find(|code| !spec.items.iter().any(|item| item.code == *code)) {
        return Err(format!(
            "{field}.times_per_year.{code}: not an item of {} (items: {})",
            spec.code,
            item_codes(spec)
        ));
    }
    Ok(())
}

impl Config {
    /// Reads and checks a document.
    pub fn parse(document: &str) -> Result<Config, String> {
        let config: Config = county_kit::config::parse(document)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        for spec in CATALOGUE {
            match self.packages.get(spec.code) {
                Some(terms) => check_package(spec, terms)?,
                None => return Err(format!("packages.{}: missing", spec.code)),
            }
        }
        if let Some(code) = self.packages.keys().find(|code| find(code).is_none()) {
            return Err(format!("packages.{code}: not a package of Gulin's catalogue"));
        }

        let poverty = &self.poverty;
        if !poverty.groups.contains(&PovertyGroup::RegisteredPoor) {
            return Err("poverty.groups: must include registered_poor (the plan's residents)".to_string());
        }
        for (i, group) in poverty.groups.iter().enumerate() {
            if poverty.groups[..i].contains(group) {
                return Err(format!("poverty.groups[{i}]: {} is listed twice", group.name()));
            }
        }
        percent("poverty.fee_compensation_percent", poverty.fee_compensation_percent)?;

        let insurance = &self.insurance;
        for (name, benefit) in
            [("insurance.outpatient", &insurance.outpatient), ("insurance.inpatient", &insurance.inpatient)]
        {
            benefit.deductible.check(&format!("{name}.deductible"), fen)?;
            benefit.ratio_percent.check(&format!("{name}.ratio_percent"), percent)?;
            fen(&format!("{name}.annual_cap"), benefit.annual_cap)?;
        }
        let relief = &insurance.poverty;
        percent("insurance.poverty.deductible_percent", relief.deductible_percent)?;
        percent("insurance.poverty.referred_inpatient_ratio_points", relief.referred_inpatient_ratio_points)?;
        relief.self_pay_limit_percent.check("insurance.poverty.self_pay_limit_percent", percent)?;

        let incentive = &self.incentive;
        fen("incentive.per_poor_resident", incentive.per_poor_resident)?;
        for (code, items) in &incentive.per_delivered_item {
            let field = format!("incentive.per_delivered_item.{code}");
            let spec = find(code).ok_or_else(|| format!("{field}: not a package of Gulin's catalogue"))?;
            for (item, amount) in items {
                if !spec.items.iter().any(|known| known.code == item) {
                    return Err(format!("{field}.{item}: not an item of {code} (items: {})", item_codes(spec)));
                }
                fen(&format!("{field}.{item}"), *amount)?;
            }
        }
        Ok(())
    }

    /// A catalogue package's numbers.
    pub fn terms(&self, code: &str) -> Option<&PackageTerms> {
        self.packages.get(code)
    }

    /// The tags that make a resident poor for these rules.
    pub fn poverty_tags(&self) -> PopulationTags {
        self.poverty.groups.iter().fold(PopulationTags::empty(), |tags, group| tags | group.tag())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::{Value, json};

    const SHIPPED: &str = include_str!("../../config.json");

    fn shipped() -> Value {
        serde_json::from_str(SHIPPED).unwrap()
    }

    /// The refusal for the shipped document with one field changed.
    fn refusal(pointer: &str, value: Value) -> String {
        let mut document = shipped();
        *document.pointer_mut(pointer).unwrap() = value;
        Config::parse(&document.to_string()).unwrap_err()
    }

    fn refusal_of(document: Value) -> String {
        Config::parse(&document.to_string()).unwrap_err()
    }

    #[test]
    fn shipped_document_holds_the_documented_defaults() {
        let config = Config::parse(SHIPPED).unwrap();
        let prices: Vec<(&str, i64, i64, i64)> = CATALOGUE
            .iter()
            .map(|spec| {
                let terms = config.terms(spec.code).unwrap();
                (spec.code, terms.list_price, terms.public_health_fund_percent, terms.insurance_fund_percent)
            })
            .collect();
        assert_eq!(
            prices,
            [
                ("GL-JC", 1200, 100, 0),
                ("GL-FP", 3000, 40, 40),
                ("GL-GXY", 12000, 30, 50),
                ("GL-TNB", 15000, 30, 50),
                ("GL-JSB", 10000, 50, 30),
                ("GL-JHB", 10000, 50, 30),
                ("GL-MB", 8000, 30, 50),
            ]
        );
        assert_eq!(config.poverty.groups, [PovertyGroup::RegisteredPoor, PovertyGroup::PovertyMonitoring]);
        assert_eq!(config.poverty.fee_compensation_fund, CompensationFund::CountyFinance);
        assert_eq!(config.poverty.fee_compensation_percent, 100);
        let relief = &config.insurance.poverty;
        assert_eq!((relief.deductible_percent, relief.referred_inpatient_ratio_points), (50, 5));
        assert_eq!(at(relief.self_pay_limit_percent, CareLevel::CountyHospital), 10);
        assert_eq!(at(relief.self_pay_limit_percent, CareLevel::AboveCounty), 100);
        assert_eq!(config.incentive.per_poor_resident, 2000);
    }

    #[test]
    fn percentages_out_of_range_are_refused_by_name() {
        assert_eq!(
            refusal("/packages/GL-TNB/insurance_fund_percent", json!(101)),
            "packages.GL-TNB.insurance_fund_percent: must be between 0 and 100, got 101"
        );
        assert_eq!(
            refusal("/packages/GL-TNB/public_health_fund_percent", json!(60)),
            "packages.GL-TNB: public_health_fund_percent + insurance_fund_percent must be at most 100, got 110"
        );
        assert_eq!(
            refusal("/poverty/fee_compensation_percent", json!(-1)),
            "poverty.fee_compensation_percent: must be between 0 and 100, got -1"
        );
        assert_eq!(
            refusal("/insurance/inpatient/ratio_percent/county_hospital", json!(120)),
            "insurance.inpatient.ratio_percent.county_hospital: must be between 0 and 100, got 120"
        );
        assert_eq!(
            refusal("/insurance/poverty/referred_inpatient_ratio_points", json!(101)),
            "insurance.poverty.referred_inpatient_ratio_points: must be between 0 and 100, got 101"
        );
        assert_eq!(
            refusal("/insurance/poverty/self_pay_limit_percent/above_county", json!(150)),
            "insurance.poverty.self_pay_limit_percent.above_county: must be between 0 and 100, got 150"
        );
        assert_eq!(
            refusal("/insurance/poverty/deductible_percent", json!(-50)),
            "insurance.poverty.deductible_percent: must be between 0 and 100, got -50"
        );
    }

    #[test]
    fn amounts_out_of_range_are_refused_by_name() {
        assert_eq!(
            refusal("/packages/GL-JC/list_price", json!(-1)),
            "packages.GL-JC.list_price: must be between 0 and 10000000000 fen, got -1"
        );
        assert_eq!(
            refusal("/insurance/outpatient/deductible/village_clinic", json!(MAX_FEN + 1)),
            "insurance.outpatient.deductible.village_clinic: must be between 0 and 10000000000 fen, got 10000000001"
        );
        assert_eq!(
            refusal("/insurance/inpatient/annual_cap", json!(-5)),
            "insurance.inpatient.annual_cap: must be between 0 and 10000000000 fen, got -5"
        );
        assert_eq!(
            refusal("/incentive/per_poor_resident", json!(-2000)),
            "incentive.per_poor_resident: must be between 0 and 10000000000 fen, got -2000"
        );
        assert_eq!(
            refusal("/incentive/per_delivered_item/GL-TNB/fasting-glucose", json!(-1)),
            "incentive.per_delivered_item.GL-TNB.fasting-glucose: must be between 0 and 10000000000 fen, got -1"
        );
    }

    #[test]
    fn item_counts_keep_the_plans_minimums() {
        assert_eq!(
            refusal("/packages/GL-TNB/times_per_year/fasting-glucose", json!(3)),
            "packages.GL-TNB.times_per_year.fasting-glucose: must be between 4 and 366, got 3"
        );
        assert_eq!(
            refusal("/packages/GL-MB/times_per_year/follow-up", json!(0)),
            "packages.GL-MB.times_per_year.follow-up: must be between 1 and 366, got 0"
        );
        assert_eq!(
            refusal("/packages/GL-JHB/times_per_year/home-visit", json!(367)),
            "packages.GL-JHB.times_per_year.home-visit: must be between 1 and 366, got 367"
        );
        // A risk assessment at every follow-up.
        assert_eq!(
            refusal("/packages/GL-JSB/times_per_year/risk-assessment", json!(5)),
            "packages.GL-JSB.times_per_year.risk-assessment: must equal follow-up (4), got 5"
        );
        let mut document = shipped();
        document["packages"]["GL-JSB"]["times_per_year"]["follow-up"] = json!(6);
        document["packages"]["GL-JSB"]["times_per_year"]["risk-assessment"] = json!(6);
        assert!(Config::parse(&document.to_string()).is_ok());

        let mut document = shipped();
        document["packages"]["GL-TNB"]["times_per_year"].as_object_mut().unwrap().remove("follow-up");
        assert_eq!(refusal_of(document), "packages.GL-TNB.times_per_year.follow-up: missing");
        let mut document = shipped();
        document["packages"]["GL-TNB"]["times_per_year"]["foot-exam"] = json!(1);
        assert_eq!(
            refusal_of(document),
            "packages.GL-TNB.times_per_year.foot-exam: not an item of GL-TNB (items: fasting-glucose, follow-up)"
        );
    }

    #[test]
    fn every_package_needs_terms_and_no_other_code_may_have_any() {
        let mut document = shipped();
        document["packages"].as_object_mut().unwrap().remove("GL-JHB");
        assert_eq!(refusal_of(document), "packages.GL-JHB: missing");
        let mut document = shipped();
        document["packages"]["GL-XX"] = document["packages"]["GL-MB"].clone();
        assert_eq!(refusal_of(document), "packages.GL-XX: not a package of Gulin's catalogue");
    }

    #[test]
    fn poverty_groups_are_checked() {
        assert_eq!(
            refusal("/poverty/groups", json!(["poverty_monitoring"])),
            "poverty.groups: must include registered_poor (the plan's residents)"
        );
        assert_eq!(
            refusal("/poverty/groups", json!(["registered_poor", "registered_poor"])),
            "poverty.groups[1]: registered_poor is listed twice"
        );
        let error = refusal("/poverty/groups", json!(["registered_poor", "elderly"]));
        assert!(error.starts_with("poverty.groups[1]: unknown variant `elderly`, expected one of"), "{error}");
        let error = refusal("/poverty/fee_compensation_fund", json!("insurance_fund"));
        assert!(error.starts_with("poverty.fee_compensation_fund: unknown variant `insurance_fund`"), "{error}");
        let with_lifted = refusal("/poverty/groups", json!(["registered_poor", "lifted_out_of_poverty", "x"]));
        assert!(with_lifted.starts_with("poverty.groups[2]: unknown variant `x`"), "{with_lifted}");
    }

    #[test]
    fn delivery_rates_name_items_of_the_catalogue() {
        let mut document = shipped();
        document["incentive"]["per_delivered_item"]["GL-XX"] = json!({"follow-up": 100});
        assert_eq!(refusal_of(document), "incentive.per_delivered_item.GL-XX: not a package of Gulin's catalogue");
        let mut document = shipped();
        document["incentive"]["per_delivered_item"]["GL-GXY"]["fasting-glucose"] = json!(100);
        assert_eq!(
            refusal_of(document),
            "incentive.per_delivered_item.GL-GXY.fasting-glucose: not an item of GL-GXY (items: follow-up, checkup)"
        );
    }

    #[test]
    fn unknown_missing_and_mistyped_fields_are_refused_by_name() {
        let mut document = shipped();
        document["poverty"]["fee_compensation_precent"] = json!(100);
        let error = refusal_of(document);
        assert!(error.starts_with("poverty.fee_compensation_precent: unknown field"), "{error}");

        let mut document = shipped();
        document["insurance"]["poverty"].as_object_mut().unwrap().remove("deductible_percent");
        let error = refusal_of(document);
        assert!(error.starts_with("insurance.poverty: missing field `deductible_percent`"), "{error}");

        let mut document = shipped();
        document.as_object_mut().unwrap().remove("incentive");
        assert!(refusal_of(document).starts_with("missing field `incentive`"));

        let error = refusal("/packages/GL-TNB/list_price", json!("15000"));
        assert!(error.starts_with("packages.GL-TNB.list_price: invalid type: string"), "{error}");
        let error = refusal("/insurance/poverty/deductible_percent", json!(50.5));
        assert!(error.starts_with("insurance.poverty.deductible_percent: invalid type: floating point"), "{error}");
        assert!(Config::parse("").is_err());
        assert!(Config::parse(&format!("{SHIPPED} {{}}")).unwrap_err().contains("trailing characters"));
    }
}
