//! The configuration document (配置文件, `config.json`): every number the
//! seed leaves open — list prices and who pays them, the base outpatient
//! ratios and limit with the signed residents' raises, and the capitation
//! budget — so that the district changes a number by uploading a new
//! document, not new code.
//!
//! Every field is required and unknown fields are refused (a misspelt field
//! must not fall back to a default); every number is range-checked; a
//! refusal names the field, because the officer who uploaded it reads it.

use std::collections::BTreeMap;

pub use county_kit::config::ByLevel;
use county_kit::config::percent;
use serde::Deserialize;

use super::{BASIC, CATALOGUE};

/// The most any configured amount may be, in fen (ten million yuan): far
/// above any real price, limit or per-head budget, and low enough that a
/// per-head budget times any count of residents (a `u32`) fits in an `i64`.
pub const MAX_FEN: i64 = 1_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Price and payers of every package of the catalogue, by code.
    pub packages: BTreeMap<String, PackageTerms>,
    pub insurance: Insurance,
    pub capitation: Capitation,
}

/// What one package costs and who pays it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageTerms {
    /// Approved list price for a year (物价核定价格), fen.
    pub list_price: i64,
    /// Share paid by the basic public-health fund (基本公共卫生服务经费), percent.
    pub public_health_percent: i64,
    /// Share paid by the insurance fund (医保基金), percent. The resident pays
    /// what the two leave (个人自付).
    pub insurance_percent: i64,
}

/// Outpatient insurance (门诊医保) for signed and unsigned residents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insurance {
    /// Base outpatient reimbursement ratio (门诊报销比例) by level, percent:
    /// what an unsigned resident gets.
    pub outpatient_ratio_percent: ByLevel,
    /// Percentage points added for a signed resident at primary care, the
    /// community station and centre (提高签约对象的基层门诊报销比例).
    pub signed_primary_raise_points: i64,
    /// Percentage points added for a signed resident referred from primary
    /// care to the district hospital (经基层首诊转诊至县级医院的门诊报销比例).
    pub referred_county_raise_points: i64,
    /// Annual outpatient reimbursement limit (年门诊报销限额), fen.
    pub annual_limit: i64,
    /// How much higher a signed resident's annual limit is, fen.
    pub signed_annual_limit_raise: i64,
}

/// Capitation (按人头预付): the per-head budget and its unspent balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capitation {
    /// Budget per signed resident for the period, fen.
    pub per_head_budget: i64,
    /// Share of the unspent balance paid to the team as reward, percent
    /// (the seed: the balance may reward the doctor, so 100 by default).
    pub reward_share_percent: i64,
    /// Lowest assessment score for the reward: the seed rewards the balance
    /// only where the care given was reasonable and effective (考核).
    pub reward_pass_mark: i64,
}

/// An amount within this county's bound, [`MAX_FEN`].
fn fen(field: &str, value: i64) -> Result<(), String> {
    county_kit::config::fen(field, value, MAX_FEN)
}

/// A raise on top of base ratios: the raised ratio must stay a percentage.
fn raise(field: &str, points: i64, bases: &[(&str, i64)]) -> Result<(), String> {
    percent(field, points)?;
    match bases.iter().find(|(_, base)| base + points > 100) {
        Some((level, base)) => {
            Err(format!("{field}: {base} + {points} at {level} is above 100 (the raised ratio must be a percentage)"))
        }
        None => Ok(()),
    }
}

impl Config {
    /// Reads and checks a document.
    pub fn parse(document: &str) -> Result<Config, String> {
        let config: Config = county_kit::config::parse(document)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        for package in CATALOGUE {
            let field = format!("packages.{}", package.code);
            let Some(terms) = self.packages.get(package.code) else { return Err(format!("{field}: missing")) };
            fen(&format!("{field}.list_price"), terms.list_price)?;
            percent(&format!("{field}.public_health_percent"), terms.public_health_percent)?;
            percent(&format!("{field}.insurance_percent"), terms.insurance_percent)?;
            let funds = terms.public_health_percent + terms.insurance_percent;
            if funds > 100 {
                return Err(format!(
                    "{field}: public_health_percent + insurance_percent must be at most 100, got {funds}"
                ));
            }
            if package.code == BASIC && funds != 100 {
                return Err(format!(
                    "{field}: the basic package is free to residents, so public_health_percent + insurance_percent must be 100, got {funds}"
                ));
            }
        }
        if let Some(code) = self.packages.keys().find(|code| super::find(code).is_none()) {
            return Err(format!("packages.{code}: not a package of Jiangdong's catalogue"));
        }

        let insurance = &self.insurance;
        let ratios = insurance.outpatient_ratio_percent;
        ratios.check("insurance.outpatient_ratio_percent", percent)?;
        raise(
            "insurance.signed_primary_raise_points",
            insurance.signed_primary_raise_points,
            &[("village_clinic", ratios.village_clinic), ("township_centre", ratios.township_centre)],
        )?;
        raise(
            "insurance.referred_county_raise_points",
            insurance.referred_county_raise_points,
            &[("county_hospital", ratios.county_hospital)],
        )?;
        fen("insurance.annual_limit", insurance.annual_limit)?;
        fen("insurance.signed_annual_limit_raise", insurance.signed_annual_limit_raise)?;

        let capitation = &self.capitation;
        fen("capitation.per_head_budget", capitation.per_head_budget)?;
        percent("capitation.reward_share_percent", capitation.reward_share_percent)?;
        percent("capitation.reward_pass_mark", capitation.reward_pass_mark)
    }

    /// The terms of a catalogue package.
    pub fn terms(&self, code: &str) -> Option<&PackageTerms> {
        self.packages.get(code)
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

    /// The refusal of the shipped document with one field changed.
    fn refusal(pointer: &str, value: Value) -> String {
        let mut document = shipped();
        *document.pointer_mut(pointer).unwrap() = value;
        Config::parse(&document.to_string()).unwrap_err()
    }

    #[test]
    fn shipped_document_holds_the_documented_defaults() {
        let config = Config::parse(SHIPPED).unwrap();
        let terms: Vec<_> = CATALOGUE
            .iter()
            .map(|p| {
                let t = config.terms(p.code).unwrap();
                (p.code, t.list_price, t.public_health_percent, t.insurance_percent)
            })
            .collect();
        assert_eq!(
            terms,
            [
                ("NBJD-JC", 1000, 100, 0),
                ("NBJD-LN", 12000, 0, 50),
                ("NBJD-MB", 15000, 0, 50),
                ("NBJD-JS", 10000, 0, 50),
                ("NBJD-CJ", 10000, 0, 50),
                ("NBJD-YC", 12000, 0, 50),
                ("NBJD-ET", 10000, 0, 50),
                ("NBJD-TX", 30000, 0, 0),
            ]
        );
        let insurance = config.insurance;
        assert_eq!(
            insurance.outpatient_ratio_percent,
            ByLevel { village_clinic: 50, township_centre: 50, county_hospital: 40, above_county: 30 }
        );
        assert_eq!((insurance.signed_primary_raise_points, insurance.referred_county_raise_points), (10, 10));
        assert_eq!((insurance.annual_limit, insurance.signed_annual_limit_raise), (100000, 50000));
        assert_eq!(
            config.capitation,
            Capitation { per_head_budget: 20000, reward_share_percent: 100, reward_pass_mark: 60 }
        );
    }

    #[test]
    fn percentages_out_of_range_are_refused_by_name() {
        assert_eq!(
            refusal("/packages/NBJD-LN/insurance_percent", json!(101)),
            "packages.NBJD-LN.insurance_percent: must be between 0 and 100, got 101"
        );
        assert_eq!(
            refusal("/insurance/outpatient_ratio_percent/above_county", json!(-1)),
            "insurance.outpatient_ratio_percent.above_county: must be between 0 and 100, got -1"
        );
        assert_eq!(
            refusal("/capitation/reward_share_percent", json!(150)),
            "capitation.reward_share_percent: must be between 0 and 100, got 150"
        );
        assert_eq!(
            refusal("/capitation/reward_pass_mark", json!(101)),
            "capitation.reward_pass_mark: must be between 0 and 100, got 101"
        );
        assert_eq!(
            refusal("/insurance/signed_primary_raise_points", json!(-5)),
            "insurance.signed_primary_raise_points: must be between 0 and 100, got -5"
        );
    }

    #[test]
    fn raised_ratios_must_stay_percentages() {
        assert_eq!(
            refusal("/insurance/signed_primary_raise_points", json!(51)),
            "insurance.signed_primary_raise_points: 50 + 51 at village_clinic is above 100 (the raised ratio must be a percentage)"
        );
        assert_eq!(
            refusal("/insurance/referred_county_raise_points", json!(61)),
            "insurance.referred_county_raise_points: 40 + 61 at county_hospital is above 100 (the raised ratio must be a percentage)"
        );
        // Only the levels the raise applies to count: 90% above the county
        // leaves the referral raise alone.
        let mut document = shipped();
        document["insurance"]["outpatient_ratio_percent"]["above_county"] = json!(95);
        document["insurance"]["referred_county_raise_points"] = json!(60);
        assert!(Config::parse(&document.to_string()).is_ok());
    }

    #[test]
    fn amounts_out_of_range_are_refused_by_name() {
        assert_eq!(
            refusal("/packages/NBJD-TX/list_price", json!(-1)),
            "packages.NBJD-TX.list_price: must be between 0 and 1000000000 fen, got -1"
        );
        assert_eq!(
            refusal("/insurance/annual_limit", json!(MAX_FEN + 1)),
            "insurance.annual_limit: must be between 0 and 1000000000 fen, got 1000000001"
        );
        assert_eq!(
            refusal("/insurance/signed_annual_limit_raise", json!(-50000)),
            "insurance.signed_annual_limit_raise: must be between 0 and 1000000000 fen, got -50000"
        );
        assert_eq!(
            refusal("/capitation/per_head_budget", json!(-20000)),
            "capitation.per_head_budget: must be between 0 and 1000000000 fen, got -20000"
        );
    }

    #[test]
    fn payers_must_add_up() {
        assert_eq!(
            refusal("/packages/NBJD-MB/public_health_percent", json!(60)),
            "packages.NBJD-MB: public_health_percent + insurance_percent must be at most 100, got 110"
        );
        assert_eq!(
            refusal("/packages/NBJD-JC/public_health_percent", json!(90)),
            "packages.NBJD-JC: the basic package is free to residents, so public_health_percent + insurance_percent must be 100, got 90"
        );
        let mut document = shipped();
        document["packages"]["NBJD-JC"] =
            json!({"list_price": 1000, "public_health_percent": 70, "insurance_percent": 30});
        assert!(Config::parse(&document.to_string()).is_ok());
    }

    #[test]
    fn every_package_needs_terms_and_no_other_code_may_have_any() {
        let mut document = shipped();
        document["packages"].as_object_mut().unwrap().remove("NBJD-ET");
        assert_eq!(Config::parse(&document.to_string()).unwrap_err(), "packages.NBJD-ET: missing");
        let mut document = shipped();
        document["packages"]["NBJD-XX"] = json!({"list_price": 1, "public_health_percent": 0, "insurance_percent": 0});
        assert_eq!(
            Config::parse(&document.to_string()).unwrap_err(),
            "packages.NBJD-XX: not a package of Jiangdong's catalogue"
        );
    }

    #[test]
    fn unknown_missing_and_mistyped_fields_are_refused_by_name() {
        let mut document = shipped();
        document["capitation"]["per_head"] = json!(1);
        let error = Config::parse(&document.to_string()).unwrap_err();
        assert!(error.starts_with("capitation.per_head: unknown field `per_head`, expected one of"), "{error}");

        let mut document = shipped();
        document["packages"]["NBJD-LN"].as_object_mut().unwrap().remove("list_price");
        let error = Config::parse(&document.to_string()).unwrap_err();
        assert!(error.starts_with("packages.NBJD-LN: missing field `list_price`"), "{error}");

        let mut document = shipped();
        document.as_object_mut().unwrap().remove("capitation");
        let error = Config::parse(&document.to_string()).unwrap_err();
        assert!(error.starts_with("missing field `capitation`"), "{error}");

        let error = refusal("/insurance/annual_limit", json!("100000"));
        assert!(error.starts_with("insurance.annual_limit: invalid type: string"), "{error}");
        let error = refusal("/capitation/reward_share_percent", json!(99.5));
        assert!(error.starts_with("capitation.reward_share_percent: invalid type: floating point"), "{error}");
    }

    #[test]
    fn trailing_text_and_bad_json_are_refused() {
        assert!(Config::parse(&format!("{SHIPPED} x")).is_err());
        assert!(Config::parse("").is_err());
        assert!(Config::parse("[]").is_err());
    }
}
