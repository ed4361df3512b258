//! Capitation (按人头预付) and its surplus reward (结余奖励).
//!
//! The seed: "国际上真正意义的家庭医生制服务模式是实行卫生经费按人头预付制 …
//! 在提供合理有效的卫生服务前提下, 划拨给每位家庭医生的卫生经费的结余部分可用于
//! 奖励家庭医生", and it recommends Jiangdong adopt it (建立按人头付费的经费管理
//! 制度). Each signed resident brings a per-head budget, prepaid to the family
//! doctor; the signed residents' care is paid from it; the unspent balance
//! rewards the doctor, provided the assessment (考核) found the care reasonable
//! and effective. The seed does not make the doctor bear an overspend, so
//! the reward is never below zero and the excess stays with the fund.
//!
//! The settlement is what the budget pays out for the team, so its lines
//! add up to at most the budget:
//! - `capitation`: the part of the budget spent on the signed residents'
//!   care, with the budget's arithmetic in the reason; always present, so
//!   that the team sees its budget even when nothing was spent;
//! - `surplus-reward`: the unspent balance × the reward share, half up,
//!   when the assessment reaches the pass mark; left out when zero.

use super::{Config, check_period, known, percent_of};
use crate::exports::qianyue::county::incentive::{Settlement, SettlementKind, SettlementLine, TeamActivity};
use crate::qianyue::county::types::Refusal;

/// The request itself: a score out of 100, no negative spending, a period
/// the rules cover, and codes of the catalogue.
fn check(activity: &TeamActivity) -> Result<(), Refusal> {
    let score = activity.assessment_score;
    if score > 100 {
        return Err(Refusal::InvalidRequest(format!(
            "考核得分应在 0–100 之间 (assessment score must be 0–100): {score}"
        )));
    }
    if activity.care_spent < 0 {
        return Err(Refusal::InvalidRequest(format!(
            "签约居民医疗费用不能为负 (care-spent must not be negative): {}",
            activity.care_spent
        )));
    }
    let period = activity.period;
    check_period(period, &format!("服务年度 {period} (period {period})"))?;
    for entry in &activity.signings {
        known(&entry.package_code)?;
    }
    for delivery in &activity.deliveries {
        let package = known(&delivery.package_code)?;
        if !package.items.iter().any(|item| item.code == delivery.item_code) {
            return Err(Refusal::InvalidRequest(format!(
                "{}没有服务项目 {} ({} has no item `{}`)",
                package.name, delivery.item_code, package.code, delivery.item_code
            )));
        }
    }
    Ok(())
}

/// Settle one team's period.
pub fn settle(config: &Config, activity: &TeamActivity) -> Result<Settlement, Refusal> {
    check(activity)?;
    let capitation = &config.capitation;
    let residents = activity.residents_signed;
    let per_head = capitation.per_head_budget;
    // At most u32::MAX × MAX_FEN, which fits in an i64.
    let budget = i64::from(residents) * per_head;
    let spent = activity.care_spent;
    let used = spent.min(budget);
    let surplus = budget - used;

    let score = i64::from(activity.assessment_score);
    let mark = capitation.reward_pass_mark;
    let share = capitation.reward_share_percent;
    let reward = if score >= mark { percent_of(surplus, share) } else { 0 };

    let mut reason = format!("按人头预付: {residents} 人 × {per_head} 分 = {budget} 分");
    if spent > budget {
        reason.push_str(&format!(", 全部用于签约居民医疗费用 {spent} 分; 超支 {} 分不由家庭医生承担", spent - budget));
    } else {
        reason.push_str(&format!(", 其中签约居民医疗费用 {spent} 分"));
    }
    if surplus > 0 && reward == 0 {
        if score < mark {
            reason.push_str(&format!("; 结余 {surplus} 分不予奖励 (考核 {score} 分, 低于合格线 {mark} 分)"));
        } else {
            reason.push_str(&format!("; 结余 {surplus} 分不予奖励 (结余奖励比例 {share}%)"));
        }
    }
    let mut lines = vec![SettlementLine { kind: SettlementKind::Capitation, amount: used, reason }];

    if reward > 0 {
        let mut reason = format!("结余奖励: ({budget} − {used}) × {share}% = {reward} 分");
        if reward < surplus {
            reason.push_str(&format!(", 其余 {} 分不作奖励", surplus - reward));
        }
        reason.push_str(&format!(" (考核 {score} 分, 合格线 {mark} 分)"));
        lines.push(SettlementLine { kind: SettlementKind::SurplusReward, amount: reward, reason });
    }

    // used + reward ≤ budget, so the sum cannot overflow.
    let total = used + reward;
    Ok(Settlement { lines, total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::qianyue::county::incentive::{ItemDelivery, PackageSignings};
    use crate::rules::tests::shipped;
    use SettlementKind::{Capitation, SurplusReward};

    fn activity(residents_signed: u32, care_spent: i64, assessment_score: u8) -> TeamActivity {
        TeamActivity {
            period: 2015,
            residents_signed,
            households_signed: residents_signed / 3,
            signings: vec![
                PackageSignings { package_code: "NBJD-JC".into(), signings: residents_signed },
                PackageSignings { package_code: "NBJD-MB".into(), signings: residents_signed / 5 },
            ],
            deliveries: vec![ItemDelivery {
                package_code: "NBJD-MB".into(),
                item_code: "follow-up".into(),
                owed: 400,
                delivered: 380,
            }],
            assessment_score,
            care_spent,
        }
    }

    fn lines_with(config: &Config, a: &TeamActivity) -> Vec<(SettlementKind, i64)> {
        let settlement = settle(config, a).unwrap();
        assert_eq!(settlement.total, settlement.lines.iter().map(|l| l.amount).sum::<i64>());
        assert!(settlement.lines.iter().all(|l| l.amount >= 0));
        settlement.lines.iter().map(|l| (l.kind, l.amount)).collect()
    }

    fn lines(a: &TeamActivity) -> Vec<(SettlementKind, i64)> {
        lines_with(&shipped(), a)
    }

    fn reasons(config: &Config, a: &TeamActivity) -> Vec<String> {
        settle(config, a).unwrap().lines.into_iter().map(|l| l.reason).collect()
    }

    #[test]
    fn unspent_budget_rewards_the_doctor() {
        // 3000 × 20000 = 60000000; spent 45000000; reward 15000000.
        let a = activity(3000, 45_000_000, 85);
        assert_eq!(lines(&a), [(Capitation, 45_000_000), (SurplusReward, 15_000_000)]);
        assert_eq!(settle(&shipped(), &a).unwrap().total, 60_000_000);
        assert_eq!(
            reasons(&shipped(), &a),
            [
                "按人头预付: 3000 人 × 20000 分 = 60000000 分, 其中签约居民医疗费用 45000000 分",
                "结余奖励: (60000000 − 45000000) × 100% = 15000000 分 (考核 85 分, 合格线 60 分)",
            ]
        );
    }

    #[test]
    fn an_overspend_is_not_the_doctors() {
        let a = activity(3000, 65_000_000, 85);
        assert_eq!(lines(&a), [(Capitation, 60_000_000)]);
        assert_eq!(
            reasons(&shipped(), &a),
            [
                "按人头预付: 3000 人 × 20000 分 = 60000000 分, 全部用于签约居民医疗费用 65000000 分; 超支 5000000 分不由家庭医生承担"
            ]
        );
        assert_eq!(lines(&activity(3000, 60_000_000, 85)), [(Capitation, 60_000_000)], "exactly spent");
    }

    #[test]
    fn no_reward_below_the_pass_mark() {
        let a = activity(3000, 45_000_000, 59);
        assert_eq!(lines(&a), [(Capitation, 45_000_000)]);
        assert_eq!(
            reasons(&shipped(), &a),
            [
                "按人头预付: 3000 人 × 20000 分 = 60000000 分, 其中签约居民医疗费用 45000000 分; 结余 15000000 分不予奖励 (考核 59 分, 低于合格线 60 分)"
            ]
        );
        assert_eq!(lines(&activity(3000, 45_000_000, 60)), [(Capitation, 45_000_000), (SurplusReward, 15_000_000)]);
    }

    #[test]
    fn reward_share_rounds_half_up() {
        let mut config = shipped();
        config.capitation.reward_share_percent = 50;
        config.capitation.per_head_budget = 20001;
        // 1 × 20001 − 0 = 20001; × 50% = 10000.5 → 10001.
        let a = activity(1, 0, 90);
        assert_eq!(lines_with(&config, &a), [(Capitation, 0), (SurplusReward, 10001)]);
        assert_eq!(
            reasons(&config, &a)[1],
            "结余奖励: (20001 − 0) × 50% = 10001 分, 其余 10000 分不作奖励 (考核 90 分, 合格线 60 分)"
        );
        config.capitation.reward_share_percent = 0;
        assert_eq!(lines_with(&config, &a), [(Capitation, 0)]);
        assert_eq!(
            reasons(&config, &a),
            [
                "按人头预付: 1 人 × 20001 分 = 20001 分, 其中签约居民医疗费用 0 分; 结余 20001 分不予奖励 (结余奖励比例 0%)"
            ]
        );
    }

    #[test]
    fn nothing_signed_nothing_paid() {
        assert_eq!(
            settle(&shipped(), &activity(0, 0, 100)).unwrap(),
            Settlement {
                lines: vec![SettlementLine {
                    kind: Capitation,
                    amount: 0,
                    reason: "按人头预付: 0 人 × 20000 分 = 0 分, 其中签约居民医疗费用 0 分".into()
                }],
                total: 0
            }
        );
        assert_eq!(lines(&activity(0, 5000, 100)), [(Capitation, 0)]);
    }

    #[test]
    fn largest_numbers_do_not_overflow() {
        let mut config = shipped();
        config.capitation.per_head_budget = crate::rules::config::MAX_FEN;
        let budget = i64::from(u32::MAX) * crate::rules::config::MAX_FEN;
        assert_eq!(lines_with(&config, &activity(u32::MAX, 0, 100)), [(Capitation, 0), (SurplusReward, budget)]);
        assert_eq!(lines_with(&config, &activity(u32::MAX, i64::MAX, 100)), [(Capitation, budget)]);
        for share in [0, 1, 33, 50, 99, 100] {
            config.capitation.reward_share_percent = share;
            for spent in [0, 1, budget - 1, budget, i64::MAX] {
                lines_with(&config, &activity(u32::MAX, spent, 100));
            }
        }
    }

    #[test]
    fn bad_activities_are_refused() {
        let config = shipped();
        let refusal = |a: &TeamActivity| settle(&config, a).unwrap_err();
        assert_eq!(
            refusal(&activity(1, 0, 101)),
            Refusal::InvalidRequest("考核得分应在 0–100 之间 (assessment score must be 0–100): 101".into())
        );
        assert_eq!(
            refusal(&activity(1, -1, 80)),
            Refusal::InvalidRequest("签约居民医疗费用不能为负 (care-spent must not be negative): -1".into())
        );
        let mut a = activity(1, 0, 80);
        a.period = 2013;
        assert_eq!(
            refusal(&a),
            Refusal::InvalidRequest(
                "服务年度 2013 (period 2013) 不在本插件适用的服务年度内 (not in the periods these rules apply to, 2014 on)".into()
            )
        );
        let mut a = activity(1, 0, 80);
        a.signings[0].package_code = "NBJD-XX".into();
        assert_eq!(refusal(&a), Refusal::UnknownPackage("NBJD-XX".into()));
        let mut a = activity(1, 0, 80);
        a.deliveries[0].package_code = "PEI-LN".into();
        assert_eq!(refusal(&a), Refusal::UnknownPackage("PEI-LN".into()));
        let mut a = activity(1, 0, 80);
        a.deliveries[0].item_code = "prenatal-check".into();
        assert_eq!(
            refusal(&a),
            Refusal::InvalidRequest(
                "慢性病专案管理包没有服务项目 prenatal-check (NBJD-MB has no item `prenatal-check`)".into()
            )
        );
    }
}
