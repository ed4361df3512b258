//! The configuration document (配置文件, `config.json`): every number the
//! plan leaves to the county, uploaded with each plugin version.
//!
//! Every field is required and unknown fields are refused, so a misspelt
//! field cannot fall back to a default; every number is range-checked; a
//! refusal names the field, because the county officer who uploaded the
//! document reads it.

use std::collections::BTreeMap;

pub use county_kit::config::ByLevel;
use county_kit::config::percent;
use serde::Deserialize;

use crate::qianyue::county::types::{PackageKind, PopulationTags};

use super::TAGS;
use super::catalogue::{CATALOGUE, find};
use super::pricing::split;

/// The most any configured amount may be, in fen (100 million yuan): far
/// above any real price, and small enough that every product the rules form
/// stays exact in `i128`.
pub const MAX_FEN: i64 = 10_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Each basic package's value (物价核定价格), fen, by code; the basic
    /// public-health fund pays it all. Exactly the eight basic packages.
    pub basic_list_prices: BTreeMap<String, i64>,
    /// Each paid package's price and its split, by code. Exactly the eleven
    /// paid packages.
    pub paid_packages: BTreeMap<String, PaidPackage>,
    /// Who has the self-pay part of a paid package waived (减免).
    pub self_pay_waiver: Waiver,
    pub insurance: Insurance,
    pub incentive: Incentive,
}

/// A paid package's fee and who bears it (基本公共卫生服务经费、医保基金和
/// 签约居民付费共同承担).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaidPackage {
    /// The yearly fee (服务包价格), fen.
    pub list_price: i64,
    /// What the package's items cost at the current medical service prices
    /// (现行医疗服务价格), fen. The plan charges "below the current medical
    /// price after insurance": see [`Config::parse`].
    pub current_medical_price: i64,
    /// The public-health services inside the package, paid by the basic
    /// public-health fund, fen; at most the list price.
    pub public_health_fund: i64,
    /// The insurance fund's share of the rest, percent.
    pub insurance_percent: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// Population tags (as in the golden files, e.g. `registered_poor`)
    /// whose holders get the waiver.
    pub tags: Vec<String>,
    /// How much of their self-pay part is waived, percent.
    pub percent: i64,
}

/// Basic medical insurance for urban and rural residents (城乡居民医保).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insurance {
    /// General outpatient pooling (普通门诊统筹); rehabilitation outside a
    /// stay is adjudicated as outpatient care.
    pub outpatient: Outpatient,
    pub inpatient: Inpatient,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outpatient {
    /// Reimbursement ratio (报销比例) by level of care, percent; no
    /// deductible.
    pub ratio_percent: ByLevel,
    /// Annual outpatient reimbursement cap (年度封顶线), fen.
    pub annual_cap: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inpatient {
    /// Deductible of each stay (住院起付线, 按次) by level, fen.
    pub deductible_per_stay: Wards,
    /// Reimbursement ratio above the deductible by level, percent.
    pub ratio_percent: Wards,
    /// Annual inpatient reimbursement cap, fen.
    pub annual_cap: i64,
}

/// One number per level that has beds: village clinics admit no one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wards {
    pub township_centre: i64,
    pub county_hospital: i64,
    pub above_county: i64,
}

/// Team payment by fulfilment (按履约数量和质量, 经考核后拨付).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incentive {
    /// What one delivery of an item earns the team, fen, by package code and
    /// item code: every item of every package.
    pub unit_payments: BTreeMap<String, BTreeMap<String, i64>>,
    /// The lowest assessment score that passes (考核合格).
    pub pass_mark: i64,
    /// The share of the score-weighted payment a team below the pass mark
    /// still gets, percent (0: nothing, as the plan's 扣减相应补助经费).
    pub below_pass_percent: i64,
}

/// An amount within this county's bound, [`MAX_FEN`].
fn fen(field: &str, value: i64) -> Result<(), String> {
    county_kit::config::fen(field, value, MAX_FEN)
}

/// A map keyed by package code must name exactly `codes`.
fn exactly<V>(field: &str, map: &BTreeMap<String, V>, codes: &[&str], what: &str) -> Result<(), String> {
    if let Some(code) = codes.iter().find(|code| !map.contains_key(**code)) {
        return Err(format!("{field}.{code}: missing"));
    }
    match map.keys().find(|key| !codes.contains(&key.as_str())) {
        Some(key) => Err(format!("{field}.{key}: not {what}")),
        None => Ok(()),
    }
}

fn codes(kind: PackageKind) -> Vec<&'static str> {
    CATALOGUE.iter().filter(|p| p.kind == kind).map(|p| p.code).collect()
}

impl Config {
    /// Reads and checks a configuration document.
    pub fn parse(document: &str) -> Result<Config, String> {
        let config: Config = county_kit::config::parse(document)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let basic = codes(PackageKind::Basic);
        exactly("basic_list_prices", &self.basic_list_prices, &basic, "a basic package of the catalogue")?;
        for (code, price) in &self.basic_list_prices {
            fen(&format!("basic_list_prices.{code}"), *price)?;
        }

        let paid = codes(PackageKind::Personalised);
        exactly("paid_packages", &self.paid_packages, &paid, "a paid package of the catalogue")?;
        for (code, package) in &self.paid_packages {
            let field = format!("paid_packages.{code}");
            fen(&format!("{field}.list_price"), package.list_price)?;
            fen(&format!("{field}.current_medical_price"), package.current_medical_price)?;
            fen(&format!("{field}.public_health_fund"), package.public_health_fund)?;
            percent(&format!("{field}.insurance_percent"), package.insurance_percent)?;
            if package.public_health_fund > package.list_price {
                return Err(format!(
                    "{field}.public_health_fund: must not exceed the list price {}, got {}",
                    package.list_price, package.public_health_fund
                ));
            }
            // 按照低于现行医疗服务价格扣除医保补偿后收费: what the resident pays
            // must be below what the items would cost them at current prices
            // after the same insurance compensation.
            let (_, insurance, self_pay) = split(package);
            let ceiling = package.current_medical_price - insurance;
            if self_pay >= ceiling {
                return Err(format!(
                    "{field}: self-pay {self_pay} fen must be below the current medical price after insurance, {} − {insurance} = {ceiling} fen",
                    package.current_medical_price
                ));
            }
        }

        for (i, name) in self.self_pay_waiver.tags.iter().enumerate() {
            if !TAGS.iter().any(|(_, known, _)| known == name) {
                return Err(format!("self_pay_waiver.tags[{i}]: unknown population tag `{name}`"));
            }
        }
        percent("self_pay_waiver.percent", self.self_pay_waiver.percent)?;

        let outpatient = &self.insurance.outpatient;
        outpatient.ratio_percent.check("insurance.outpatient.ratio_percent", percent)?;
        fen("insurance.outpatient.annual_cap", outpatient.annual_cap)?;
        let inpatient = &self.insurance.inpatient;
        for (level, deductible, ratio) in [
            ("township_centre", inpatient.deductible_per_stay.township_centre, inpatient.ratio_percent.township_centre),
            ("county_hospital", inpatient.deductible_per_stay.county_hospital, inpatient.ratio_percent.county_hospital),
            ("above_county", inpatient.deductible_per_stay.above_county, inpatient.ratio_percent.above_county),
        ] {
            fen(&format!("insurance.inpatient.deductible_per_stay.{level}"), deductible)?;
            percent(&format!("insurance.inpatient.ratio_percent.{level}"), ratio)?;
        }
        fen("insurance.inpatient.annual_cap", inpatient.annual_cap)?;

        let incentive = &self.incentive;
        let all: Vec<&str> = CATALOGUE.iter().map(|p| p.code).collect();
        exactly("incentive.unit_payments", &incentive.unit_payments, &all, "a package of the catalogue")?;
        for (code, payments) in &incentive.unit_payments {
            let field = format!("incentive.unit_payments.{code}");
            let items: Vec<&str> = find(code).map(|p| p.items.iter().map(|i| i.code).collect()).unwrap_or_default();
            exactly(&field, payments, &items, &format!("an item of {code}"))?;
            for (item, amount) in payments {
                fen(&format!("{field}.{item}"), *amount)?;
            }
        }
        percent("incentive.pass_mark", incentive.pass_mark)?;
        percent("incentive.below_pass_percent", incentive.below_pass_percent)
    }

    /// The configured list price of a catalogue package (0 for a code the
    /// catalogue lacks, which no caller asks for).
    pub fn list_price(&self, code: &str) -> i64 {
        match self.paid_packages.get(code) {
            Some(package) => package.list_price,
            None => self.basic_list_prices.get(code).copied().unwrap_or(0),
        }
    }

    /// The tags whose holders have their self-pay waived.
    pub fn waiver_tags(&self) -> PopulationTags {
        TAGS.iter()
            .filter(|(_, name, _)| self.self_pay_waiver.tags.iter().any(|t| t == name))
            .fold(PopulationTags::empty(), |tags, (flag, _, _)| tags | *flag)
    }

    /// What one delivery of an item earns, if the catalogue has the item.
    pub fn unit_payment(&self, package: &str, item: &str) -> Option<i64> {
        self.incentive.unit_payments.get(package).and_then(|items| items.get(item)).copied()
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

    fn parse(document: &Value) -> Result<Config, String> {
        Config::parse(&document.to_string())
    }

    /// The refusal for the shipped document with one field changed.
    fn refusal(pointer: &str, value: Value) -> String {
        let mut document = shipped();
        *document.pointer_mut(pointer).unwrap() = value;
        parse(&document).unwrap_err()
    }

    #[test]
    fn shipped_document_is_accepted() {
        let config = Config::parse(SHIPPED).unwrap();
        assert_eq!(config.basic_list_prices.len(), 8);
        assert_eq!(config.paid_packages.len(), 11);
        assert_eq!(config.waiver_tags(), PopulationTags::REGISTERED_POOR);
        assert_eq!((config.incentive.pass_mark, config.incentive.below_pass_percent), (60, 0));
        assert_eq!(config.list_price("AH-JC-YB"), 2000);
        assert_eq!(config.list_price("AH-GX-LN"), 12000);
        assert_eq!(config.unit_payment("AH-JC-TNB", "fasting-glucose"), Some(500));
        assert_eq!(config.unit_payment("AH-JC-TNB", "nothing"), None);
    }

    #[test]
    fn numbers_out_of_range_are_refused_by_name() {
        assert_eq!(
            refusal("/paid_packages/AH-GX-LN/insurance_percent", json!(101)),
            "paid_packages.AH-GX-LN.insurance_percent: must be between 0 and 100, got 101"
        );
        assert_eq!(
            refusal("/basic_list_prices/AH-JC-ET", json!(-1)),
            "basic_list_prices.AH-JC-ET: must be between 0 and 10000000000 fen, got -1"
        );
        assert_eq!(
            refusal("/insurance/outpatient/ratio_percent/village_clinic", json!(150)),
            "insurance.outpatient.ratio_percent.village_clinic: must be between 0 and 100, got 150"
        );
        assert_eq!(
            refusal("/insurance/inpatient/deductible_per_stay/county_hospital", json!(MAX_FEN + 1)),
            "insurance.inpatient.deductible_per_stay.county_hospital: must be between 0 and 10000000000 fen, got 10000000001"
        );
        assert_eq!(
            refusal("/insurance/inpatient/annual_cap", json!(-5)),
            "insurance.inpatient.annual_cap: must be between 0 and 10000000000 fen, got -5"
        );
        assert_eq!(
            refusal("/incentive/unit_payments/AH-JC-TNB/follow-up", json!(-100)),
            "incentive.unit_payments.AH-JC-TNB.follow-up: must be between 0 and 10000000000 fen, got -100"
        );
        assert_eq!(
            refusal("/incentive/pass_mark", json!(101)),
            "incentive.pass_mark: must be between 0 and 100, got 101"
        );
        assert_eq!(
            refusal("/incentive/below_pass_percent", json!(-1)),
            "incentive.below_pass_percent: must be between 0 and 100, got -1"
        );
        assert_eq!(
            refusal("/self_pay_waiver/percent", json!(120)),
            "self_pay_waiver.percent: must be between 0 and 100, got 120"
        );
    }

    #[test]
    fn paid_package_splits_are_checked() {
        assert_eq!(
            refusal("/paid_packages/AH-GX-LN/public_health_fund", json!(12001)),
            "paid_packages.AH-GX-LN.public_health_fund: must not exceed the list price 12000, got 12001"
        );
        // 12000 − 2000 = 10000, insurance 40% = 4000, self-pay 6000; at a
        // current medical price of 10000 the resident would pay 10000 − 4000 =
        // 6000 buying the items one by one: not below, refused.
        assert_eq!(
            refusal("/paid_packages/AH-GX-LN/current_medical_price", json!(10000)),
            "paid_packages.AH-GX-LN: self-pay 6000 fen must be below the current medical price after insurance, 10000 − 4000 = 6000 fen"
        );
        let mut document = shipped();
        document["paid_packages"]["AH-GX-LN"]["current_medical_price"] = json!(10001);
        assert!(parse(&document).is_ok());
    }

    #[test]
    fn every_package_and_item_is_named_once() {
        let mut document = shipped();
        document["basic_list_prices"].as_object_mut().unwrap().remove("AH-JC-JHB");
        assert_eq!(parse(&document).unwrap_err(), "basic_list_prices.AH-JC-JHB: missing");

        let mut document = shipped();
        document["basic_list_prices"]["AH-GX-LN"] = json!(100);
        assert_eq!(parse(&document).unwrap_err(), "basic_list_prices.AH-GX-LN: not a basic package of the catalogue");

        let mut document = shipped();
        document["paid_packages"].as_object_mut().unwrap().remove("AH-GX-JK");
        assert_eq!(parse(&document).unwrap_err(), "paid_packages.AH-GX-JK: missing");

        let mut document = shipped();
        document["incentive"]["unit_payments"]["AH-GX-XX"] = json!({});
        assert_eq!(parse(&document).unwrap_err(), "incentive.unit_payments.AH-GX-XX: not a package of the catalogue");

        let mut document = shipped();
        document["incentive"]["unit_payments"]["AH-JC-TNB"].as_object_mut().unwrap().remove("follow-up");
        assert_eq!(parse(&document).unwrap_err(), "incentive.unit_payments.AH-JC-TNB.follow-up: missing");

        let mut document = shipped();
        document["incentive"]["unit_payments"]["AH-JC-TNB"]["ecg"] = json!(1);
        assert_eq!(parse(&document).unwrap_err(), "incentive.unit_payments.AH-JC-TNB.ecg: not an item of AH-JC-TNB");
    }

    #[test]
    fn waiver_tags_must_be_population_tags() {
        assert_eq!(
            refusal("/self_pay_waiver/tags", json!(["registered_poor", "rich"])),
            "self_pay_waiver.tags[1]: unknown population tag `rich`"
        );
        let mut document = shipped();
        document["self_pay_waiver"]["tags"] = json!(["registered_poor", "poverty_monitoring"]);
        let config = parse(&document).unwrap();
        assert_eq!(config.waiver_tags(), PopulationTags::REGISTERED_POOR | PopulationTags::POVERTY_MONITORING);
    }

    #[test]
    fn unknown_missing_and_mistyped_fields_are_refused_by_name() {
        let mut document = shipped();
        document["incentive"]["pass_marks"] = json!(60);
        let error = parse(&document).unwrap_err();
        assert!(error.starts_with("incentive.pass_marks: unknown field `pass_marks`"), "{error}");

        let mut document = shipped();
        document["insurance"]["inpatient"]["deductible_per_stay"]["village_clinic"] = json!(0);
        let error = parse(&document).unwrap_err();
        assert!(
            error.starts_with("insurance.inpatient.deductible_per_stay.village_clinic: unknown field `village_clinic`"),
            "{error}"
        );

        let mut document = shipped();
        document["paid_packages"]["AH-GX-ZL"].as_object_mut().unwrap().remove("insurance_percent");
        let error = parse(&document).unwrap_err();
        assert!(error.starts_with("paid_packages.AH-GX-ZL: missing field `insurance_percent`"), "{error}");

        let error = refusal("/paid_packages/AH-GX-ZL/list_price", json!(200.5));
        assert!(error.starts_with("paid_packages.AH-GX-ZL.list_price: invalid type: floating point"), "{error}");

        let mut document = shipped();
        document.as_object_mut().unwrap().remove("insurance");
        assert!(parse(&document).unwrap_err().starts_with("missing field `insurance`"));
        assert!(Config::parse("").is_err());
        assert!(Config::parse(&format!("{SHIPPED} {{}}")).unwrap_err().contains("trailing characters"));
    }
}
