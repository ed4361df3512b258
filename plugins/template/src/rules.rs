//! 模板县's rules: plain functions of the configuration and a request, free
//! of any WebAssembly glue and tested natively with `cargo test`.
//!
//! Every rule here is a deliberately simple example: replace it with your
//! county's. The places to change are marked `改这里 / change here`.
//! Money is integer fen; shares of an amount are rounded half up to the fen
//! ([`percent_of`]); the same input always gives the same answer.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::exports::qianyue::county::incentive::{Settlement, SettlementKind, SettlementLine, TeamActivity};
use crate::exports::qianyue::county::insurance::{Adjudication, CareKind, Claim, Payer, Share, ShareKind};
use crate::exports::qianyue::county::pricing::{Adjustment, AdjustmentKind, PriceRequest, Quote};
use crate::qianyue::county::types::{Item, Package, PackageKind, PopulationTags, Refusal, ResidentFacts};

// 改这里 / change here: your county's GB/T 2260 code and name. The plugin's
// version is Cargo.toml's.
pub const COUNTY_CODE: &str = "000000";
pub const COUNTY_NAME: &str = "模板县";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

// 改这里 / change here: the service years (periods) your rules apply to;
// `LAST_PERIOD` becomes `Some(year)` when they stop.
pub const FIRST_PERIOD: u16 = 2025;
pub const LAST_PERIOD: Option<u16> = None;

// 改这里 / change here: your county's package codes. Contracts refer to
// packages by code, so a code never changes meaning once used.
pub const BASIC: &str = "TPL-JC";
pub const ELDERLY_CARE: &str = "TPL-LN";

/// The most any configured amount may be, in fen (ten million yuan): far
/// above any real price, and low enough that a reward times any count of
/// signings fits in an `i64`.
pub const MAX_FEN: i64 = 1_000_000_000;

/// The configuration document (`config.json`): the numbers the county
/// changes without new code. Every field is required, unknown fields are
/// refused, and [`Config::parse`] checks every number.
// 改这里 / change here: your county's numbers; check each in `validate`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Approved list price (物价核定价格) of every package, fen, by code.
    pub list_prices: BTreeMap<String, i64>,
    /// TPL-LN's discount (折扣), percent of its list price.
    pub elderly_discount_percent: i64,
    /// Outpatient reimbursement ratio (门诊报销比例), percent.
    pub outpatient_ratio_percent: i64,
    /// What a team earns for each signing of TPL-LN (签约奖励), fen.
    pub elderly_reward_per_signing: i64,
}

fn percent(field: &str, value: i64) -> Result<(), String> {
    if (0..=100).contains(&value) { Ok(()) } else { Err(format!("{field}: must be between 0 and 100, got {value}")) }
}

fn fen(field: &str, value: i64) -> Result<(), String> {
    if (0..=MAX_FEN).contains(&value) {
        Ok(())
    } else {
        Err(format!("{field}: must be between 0 and {MAX_FEN} fen, got {value}"))
    }
}

impl Config {
    /// Reads and checks a document. A refusal names the field, because the
    /// county officer who uploaded the document reads it.
    pub fn parse(document: &str) -> Result<Config, String> {
        let mut json = serde_json::Deserializer::from_str(document);
        let config: Config =
            serde_path_to_error::deserialize(&mut json).map_err(|error| match error.path().to_string().as_str() {
                "." => error.into_inner().to_string(),
                path => format!("{path}: {}", error.into_inner()),
            })?;
        json.end().map_err(|error| error.to_string())?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let codes: Vec<String> = packages(self).into_iter().map(|package| package.code).collect();
        for code in &codes {
            match self.list_prices.get(code) {
                Some(price) => fen(&format!("list_prices.{code}"), *price)?,
                None => return Err(format!("list_prices.{code}: missing")),
            }
        }
        if let Some(code) = self.list_prices.keys().find(|code| !codes.contains(code)) {
            return Err(format!("list_prices.{code}: not a package of the catalogue"));
        }
        percent("elderly_discount_percent", self.elderly_discount_percent)?;
        percent("outpatient_ratio_percent", self.outpatient_ratio_percent)?;
        fen("elderly_reward_per_signing", self.elderly_reward_per_signing)
    }
}

/// `percent`% of `amount`, half up to the fen as the WIT prescribes:
/// `(amount × percent + 50) / 100`. Both are non-negative (the checks see
/// to it) and `percent` is at most 100; `i128` so that nothing overflows.
pub fn percent_of(amount: i64, percent: i64) -> i64 {
    let share = (i128::from(amount) * i128::from(percent) + 50) / 100;
    i64::try_from(share).unwrap_or(amount)
}

fn check_year(year: u16) -> Result<(), Refusal> {
    if year < FIRST_PERIOD || LAST_PERIOD.is_some_and(|last| year > last) {
        return Err(Refusal::InvalidRequest(format!(
            "{year} 年不在本插件适用的服务年度内 (not in the periods these rules apply to, {FIRST_PERIOD} on)"
        )));
    }
    Ok(())
}

fn item(code: &str, name: &str, times_per_year: u32) -> Item {
    Item { code: code.to_string(), name: name.to_string(), times_per_year, price_cap: None }
}

/// The catalogue, priced from the configuration.
pub fn packages(config: &Config) -> Vec<Package> {
    let price = |code: &str| config.list_prices.get(code).copied().unwrap_or(0);
    // 改这里 / change here: your county's packages, who may sign them
    // (empty target groups: everyone) and what the team owes each year.
    vec![
        Package {
            code: BASIC.to_string(),
            name: "基础包".to_string(),
            kind: PackageKind::Basic,
            target_groups: PopulationTags::empty(),
            bundled_with: None,
            items: vec![item("health-record", "健康档案", 1), item("health-education", "健康教育", 4)],
            list_price: price(BASIC),
        },
        Package {
            code: ELDERLY_CARE.to_string(),
            name: "老年保健包".to_string(),
            kind: PackageKind::Personalised,
            target_groups: PopulationTags::ELDERLY,
            bundled_with: Some(BASIC.to_string()),
            items: vec![item("elderly-checkup", "老年人健康体检", 1), item("follow-up", "面对面随访", 4)],
            list_price: price(ELDERLY_CARE),
        },
    ]
}

fn package(config: &Config, code: &str) -> Result<Package, Refusal> {
    let found = packages(config).into_iter().find(|package| package.code == code);
    found.ok_or_else(|| Refusal::UnknownPackage(code.to_string()))
}

/// The basic package a resident must get (不得漏选或错选).
// 改这里 / change here: counties with a basic package per population group
// choose it from `resident.tags` here.
pub fn basic_package(_config: &Config, _resident: &ResidentFacts) -> Result<String, Refusal> {
    Ok(BASIC.to_string())
}

/// May this resident sign this package? Yes if the package has no target
/// groups or the resident has one of them.
pub fn eligible(config: &Config, code: &str, resident: &ResidentFacts) -> Result<Package, Refusal> {
    let package = package(config, code)?;
    let groups = package.target_groups;
    if !groups.is_empty() && !groups.intersects(resident.tags) {
        let tags: Vec<String> = groups.iter_names().map(|(name, _)| name.to_lowercase().replace('_', "-")).collect();
        let tags = tags.join(", ");
        return Err(Refusal::NotEligible(format!(
            "{}仅面向人群标签为 {tags} 的居民 ({} is only for residents tagged {tags})",
            package.name, package.code
        )));
    }
    Ok(package)
}

/// The price of a package for a resident and who pays it: the funds' and
/// the resident's shares add up to the list price less the adjustments.
pub fn price(config: &Config, request: &PriceRequest) -> Result<Quote, Refusal> {
    let package = eligible(config, &request.package_code, &request.resident)?;
    check_year(request.starts_on.year)?;
    let (list, name) = (package.list_price, package.name);
    // 改这里 / change here: each package's discounts, waivers and payers.
    if package.code == BASIC {
        return Ok(Quote {
            list_price: list,
            adjustments: Vec::new(),
            public_health_fund: list,
            insurance_fund: 0,
            self_pay: 0,
            rule: format!("{name}由基本公共卫生服务经费全额支付: {list} 分"),
        });
    }
    let percent = config.elderly_discount_percent;
    let discount = percent_of(list, percent);
    let self_pay = list - discount;
    let adjustment = Adjustment {
        kind: AdjustmentKind::Discount,
        amount: discount,
        reason: format!("{name}优惠 {percent}%: {list} × {percent}% = {discount} 分"),
    };
    Ok(Quote {
        list_price: list,
        // The WIT wants every adjustment positive: no discount, no line.
        adjustments: if discount > 0 { vec![adjustment] } else { Vec::new() },
        public_health_fund: 0,
        insurance_fund: 0,
        self_pay,
        rule: format!("{name}: {list} − {discount} = {self_pay} 分, 个人自付"),
    })
}

/// Who pays how much of a claim. The shares add up to the claim's amount.
pub fn adjudicate(config: &Config, claim: &Claim) -> Result<Adjudication, Refusal> {
    check_year(claim.on.year)?;
    let amount = claim.amount;
    if amount < 0 {
        return Err(Refusal::InvalidRequest(format!("费用不能为负 (the amount must not be negative): {amount}")));
    }
    // 改这里 / change here: your county's deductibles, ratios and caps by
    // kind and level of care, for signed residents (`claim.signed_packages`).
    if !matches!(claim.kind, CareKind::Outpatient) {
        return Err(Refusal::InvalidRequest(
            "本插件只报销门诊费用 (these rules cover outpatient care only)".to_string(),
        ));
    }
    let ratio = config.outpatient_ratio_percent;
    let reimbursed = percent_of(amount, ratio);
    // The last share is the remainder, so that the shares add up.
    let co_payment = amount - reimbursed;
    Ok(Adjudication {
        shares: vec![
            Share {
                kind: ShareKind::Reimbursement,
                payer: Payer::InsuranceFund,
                amount: reimbursed,
                reason: format!("门诊医保报销: {amount} × {ratio}% = {reimbursed} 分"),
            },
            Share {
                kind: ShareKind::CoPayment,
                payer: Payer::Resident,
                amount: co_payment,
                reason: format!("按比例自付: {amount} − {reimbursed} = {co_payment} 分"),
            },
        ],
    })
}

/// What a team earns for a period. The total is the sum of the lines.
pub fn settle(config: &Config, activity: &TeamActivity) -> Result<Settlement, Refusal> {
    check_year(activity.period)?;
    let mut signings: i64 = 0;
    for entry in &activity.signings {
        package(config, &entry.package_code)?;
        if entry.package_code == ELDERLY_CARE {
            signings += i64::from(entry.signings);
        }
    }
    // 改这里 / change here: your county's rewards, fulfilment payments,
    // capitation and subsidies, one line each.
    let reward = config.elderly_reward_per_signing;
    let too_many = || Refusal::InvalidRequest(format!("签约数过大 (too many signings): {signings}"));
    let amount = signings.checked_mul(reward).ok_or_else(too_many)?;
    let lines = vec![SettlementLine {
        kind: SettlementKind::PerSigning,
        amount,
        reason: format!("老年保健包签约 {signings} × {reward} 分 = {amount} 分"),
    }];
    let total = lines.iter().map(|line| line.amount).sum();
    Ok(Settlement { lines, total })
}

// The golden cases (`tests/golden.rs`) cover the answers with the shipped
// configuration; these tests cover what the golden cases cannot.
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::qianyue::county::types::{Date, Sex};

    const SHIPPED: &str = include_str!("../config.json");

    fn shipped() -> Config {
        Config::parse(SHIPPED).unwrap()
    }

    /// The refusal for the shipped document with one number changed.
    fn refusal(field: &str, value: i64) -> String {
        let mut document: serde_json::Value = serde_json::from_str(SHIPPED).unwrap();
        *document.pointer_mut(field).unwrap() = value.into();
        Config::parse(&document.to_string()).unwrap_err()
    }

    #[test]
    fn percent_rounds_half_up_to_the_fen() {
        assert_eq!(percent_of(1005, 40), 402);
        assert_eq!(percent_of(1005, 60), 603);
        assert_eq!(percent_of(1005, 10), 101);
        assert_eq!(percent_of(1003, 40), 401);
        assert_eq!(percent_of(i64::MAX, 100), i64::MAX);
    }

    #[test]
    fn quotes_add_up_whatever_the_price() {
        let elderly = ResidentFacts { age: 70, sex: Sex::Female, tags: PopulationTags::ELDERLY };
        let starts_on = Date { year: 2025, month: 1, day: 1 };
        for list in [0, 1, 5, 1005, 12345, MAX_FEN] {
            let mut config = shipped();
            config.list_prices.insert(ELDERLY_CARE.to_string(), list);
            let request = PriceRequest { package_code: ELDERLY_CARE.to_string(), resident: elderly, starts_on };
            let quote = price(&config, &request).unwrap();
            let adjusted: i64 = quote.adjustments.iter().map(|a| a.amount).sum();
            assert!(quote.adjustments.iter().all(|a| a.amount > 0), "{list}");
            assert_eq!(adjusted, percent_of(list, 20), "{list}");
            assert_eq!(quote.public_health_fund + quote.insurance_fund + quote.self_pay, list - adjusted, "{list}");
        }
    }

    #[test]
    fn refusals_name_the_field() {
        assert_eq!(
            refusal("/elderly_discount_percent", 101),
            "elderly_discount_percent: must be between 0 and 100, got 101"
        );
        assert_eq!(
            refusal("/elderly_reward_per_signing", -1),
            format!("elderly_reward_per_signing: must be between 0 and {MAX_FEN} fen, got -1")
        );
        assert_eq!(
            refusal(&format!("/list_prices/{BASIC}"), -5),
            format!("list_prices.{BASIC}: must be between 0 and {MAX_FEN} fen, got -5")
        );
        let missing = SHIPPED.replace(&format!("\"{BASIC}\": 1000, "), "");
        assert_eq!(Config::parse(&missing).unwrap_err(), format!("list_prices.{BASIC}: missing"));
        let misspelt = SHIPPED.replace("outpatient_ratio_percent", "outpatient_ratio");
        assert!(Config::parse(&misspelt).unwrap_err().starts_with("outpatient_ratio: unknown field"));
    }
}
