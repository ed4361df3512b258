//! Prices (定价). A basic package is free to the resident: the basic
//! public-health fund pays all of it (基础服务包补助费用由基本公共卫生服务经费
//! 承担). A paid package's fee is shared (共同承担): the public-health fund pays
//! the public-health services inside it, the insurance fund its configured
//! share of the rest, the resident the remainder, which the configuration
//! keeps below the current medical price after insurance. Residents with a
//! waiver tag (by default the registered poor, whose self-pay the documents
//! require compensated) have that share of their self-pay waived.

use crate::exports::qianyue::county::pricing::{Adjustment, AdjustmentKind, PriceRequest, Quote};
use crate::qianyue::county::types::{PackageKind, Refusal};

use super::catalogue::{eligible, known};
use super::config::PaidPackage;
use super::{Config, check_date, percent_of, tag_names};

/// A paid package's fee as (public-health fund, insurance fund, self-pay):
/// the insurance share is rounded half up and the resident's is the
/// remainder, so the three always make the list price.
pub fn split(package: &PaidPackage) -> (i64, i64, i64) {
    let rest = package.list_price - package.public_health_fund;
    let insurance = percent_of(rest, package.insurance_percent);
    (package.public_health_fund, insurance, rest - insurance)
}

/// Price one package for one resident: the code first, then the date, then
/// whether the resident may sign it.
pub fn price(config: &Config, request: &PriceRequest) -> Result<Quote, Refusal> {
    let package = known(&request.package_code)?;
    check_date(request.starts_on)?;
    eligible(package.code, &request.resident)?;
    let name = package.name;
    let paid = match (package.kind, config.paid_packages.get(package.code)) {
        (PackageKind::Personalised, Some(paid)) => *paid,
        _ => {
            let list = config.list_price(package.code);
            return Ok(Quote {
                list_price: list,
                adjustments: Vec::new(),
                public_health_fund: list,
                insurance_fund: 0,
                self_pay: 0,
                rule: format!("{name}免费, 由基本公共卫生服务经费全额支付: {list} 分"),
            });
        }
    };

    let list = paid.list_price;
    let (fund, insurance, self_pay) = split(&paid);
    let ratio = paid.insurance_percent;
    let medical = paid.current_medical_price;
    let rule = format!(
        "{name}: 基本公卫经费 {fund} 分, 医保基金 ({list} − {fund}) × {ratio}% = {insurance} 分, 个人自付 {self_pay} 分 (低于现行医疗服务价格扣除医保补偿后 {medical} − {insurance} = {} 分)",
        medical - insurance
    );

    let waived_for = config.waiver_tags() & request.resident.tags;
    let percent = config.self_pay_waiver.percent;
    let waived = if waived_for.is_empty() { 0 } else { percent_of(self_pay, percent) };
    // The WIT wants every adjustment positive: nothing waived, no line.
    let adjustments = if waived > 0 {
        let (zh, _) = tag_names(waived_for);
        vec![Adjustment {
            kind: AdjustmentKind::Waiver,
            amount: waived,
            reason: format!("{zh}个人自付减免 {percent}%: {self_pay} × {percent}% = {waived} 分"),
        }]
    } else {
        Vec::new()
    };
    Ok(Quote {
        list_price: list,
        adjustments,
        public_health_fund: fund,
        insurance_fund: insurance,
        self_pay: self_pay - waived,
        rule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qianyue::county::types::{Date, PopulationTags, ResidentFacts, Sex};
    use crate::rules::catalogue::{CATALOGUE, basic_code};
    use crate::rules::config::MAX_FEN;

    fn shipped() -> Config {
        Config::parse(include_str!("../../config.json")).unwrap()
    }

    fn request(code: &str, age: u8, tags: PopulationTags) -> PriceRequest {
        PriceRequest {
            package_code: code.to_string(),
            resident: ResidentFacts { age, sex: Sex::Female, tags },
            starts_on: Date { year: 2024, month: 1, day: 1 },
        }
    }

    /// A resident who may sign the package: its first target group (or
    /// none), with the age that group's tag needs.
    fn signer(code: &str, extra: PopulationTags) -> PriceRequest {
        let spec = known(code).unwrap();
        let group = spec.target_groups.iter().next().unwrap_or(PopulationTags::empty());
        let age = if group == PopulationTags::ELDERLY {
            70
        } else if group == PopulationTags::CHILD {
            3
        } else {
            40
        };
        let r = request(code, age, group | extra);
        assert_eq!(spec.bundled_with.unwrap_or(spec.code), basic_code(&r.resident), "{code}");
        r
    }

    fn assert_adds_up(q: &Quote) {
        let adjusted: i64 = q.adjustments.iter().map(|a| a.amount).sum();
        assert!(q.adjustments.iter().all(|a| a.amount > 0), "{q:?}");
        assert!(q.public_health_fund >= 0 && q.insurance_fund >= 0 && q.self_pay >= 0, "{q:?}");
        assert_eq!(q.public_health_fund + q.insurance_fund + q.self_pay, q.list_price - adjusted, "{q:?}");
    }

    #[test]
    fn insurance_share_rounds_half_up_and_self_pay_takes_the_remainder() {
        let package = |list, fund, ratio| PaidPackage {
            list_price: list,
            current_medical_price: MAX_FEN,
            public_health_fund: fund,
            insurance_percent: ratio,
        };
        // (10001 − 0) × 50% = 5000.5 → 5001; the resident pays 5000.
        assert_eq!(split(&package(10001, 0, 50)), (0, 5001, 5000));
        // (10001 − 1000) × 35% = 3150.35 → 3150.
        assert_eq!(split(&package(10001, 1000, 35)), (1000, 3150, 5851));
        assert_eq!(split(&package(3, 0, 50)), (0, 2, 1));
        assert_eq!(split(&package(12000, 12000, 50)), (12000, 0, 0));
        assert_eq!(split(&package(12000, 0, 100)), (0, 12000, 0));
    }

    #[test]
    fn waiver_rounds_half_up_on_the_self_pay() {
        let mut config = shipped();
        config.self_pay_waiver.percent = 50;
        config.paid_packages.get_mut("AH-GX-JK").unwrap().list_price = 5001;
        // AH-GX-JK: no public-health part, no insurance: self-pay 5001, half
        // waived is 2500.5 → 2501, the resident pays 2500.
        let q = price(&config, &signer("AH-GX-JK", PopulationTags::REGISTERED_POOR)).unwrap();
        assert_eq!((q.adjustments[0].amount, q.self_pay), (2501, 2500));
        assert_eq!(q.adjustments[0].reason, "建档立卡贫困人口个人自付减免 50%: 5001 × 50% = 2501 分");
        assert_adds_up(&q);
    }

    #[test]
    fn every_quote_adds_up_whatever_the_numbers() {
        for spec in CATALOGUE {
            for list in [0, 1, 5, 1005, 9999, MAX_FEN] {
                for ratio in [0, 33, 50, 100] {
                    let mut config = shipped();
                    config.self_pay_waiver.percent = ratio;
                    config.basic_list_prices.entry(spec.code.into()).and_modify(|p| *p = list);
                    config.paid_packages.entry(spec.code.into()).and_modify(|p| {
                        p.list_price = list;
                        p.public_health_fund = list / 3;
                        p.insurance_percent = ratio;
                    });
                    for extra in [PopulationTags::empty(), PopulationTags::REGISTERED_POOR] {
                        let q = price(&config, &signer(spec.code, extra)).unwrap();
                        assert_eq!(q.list_price, list);
                        assert_adds_up(&q);
                        if spec.kind == PackageKind::Basic {
                            assert_eq!((q.public_health_fund, q.self_pay), (list, 0));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn nothing_waived_for_residents_without_a_waiver_tag() {
        let config = shipped();
        let q = price(&config, &signer("AH-GX-LN", PopulationTags::LIFTED_OUT_OF_POVERTY)).unwrap();
        assert!(q.adjustments.is_empty());
        assert_eq!((q.public_health_fund, q.insurance_fund, q.self_pay), (2000, 4000, 6000));
    }

    #[test]
    fn refusals_come_in_order_code_date_eligibility() {
        let config = shipped();
        let mut r = request("AH-XX", 40, PopulationTags::empty());
        r.starts_on.year = 2023;
        assert_eq!(price(&config, &r), Err(Refusal::UnknownPackage("AH-XX".into())));
        r.package_code = "AH-GX-NCZ".into();
        assert!(matches!(price(&config, &r), Err(Refusal::InvalidRequest(m)) if m.starts_with("2023 年")));
        r.starts_on.year = 2024;
        assert!(matches!(price(&config, &r), Err(Refusal::NotEligible(_))));
    }
}
