//! The county's configuration document (配置文件): the numbers Pei changes
//! without new code, uploaded with each plugin version as `config.json`.
//!
//! The host hands the document to `setup.configure` on every fresh instance,
//! so the parse is one small serde pass. Every field is required, unknown
//! fields are refused (a misspelt field must not silently fall back to a
//! default), and every number is range-checked; a refusal names the field,
//! because the county officer who uploaded the document reads it.

use std::collections::BTreeMap;

pub use county_kit::config::ByLevel;
use county_kit::config::percent;
use serde::Deserialize;

use super::{CATALOGUE, Kind};

/// The most any configured amount may be, in fen (one billion yuan): far
/// above any real price or cap, and low enough that no product of an amount
/// and a count or percentage can overflow.
pub const MAX_FEN: i64 = 100_000_000_000;

/// Pei's configuration. Read it with [`Config::parse`], which validates it;
/// serde alone would accept numbers out of range.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Approved list price (物价核定价格) of each package, fen, by code: all
    /// eight packages, no other code.
    pub list_prices: BTreeMap<String, i64>,
    /// The checkup package PEI-TJ costs this percentage of its list price
    /// (体检包四折: 40).
    pub checkup_percent: i64,
    /// The child-care package PEI-ET costs kindergarten children this
    /// percentage of its list price (入园儿童六折: 60).
    pub kindergarten_percent: i64,
    pub insurance: Insurance,
    pub incentive: Incentive,
}

/// Medical-insurance numbers (医保).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insurance {
    /// Outpatient benefits (门诊); rehabilitation claims use them too.
    pub outpatient: Benefit,
    /// Inpatient benefits (住院).
    pub inpatient: Benefit,
    /// How much a signed resident's annual outpatient cap rises (签约居民门诊
    /// 封顶线提高 300 元: 30000 fen).
    pub signed_outpatient_cap_raise: i64,
    /// The share of the balance left after insurance that the township health
    /// centre pays for a stroke-rehabilitation claim of a resident who signed
    /// PEI-NZ (脑卒中康复包再报销 10%).
    pub stroke_rehab_top_up_percent: i64,
    /// The national poverty rules (建档立卡贫困人口).
    pub registered_poor: Poverty,
}

/// One kind of care's deductible, ratio and cap.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Benefit {
    /// Deductible for the year (起付线) by level of care, fen.
    pub deductible: ByLevel,
    /// Reimbursement ratio (报销比例) above the deductible by level, percent.
    pub ratio_percent: ByLevel,
    /// Annual reimbursement cap (年度封顶线), fen, before any raise.
    pub annual_cap: i64,
}

/// What registered-poor residents (建档立卡贫困人口) get.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Poverty {
    /// Their deductible as a percentage of everyone's (降低起付线).
    pub deductible_percent: i64,
    /// How much of what remains theirs to pay medical assistance compensates
    /// (兜底补偿), percent.
    pub compensation_percent: i64,
}

/// Team incentive numbers (激励).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incentive {
    /// Reward per signing by package code, fen (优孕优育包、老年保健包每签约一人
    /// 奖励 15 元: 1500). Packages not listed earn nothing per signing.
    pub per_signing: BTreeMap<String, i64>,
    /// Basic public-health subsidy for signing work per signed resident, fen
    /// (人均新增 10 元全部用于签约: 1000).
    pub subsidy_per_resident: i64,
    /// Lowest assessment score (考核得分) for which the subsidy is paid.
    pub subsidy_pass_mark: i64,
}

/// An amount within Pei's bound, [`MAX_FEN`].
fn fen(field: &str, value: i64) -> Result<(), String> {
    county_kit::config::fen(field, value, MAX_FEN)
}

fn benefit(field: &str, benefit: &Benefit) -> Result<(), String> {
    benefit.deductible.check(&format!("{field}.deductible"), fen)?;
    benefit.ratio_percent.check(&format!("{field}.ratio_percent"), percent)?;
    fen(&format!("{field}.annual_cap"), benefit.annual_cap)
}

impl Config {
    /// Reads and checks a configuration document.
    pub fn parse(document: &str) -> Result<Config, String> {
        // Every fresh instance that is not snapshotted reads the document:
        // the plain parse is the fast path, and only a refused document is
        // read again, by the kit, to name the field.
        let config = match serde_json::from_str::<Config>(document) {
            Ok(config) => config,
            Err(_) => county_kit::config::parse(document)?,
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        for package in CATALOGUE {
            match self.list_prices.get(package.code) {
                Some(price) => fen(&format!("list_prices.{}", package.code), *price)?,
                None => return Err(format!("list_prices.{}: missing", package.code)),
            }
        }
        if let Some(code) = self.list_prices.keys().find(|code| super::find(code).is_none()) {
            return Err(format!("list_prices.{code}: not a package of Pei's catalogue"));
        }
        percent("checkup_percent", self.checkup_percent)?;
        percent("kindergarten_percent", self.kindergarten_percent)?;

        let insurance = &self.insurance;
        benefit("insurance.outpatient", &insurance.outpatient)?;
        benefit("insurance.inpatient", &insurance.inpatient)?;
        fen("insurance.signed_outpatient_cap_raise", insurance.signed_outpatient_cap_raise)?;
        percent("insurance.stroke_rehab_top_up_percent", insurance.stroke_rehab_top_up_percent)?;
        percent("insurance.registered_poor.deductible_percent", insurance.registered_poor.deductible_percent)?;
        percent("insurance.registered_poor.compensation_percent", insurance.registered_poor.compensation_percent)?;

        let incentive = &self.incentive;
        for (code, amount) in &incentive.per_signing {
            let field = format!("incentive.per_signing.{code}");
            match super::find(code) {
                Some(package) if package.kind == Kind::Personalised => fen(&field, *amount)?,
                Some(_) => return Err(format!("{field}: the basic package earns no signing reward")),
                None => return Err(format!("{field}: not a package of Pei's catalogue")),
            }
        }
        fen("incentive.subsidy_per_resident", incentive.subsidy_per_resident)?;
        percent("incentive.subsidy_pass_mark", incentive.subsidy_pass_mark)
    }

    /// The configured list price of a catalogue package.
    pub fn list_price(&self, code: &str) -> Option<i64> {
        self.list_prices.get(code).copied()
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn shipped_document_is_accepted_with_the_documented_numbers() {
        let config = Config::parse(SHIPPED).unwrap();
        let prices: Vec<_> = CATALOGUE.iter().map(|p| (p.code, config.list_price(p.code).unwrap())).collect();
        assert_eq!(
            prices,
            [
                ("PEI-GW", 1000),
                ("PEI-YY", 12000),
                ("PEI-ET", 10000),
                ("PEI-LN", 12000),
                ("PEI-MB", 15000),
                ("PEI-TJ", 20000),
                ("PEI-TX", 30000),
                ("PEI-NZ", 36000),
            ]
        );
        // The county documents' numbers.
        assert_eq!((config.checkup_percent, config.kindergarten_percent), (40, 60));
        assert_eq!(config.insurance.signed_outpatient_cap_raise, 30000);
        assert_eq!(config.insurance.stroke_rehab_top_up_percent, 10);
        assert_eq!(config.incentive.per_signing.get("PEI-YY"), Some(&1500));
        assert_eq!(config.incentive.per_signing.get("PEI-LN"), Some(&1500));
        assert_eq!(config.incentive.subsidy_per_resident, 1000);
    }

    #[test]
    fn percentages_out_of_range_are_refused_by_name() {
        assert_eq!(refusal("/checkup_percent", json!(140)), "checkup_percent: must be between 0 and 100, got 140");
        assert_eq!(
            refusal("/kindergarten_percent", json!(-1)),
            "kindergarten_percent: must be between 0 and 100, got -1"
        );
        assert_eq!(
            refusal("/insurance/inpatient/ratio_percent/county_hospital", json!(101)),
            "insurance.inpatient.ratio_percent.county_hospital: must be between 0 and 100, got 101"
        );
        assert_eq!(
            refusal("/insurance/stroke_rehab_top_up_percent", json!(200)),
            "insurance.stroke_rehab_top_up_percent: must be between 0 and 100, got 200"
        );
        assert_eq!(
            refusal("/insurance/registered_poor/compensation_percent", json!(150)),
            "insurance.registered_poor.compensation_percent: must be between 0 and 100, got 150"
        );
        assert_eq!(
            refusal("/incentive/subsidy_pass_mark", json!(101)),
            "incentive.subsidy_pass_mark: must be between 0 and 100, got 101"
        );
    }

    #[test]
    fn amounts_out_of_range_are_refused_by_name() {
        assert_eq!(
            refusal("/list_prices/PEI-TJ", json!(-1)),
            "list_prices.PEI-TJ: must be between 0 and 100000000000 fen, got -1"
        );
        assert_eq!(
            refusal("/insurance/outpatient/deductible/village_clinic", json!(-5)),
            "insurance.outpatient.deductible.village_clinic: must be between 0 and 100000000000 fen, got -5"
        );
        assert_eq!(
            refusal("/insurance/outpatient/annual_cap", json!(MAX_FEN + 1)),
            "insurance.outpatient.annual_cap: must be between 0 and 100000000000 fen, got 100000000001"
        );
        assert_eq!(
            refusal("/insurance/signed_outpatient_cap_raise", json!(-30000)),
            "insurance.signed_outpatient_cap_raise: must be between 0 and 100000000000 fen, got -30000"
        );
        assert_eq!(
            refusal("/incentive/per_signing/PEI-LN", json!(-1500)),
            "incentive.per_signing.PEI-LN: must be between 0 and 100000000000 fen, got -1500"
        );
        assert_eq!(
            refusal("/incentive/subsidy_per_resident", json!(-1)),
            "incentive.subsidy_per_resident: must be between 0 and 100000000000 fen, got -1"
        );
    }

    #[test]
    fn every_package_needs_a_price_and_no_other_code_may_have_one() {
        let mut document = shipped();
        document["list_prices"].as_object_mut().unwrap().remove("PEI-NZ");
        assert_eq!(Config::parse(&document.to_string()).unwrap_err(), "list_prices.PEI-NZ: missing");

        let mut document = shipped();
        document["list_prices"]["PEI-XX"] = json!(100);
        assert_eq!(
            Config::parse(&document.to_string()).unwrap_err(),
            "list_prices.PEI-XX: not a package of Pei's catalogue"
        );
    }

    #[test]
    fn signing_rewards_name_personalised_packages_of_the_catalogue() {
        let mut document = shipped();
        document["incentive"]["per_signing"]["PEI-XX"] = json!(100);
        assert_eq!(
            Config::parse(&document.to_string()).unwrap_err(),
            "incentive.per_signing.PEI-XX: not a package of Pei's catalogue"
        );
        let mut document = shipped();
        document["incentive"]["per_signing"]["PEI-GW"] = json!(100);
        assert_eq!(
            Config::parse(&document.to_string()).unwrap_err(),
            "incentive.per_signing.PEI-GW: the basic package earns no signing reward"
        );
    }

    #[test]
    fn unknown_and_missing_fields_are_refused_by_name() {
        let mut document = shipped();
        document["checkup_precent"] = json!(40);
        let error = Config::parse(&document.to_string()).unwrap_err();
        assert!(error.starts_with("checkup_precent: unknown field `checkup_precent`, expected one of"), "{error}");

        let mut document = shipped();
        document["insurance"]["outpatient"]["cap"] = json!(1);
        let error = Config::parse(&document.to_string()).unwrap_err();
        assert!(error.starts_with("insurance.outpatient.cap: unknown field `cap`"), "{error}");

        let mut document = shipped();
        document["insurance"]["registered_poor"].as_object_mut().unwrap().remove("deductible_percent");
        let error = Config::parse(&document.to_string()).unwrap_err();
        assert!(error.starts_with("insurance.registered_poor: missing field `deductible_percent`"), "{error}");

        let mut document = shipped();
        document.as_object_mut().unwrap().remove("incentive");
        let error = Config::parse(&document.to_string()).unwrap_err();
        assert!(error.starts_with("missing field `incentive`"), "{error}");
    }

    #[test]
    fn wrong_types_and_bad_json_are_refused() {
        let error = refusal("/insurance/inpatient/annual_cap", json!("200000"));
        assert!(error.starts_with("insurance.inpatient.annual_cap: invalid type: string"), "{error}");
        let error = refusal("/checkup_percent", json!(40.5));
        assert!(error.starts_with("checkup_percent: invalid type: floating point"), "{error}");
        assert!(Config::parse("").is_err());
        assert!(Config::parse("[]").is_err());
        assert!(Config::parse(&format!("{SHIPPED} {{}}")).unwrap_err().contains("trailing characters"));
    }
}
