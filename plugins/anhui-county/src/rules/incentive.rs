//! Team payment (激励): the plan has the health centre collect the package
//! fees and pay the village clinic and the team "by the actual quantity and
//! quality of fulfilment, after assessment" (根据实际履约数量和质量, 经考核后
//! 拨付), and a team that fails its assessment loses the matching funds
//! (经考核不合格的, 扣减相应补助经费).
//!
//! One `fulfilment` line per package item delivered: the deliveries paid
//! (at most what the contracts owed) × the item's unit payment × the
//! assessment score in percent; below the pass mark, times the configured
//! share a failing team still gets (0 by default: nothing). Each line is
//! rounded half up to the fen once, from the exact product; the total is the
//! sum of the rounded lines. Signings earn nothing by themselves, and care
//! spent does not count: the county pays by fulfilment, not per head.

use crate::exports::qianyue::county::incentive::{Settlement, SettlementKind, SettlementLine, TeamActivity};
use crate::qianyue::county::types::Refusal;

use super::catalogue::{CATALOGUE, known};
use super::{Config, check_period, too_large};

/// Checks what the kernel sent before anything is paid.
fn check(activity: &TeamActivity) -> Result<(), Refusal> {
    let score = activity.assessment_score;
    if score > 100 {
        return Err(Refusal::InvalidRequest(format!(
            "考核得分应在 0–100 之间 (assessment score must be 0–100): {score}"
        )));
    }
    if activity.care_spent < 0 {
        return Err(Refusal::InvalidRequest(format!(
            "医疗费用不能为负 (care spent must not be negative): {}",
            activity.care_spent
        )));
    }
    check_period(activity.period)?;
    for entry in &activity.signings {
        known(&entry.package_code)?;
    }
    for delivery in &activity.deliveries {
        let package = known(&delivery.package_code)?;
        if !package.items.iter().any(|item| item.code == delivery.item_code) {
            return Err(Refusal::InvalidRequest(format!(
                "{}没有服务项目 {} (package {} has no item `{}`)",
                package.name, delivery.item_code, package.code, delivery.item_code
            )));
        }
    }
    Ok(())
}

/// Settle one team's period.
pub fn settle(config: &Config, activity: &TeamActivity) -> Result<Settlement, Refusal> {
    check(activity)?;
    let score = i128::from(activity.assessment_score);
    let pass_mark = config.incentive.pass_mark;
    let passed = i64::from(activity.assessment_score) >= pass_mark;
    let below = config.incentive.below_pass_percent;

    let mut lines = Vec::new();
    // In catalogue order, one line per item however many entries the
    // kernel sent for it.
    for package in CATALOGUE {
        for item in package.items {
            let entries =
                activity.deliveries.iter().filter(|d| d.package_code == package.code && d.item_code == item.code);
            let (owed, delivered) =
                entries.fold((0_u64, 0_u64), |(o, d), e| (o + u64::from(e.owed), d + u64::from(e.delivered)));
            if delivered == 0 {
                continue;
            }
            let paid = delivered.min(owed);
            let unit = config.unit_payment(package.code, item.code).unwrap_or(0);
            let gross = i128::from(paid) * i128::from(unit);
            let counted = if paid < delivered {
                format!("履约 {delivered} 次(按应履约 {owed} 次计)")
            } else {
                format!("履约 {delivered} 次")
            };
            let (exact, factors) = if passed {
                ((gross * score + 50) / 100, format!("考核 {score}%"))
            } else {
                ((gross * score * i128::from(below) + 5_000) / 10_000, format!("考核 {score}% × 不合格拨付 {below}%"))
            };
            let amount = i64::try_from(exact).map_err(|_| too_large())?;
            let mut reason = format!("{}·{}: {counted} × {unit} 分 × {factors} = {amount} 分", package.name, item.name);
            if !passed {
                reason.push_str(&format!(" (考核 {score} 分低于合格线 {pass_mark} 分)"));
            }
            lines.push(SettlementLine { kind: SettlementKind::Fulfilment, amount, reason });
        }
    }
    let total = lines.iter().try_fold(0_i64, |sum, line| sum.checked_add(line.amount)).ok_or_else(too_large)?;
    Ok(Settlement { lines, total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::qianyue::county::incentive::{ItemDelivery, PackageSignings};

    fn shipped() -> Config {
        Config::parse(include_str!("../../config.json")).unwrap()
    }

    fn delivery(package: &str, item: &str, owed: u32, delivered: u32) -> ItemDelivery {
        ItemDelivery { package_code: package.into(), item_code: item.into(), owed, delivered }
    }

    fn activity(deliveries: Vec<ItemDelivery>, score: u8) -> TeamActivity {
        TeamActivity {
            period: 2024,
            residents_signed: 100,
            households_signed: 40,
            signings: vec![PackageSignings { package_code: "AH-JC-TNB".into(), signings: 10 }],
            deliveries,
            assessment_score: score,
            care_spent: 0,
        }
    }

    fn amounts(config: &Config, activity: &TeamActivity) -> Vec<i64> {
        let settlement = settle(config, activity).unwrap();
        assert_eq!(settlement.total, settlement.lines.iter().map(|l| l.amount).sum::<i64>());
        settlement.lines.iter().map(|l| l.amount).collect()
    }

    #[test]
    fn delivered_items_are_paid_by_unit_and_score() {
        let config = shipped();
        // 40 × 1000 × 85% = 34000; 38 × 500 × 85% = 16150.
        let a = activity(
            vec![delivery("AH-JC-TNB", "follow-up", 40, 40), delivery("AH-JC-TNB", "fasting-glucose", 40, 38)],
            85,
        );
        assert_eq!(amounts(&config, &a), [16150, 34000]);
        let settlement = settle(&config, &a).unwrap();
        assert_eq!(settlement.total, 50150);
        assert_eq!(
            settlement.lines[0].reason,
            "2型糖尿病患者基础服务包·空腹血糖检测: 履约 38 次 × 500 分 × 考核 85% = 16150 分"
        );
    }

    #[test]
    fn each_line_rounds_half_up_once() {
        let mut config = shipped();
        config.incentive.unit_payments.get_mut("AH-GX-LN").unwrap().insert("home-visit".into(), 333);
        // 3 × 333 × 87% = 869.13 rounds down to 869; 1 × 333 × 87% = 289.71 up to 290.
        let a = activity(vec![delivery("AH-GX-LN", "home-visit", 4, 3)], 87);
        assert_eq!(amounts(&config, &a), [869]);
        let a = activity(vec![delivery("AH-GX-LN", "home-visit", 4, 1)], 87);
        assert_eq!(amounts(&config, &a), [290]);
        // 1 × 350 × 87% = 304.5 → 305.
        config.incentive.unit_payments.get_mut("AH-GX-LN").unwrap().insert("home-visit".into(), 350);
        assert_eq!(amounts(&config, &activity(vec![delivery("AH-GX-LN", "home-visit", 4, 1)], 87)), [305]);
        // Below the pass mark: 1 × 350 × 55% × 50% = 96.25 → 96, rounded once.
        config.incentive.below_pass_percent = 50;
        assert_eq!(amounts(&config, &activity(vec![delivery("AH-GX-LN", "home-visit", 4, 1)], 55)), [96]);
    }

    #[test]
    fn a_failed_assessment_pays_nothing_by_default() {
        let config = shipped();
        let a = activity(vec![delivery("AH-JC-TNB", "follow-up", 40, 40)], 59);
        let settlement = settle(&config, &a).unwrap();
        assert_eq!((settlement.total, settlement.lines.len()), (0, 1));
        assert_eq!(
            settlement.lines[0].reason,
            "2型糖尿病患者基础服务包·面对面随访: 履约 40 次 × 1000 分 × 考核 59% × 不合格拨付 0% = 0 分 (考核 59 分低于合格线 60 分)"
        );
        assert_eq!(amounts(&config, &activity(vec![delivery("AH-JC-TNB", "follow-up", 40, 40)], 60)), [24000]);
    }

    #[test]
    fn deliveries_beyond_the_owed_and_repeated_entries() {
        let config = shipped();
        let a = activity(
            vec![
                delivery("AH-JC-TNB", "follow-up", 20, 25),
                delivery("AH-JC-TNB", "follow-up", 20, 10),
                delivery("AH-JC-TNB", "fasting-glucose", 4, 0),
            ],
            100,
        );
        // 35 delivered against 40 owed: 35 × 1000.
        assert_eq!(amounts(&config, &a), [35000]);
        let a = activity(vec![delivery("AH-JC-TNB", "follow-up", 4, 9)], 100);
        let settlement = settle(&config, &a).unwrap();
        assert_eq!(settlement.total, 4000);
        assert!(settlement.lines[0].reason.contains("履约 9 次(按应履约 4 次计)"));
    }

    #[test]
    fn largest_counts_do_not_overflow() {
        let mut config = shipped();
        config
            .incentive
            .unit_payments
            .get_mut("AH-GX-LN")
            .unwrap()
            .insert("home-visit".into(), crate::rules::config::MAX_FEN);
        let a = activity(vec![delivery("AH-GX-LN", "home-visit", u32::MAX, u32::MAX)], 100);
        assert_eq!(settle(&config, &a), Err(too_large()));
        let a = activity(vec![delivery("AH-GX-LN", "home-visit", 900_000_000, 900_000_000)], 100);
        assert_eq!(settle(&config, &a).unwrap().total, 900_000_000 * crate::rules::config::MAX_FEN);
    }

    #[test]
    fn bad_activities_are_refused() {
        let config = shipped();
        let refusal = |a: &TeamActivity| settle(&config, a).unwrap_err();
        assert!(matches!(refusal(&activity(vec![], 101)), Refusal::InvalidRequest(_)));
        let mut a = activity(vec![], 80);
        a.care_spent = -1;
        assert!(matches!(refusal(&a), Refusal::InvalidRequest(_)));
        let mut a = activity(vec![], 80);
        a.period = 2023;
        assert!(matches!(refusal(&a), Refusal::InvalidRequest(_)));
        let mut a = activity(vec![], 80);
        a.signings[0].package_code = "AH-XX".into();
        assert_eq!(refusal(&a), Refusal::UnknownPackage("AH-XX".into()));
        assert_eq!(refusal(&activity(vec![delivery("AH-YY", "x", 1, 1)], 80)), Refusal::UnknownPackage("AH-YY".into()));
        assert_eq!(
            refusal(&activity(vec![delivery("AH-JC-TNB", "ecg", 1, 1)], 80)),
            Refusal::InvalidRequest(
                "2型糖尿病患者基础服务包没有服务项目 ecg (package AH-JC-TNB has no item `ecg`)".into()
            )
        );
    }
}
