//! Team incentives (激励): what a family-doctor team earns for a period.
//!
//! Pei's documents: each signing of the pregnancy package (优孕优育包) or the
//! elderly-care package (老年保健包) earns the team 15 yuan; the new 10-yuan
//! per-capita basic public-health subsidy goes entirely to signing work; and
//! signing income is paid after assessment (考核). This plugin pays the
//! subsidy only when the team's assessment score reaches the configured pass
//! mark, and leaves the line out otherwise. Lines of zero are left out.
//! Pei pays neither by fulfilment nor by capitation, so deliveries and care
//! spending change nothing.

use super::{CATALOGUE, Config, Refusal, check_period, find};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageSignings {
    pub package_code: String,
    pub signings: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemDelivery {
    pub package_code: String,
    pub item_code: String,
    pub owed: u32,
    pub delivered: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamActivity {
    pub period: u16,
    pub residents_signed: u32,
    pub households_signed: u32,
    pub signings: Vec<PackageSignings>,
    pub deliveries: Vec<ItemDelivery>,
    pub assessment_score: u8,
    pub care_spent: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettlementKind {
    PerSigning,
    Fulfilment,
    Capitation,
    SurplusReward,
    Subsidy,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettlementLine {
    pub kind: SettlementKind,
    pub amount: i64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settlement {
    pub lines: Vec<SettlementLine>,
    pub total: i64,
}

fn too_large() -> Refusal {
    Refusal::InvalidRequest("结算金额过大 (the settlement is too large to pay)".to_string())
}

/// `count × each`, refused rather than wrapped if it cannot be paid.
fn times(count: u64, each: i64) -> Result<i64, Refusal> {
    i64::try_from(count).ok().and_then(|count| count.checked_mul(each)).ok_or_else(too_large)
}

/// Settle one team's period.
pub fn settle(config: &Config, activity: &TeamActivity) -> Result<Settlement, Refusal> {
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
    check_period(activity.period, &format!("服务年度 {} (period {})", activity.period, activity.period))?;
    if let Some(entry) = activity.signings.iter().find(|entry| find(&entry.package_code).is_none()) {
        return Err(Refusal::UnknownPackage(entry.package_code.clone()));
    }

    let incentive = &config.incentive;
    let mut lines = Vec::new();
    // One line per rewarded package, in catalogue order, however many
    // entries the kernel sent for it.
    for package in CATALOGUE {
        let Some(&each) = incentive.per_signing.get(package.code) else { continue };
        let count: u64 = activity
            .signings
            .iter()
            .filter(|entry| entry.package_code == package.code)
            .map(|entry| u64::from(entry.signings))
            .sum();
        let amount = times(count, each)?;
        if amount > 0 {
            lines.push(SettlementLine {
                kind: SettlementKind::PerSigning,
                amount,
                reason: format!("{}签约 {count} × {each} 分 = {amount} 分", package.name),
            });
        }
    }

    let pass_mark = incentive.subsidy_pass_mark;
    let per_resident = incentive.subsidy_per_resident;
    let residents = activity.residents_signed;
    let subsidy = times(u64::from(residents), per_resident)?;
    if i64::from(score) >= pass_mark && subsidy > 0 {
        lines.push(SettlementLine {
            kind: SettlementKind::Subsidy,
            amount: subsidy,
            reason: format!(
                "基本公共卫生服务人均补助用于签约服务: {residents} 人 × {per_resident} 分 = {subsidy} 分 (考核 {score} 分, 合格线 {pass_mark} 分)"
            ),
        });
    }

    let total = lines.iter().try_fold(0_i64, |sum, line| sum.checked_add(line.amount)).ok_or_else(too_large)?;
    Ok(Settlement { lines, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Config {
        Config::parse(include_str!("../../config.json")).unwrap()
    }

    fn activity(signings: &[(&str, u32)], residents_signed: u32, assessment_score: u8) -> TeamActivity {
        TeamActivity {
            period: 2024,
            residents_signed,
            households_signed: residents_signed / 3,
            signings: signings
                .iter()
                .map(|(code, n)| PackageSignings { package_code: code.to_string(), signings: *n })
                .collect(),
            deliveries: vec![ItemDelivery {
                package_code: "PEI-LN".into(),
                item_code: "follow-up".into(),
                owed: 480,
                delivered: 300,
            }],
            assessment_score,
            care_spent: 0,
        }
    }

    fn lines(activity: &TeamActivity) -> Vec<(SettlementKind, i64)> {
        let settlement = settle(&shipped(), activity).unwrap();
        assert_eq!(settlement.total, settlement.lines.iter().map(|l| l.amount).sum::<i64>());
        assert!(settlement.lines.iter().all(|l| l.amount > 0));
        settlement.lines.iter().map(|l| (l.kind, l.amount)).collect()
    }

    use SettlementKind::{PerSigning, Subsidy};

    #[test]
    fn pregnancy_and_elderly_signings_earn_15_yuan_each() {
        let a = activity(&[("PEI-LN", 120), ("PEI-YY", 3), ("PEI-MB", 40)], 350, 85);
        assert_eq!(lines(&a), [(PerSigning, 4500), (PerSigning, 180000), (Subsidy, 350000)]);
        let settlement = settle(&shipped(), &a).unwrap();
        assert_eq!(settlement.total, 534500);
        let reasons: Vec<_> = settlement.lines.iter().map(|l| l.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "优孕优育包签约 3 × 1500 分 = 4500 分",
                "老年保健包签约 120 × 1500 分 = 180000 分",
                "基本公共卫生服务人均补助用于签约服务: 350 人 × 1000 分 = 350000 分 (考核 85 分, 合格线 60 分)",
            ]
        );
    }

    #[test]
    fn entries_for_one_package_are_added_up() {
        let a = activity(&[("PEI-YY", 2), ("PEI-YY", 5)], 0, 90);
        assert_eq!(lines(&a), [(PerSigning, 10500)]);
    }

    #[test]
    fn subsidy_is_paid_only_after_a_passing_assessment() {
        assert_eq!(lines(&activity(&[], 100, 60)), [(Subsidy, 100000)]);
        assert_eq!(lines(&activity(&[], 100, 59)), []);
        assert_eq!(lines(&activity(&[("PEI-LN", 1)], 100, 0)), [(PerSigning, 1500)]);
        assert_eq!(settle(&shipped(), &activity(&[], 0, 100)).unwrap(), Settlement { lines: vec![], total: 0 });
    }

    #[test]
    fn largest_counts_do_not_overflow() {
        let a = activity(&[("PEI-YY", u32::MAX), ("PEI-YY", u32::MAX), ("PEI-LN", u32::MAX)], u32::MAX, 100);
        let total = settle(&shipped(), &a).unwrap().total;
        assert_eq!(total, 3 * i64::from(u32::MAX) * 1500 + i64::from(u32::MAX) * 1000);
    }

    #[test]
    fn bad_activities_are_refused() {
        let config = shipped();
        let refusal = |a: &TeamActivity| settle(&config, a).unwrap_err();
        assert_eq!(
            refusal(&activity(&[], 1, 101)),
            Refusal::InvalidRequest("考核得分应在 0–100 之间 (assessment score must be 0–100): 101".into())
        );
        assert_eq!(refusal(&activity(&[("PEI-XX", 1)], 1, 80)), Refusal::UnknownPackage("PEI-XX".into()));
        let mut a = activity(&[], 1, 80);
        a.period = 2015;
        assert!(matches!(refusal(&a), Refusal::InvalidRequest(m) if m.starts_with("服务年度 2015")));
        let mut a = activity(&[], 1, 80);
        a.care_spent = -1;
        assert!(matches!(refusal(&a), Refusal::InvalidRequest(_)));
    }
}
