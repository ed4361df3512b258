//! Team incentives (激励). The plan ties team pay to assessment (考核结果与
//! 家庭医生团队和个人绩效分配挂钩，体现多劳多得、优绩优酬); Gulin pays:
//!
//! - per signed poor resident, in proportion to the assessment score: one
//!   `per-signing` line, signings of the poverty package GL-FP ×
//!   `per_poor_resident` × score / 100, rounded half up once on the whole
//!   product (`(n × amount × score + 50) / 100`);
//! - per delivered chronic item: one `fulfilment` line per configured item,
//!   delivered times counted up to what the contracts owed (over-delivery
//!   earns nothing), × the item's rate.
//!
//! Lines of zero are left out; `total` is the sum of the lines. Care spent
//! changes nothing: Gulin does not pay by capitation.

use super::{CATALOGUE, Config, POVERTY, check_period, find};
use crate::exports::qianyue::county::incentive::{Settlement, SettlementKind, SettlementLine, TeamActivity};
use crate::qianyue::county::types::Refusal;

fn too_large() -> Refusal {
    Refusal::InvalidRequest("结算金额过大 (the settlement is too large to pay)".to_string())
}

fn fits(amount: i128) -> Result<i64, Refusal> {
    i64::try_from(amount).map_err(|_| too_large())
}

/// The activity itself: a score in 0–100, no negative spending, a period
/// the rules cover, package and item codes of the catalogue.
fn check(activity: &TeamActivity) -> Result<(), Refusal> {
    let score = activity.assessment_score;
    if score > 100 {
        return Err(Refusal::InvalidRequest(format!(
            "考核得分应在 0–100 之间 (assessment score must be 0–100): {score}"
        )));
    }
    if activity.care_spent < 0 {
        return Err(Refusal::InvalidRequest(format!(
            "医疗费用不能为负 (care-spent must not be negative): {}",
            activity.care_spent
        )));
    }
    check_period(activity.period)?;
    if let Some(entry) = activity.signings.iter().find(|entry| find(&entry.package_code).is_none()) {
        return Err(Refusal::UnknownPackage(entry.package_code.clone()));
    }
    for delivery in &activity.deliveries {
        let spec =
            find(&delivery.package_code).ok_or_else(|| Refusal::UnknownPackage(delivery.package_code.clone()))?;
        if !spec.items.iter().any(|item| item.code == delivery.item_code) {
            return Err(Refusal::InvalidRequest(format!(
                "{}没有服务项目 {} ({} has no item {})",
                spec.name, delivery.item_code, spec.code, delivery.item_code
            )));
        }
    }
    Ok(())
}

/// Settle one team's period.
pub fn settle(config: &Config, activity: &TeamActivity) -> Result<Settlement, Refusal> {
    check(activity)?;
    let incentive = &config.incentive;
    let score = activity.assessment_score;
    let mut lines = Vec::new();

    let poor: u64 = activity
        .signings
        .iter()
        .filter(|entry| entry.package_code == POVERTY)
        .map(|entry| u64::from(entry.signings))
        .sum();
    let each = incentive.per_poor_resident;
    let amount = fits((i128::from(poor) * i128::from(each) * i128::from(score) + 50) / 100)?;
    if amount > 0 {
        lines.push(SettlementLine {
            kind: SettlementKind::PerSigning,
            amount,
            reason: format!(
                "签约贫困人口(健康扶贫签约服务包) {poor} 人 × {each} 分 × 考核得分 {score}/100 = {amount} 分"
            ),
        });
    }

    // Catalogue order, however the kernel ordered or split the deliveries.
    for spec in CATALOGUE {
        let Some(rates) = incentive.per_delivered_item.get(spec.code) else { continue };
        for item in spec.items {
            let Some(&rate) = rates.get(item.code) else { continue };
            let matching = activity
                .deliveries
                .iter()
                .filter(|delivery| delivery.package_code == spec.code && delivery.item_code == item.code);
            let (owed, delivered) = matching.fold((0u64, 0u64), |(owed, delivered), delivery| {
                (owed + u64::from(delivery.owed), delivered + u64::from(delivery.delivered))
            });
            let counted = delivered.min(owed);
            let amount = fits(i128::from(counted) * i128::from(rate))?;
            if amount > 0 {
                lines.push(SettlementLine {
                    kind: SettlementKind::Fulfilment,
                    amount,
                    reason: format!(
                        "{}{}履约: 应履约 {owed} 次, 已履约 {delivered} 次, 计 {counted} × {rate} 分 = {amount} 分",
                        spec.name, item.name
                    ),
                });
            }
        }
    }

    let total = lines.iter().try_fold(0i64, |sum, line| sum.checked_add(line.amount)).ok_or_else(too_large)?;
    Ok(Settlement { lines, total })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::exports::qianyue::county::incentive::{ItemDelivery, PackageSignings};
    use crate::rules::{BASIC, DIABETES, MENTAL_DISORDER};

    fn shipped() -> Config {
        Config::parse(include_str!("../../config.json")).unwrap()
    }

    fn signing(code: &str, signings: u32) -> PackageSignings {
        PackageSignings { package_code: code.to_string(), signings }
    }

    fn delivery(code: &str, item: &str, owed: u32, delivered: u32) -> ItemDelivery {
        ItemDelivery { package_code: code.to_string(), item_code: item.to_string(), owed, delivered }
    }

    fn activity(signings: Vec<PackageSignings>, deliveries: Vec<ItemDelivery>, score: u8) -> TeamActivity {
        TeamActivity {
            period: 2019,
            residents_signed: 3000,
            households_signed: 1000,
            signings,
            deliveries,
            assessment_score: score,
            care_spent: 0,
        }
    }

    fn amounts(settlement: &Settlement) -> Vec<(SettlementKind, i64)> {
        settlement.lines.iter().map(|line| (line.kind, line.amount)).collect()
    }

    #[test]
    fn poor_signings_are_paid_by_the_score() {
        let config = shipped();
        // 350 × 2000 × 87 / 100 = 609000.
        let s = settle(&config, &activity(vec![signing(POVERTY, 350), signing(BASIC, 3000)], vec![], 87)).unwrap();
        assert_eq!((amounts(&s), s.total), (vec![(SettlementKind::PerSigning, 609_000)], 609_000));
        assert_eq!(
            s.lines[0].reason,
            "签约贫困人口(健康扶贫签约服务包) 350 人 × 2000 分 × 考核得分 87/100 = 609000 分"
        );
        // Entries of one package add up; a score of 0 pays nothing.
        let s = settle(&config, &activity(vec![signing(POVERTY, 100), signing(POVERTY, 250)], vec![], 0)).unwrap();
        assert_eq!((s.lines.len(), s.total), (0, 0));
    }

    #[test]
    fn the_score_product_rounds_half_up_once() {
        let mut config = shipped();
        config.incentive.per_poor_resident = 15;
        // 1 × 15 × 87 = 1305 → 13.05 → 13; 3 × 15 × 87 = 3915 → 39.15 → 39; 1 × 15 × 90 = 1350 → 14 (13.5 up).
        for (poor, score, paid) in [(1, 87, 13), (3, 87, 39), (1, 90, 14), (1, 10, 2), (1, 3, 0)] {
            let s = settle(&config, &activity(vec![signing(POVERTY, poor)], vec![], score)).unwrap();
            assert_eq!(s.total, paid, "{poor} {score}");
        }
    }

    #[test]
    fn delivered_items_are_paid_up_to_what_was_owed() {
        let config = shipped();
        let deliveries = vec![
            delivery(MENTAL_DISORDER, "risk-assessment", 80, 70),
            delivery(DIABETES, "follow-up", 400, 380),
            delivery(DIABETES, "fasting-glucose", 400, 450),
            delivery(BASIC, "checkup", 3000, 2900),
        ];
        let s = settle(&config, &activity(vec![], deliveries, 90)).unwrap();
        // Catalogue order: GL-TNB glucose 400 × 500, follow-up 380 × 1000; GL-JSB 70 × 500. GL-JC pays nothing.
        assert_eq!(
            amounts(&s),
            vec![
                (SettlementKind::Fulfilment, 200_000),
                (SettlementKind::Fulfilment, 380_000),
                (SettlementKind::Fulfilment, 35_000)
            ]
        );
        assert_eq!(s.total, 615_000);
        assert_eq!(
            s.lines[0].reason,
            "糖尿病签约服务包免费空腹血糖检测履约: 应履约 400 次, 已履约 450 次, 计 400 × 500 分 = 200000 分"
        );
    }

    #[test]
    fn refusals() {
        let config = shipped();
        let refused = |a: TeamActivity| settle(&config, &a).unwrap_err();
        assert_eq!(refused(activity(vec![signing("GL-XX", 1)], vec![], 80)), Refusal::UnknownPackage("GL-XX".into()));
        assert_eq!(
            refused(activity(vec![], vec![delivery("GL-XX", "follow-up", 1, 1)], 80)),
            Refusal::UnknownPackage("GL-XX".into())
        );
        assert_eq!(
            refused(activity(vec![], vec![delivery(DIABETES, "home-visit", 1, 1)], 80)),
            Refusal::InvalidRequest("糖尿病签约服务包没有服务项目 home-visit (GL-TNB has no item home-visit)".into())
        );
        assert!(matches!(refused(activity(vec![], vec![], 101)), Refusal::InvalidRequest(_)));
        assert!(matches!(
            refused(TeamActivity { care_spent: -1, ..activity(vec![], vec![], 80) }),
            Refusal::InvalidRequest(_)
        ));
        assert!(matches!(
            refused(TeamActivity { period: 2017, ..activity(vec![], vec![], 80) }),
            Refusal::InvalidRequest(_)
        ));
    }

    #[test]
    fn huge_numbers_are_refused_not_wrapped() {
        let mut config = shipped();
        config.incentive.per_poor_resident = crate::rules::config::MAX_FEN;
        let a = activity(vec![signing(POVERTY, u32::MAX), signing(POVERTY, u32::MAX)], vec![], 100);
        assert_eq!(settle(&config, &a).unwrap_err(), too_large());
        let a = activity(vec![signing(POVERTY, 1000)], vec![], 100);
        assert_eq!(settle(&config, &a).unwrap().total, 10_000_000_000_000);
    }
}
