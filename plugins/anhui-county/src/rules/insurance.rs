//! Insurance adjudication (医保报销) of a signed resident's claim under the
//! county's basic resident insurance. The plan gives no numbers, so the
//! ratios, deductibles and caps are the configuration's.
//!
//! - Outpatient care (普通门诊统筹), and rehabilitation outside a stay: no
//!   deductible; the level's ratio of the claim, limited by what the annual
//!   outpatient cap leaves.
//! - Inpatient care (住院): a deductible for each stay (起付线按次) by level;
//!   a stay referred up from primary care pays only what its level's
//!   deductible exceeds the township centre's, the referring stay's
//!   deductible being counted (起付线连续计算); then the level's ratio of the
//!   rest, limited by what the annual inpatient cap leaves. Village clinics
//!   have no beds.
//!
//! Shares in order: deductible, reimbursement, over-cap, co-payment; the
//! co-payment is the remainder, so the shares always make the claim. Shares
//! of nothing are left out. The year's `deductible-paid` is not used: the
//! deductible is per stay.

use crate::exports::qianyue::county::insurance::{Adjudication, CareKind, CareLevel, Claim, Payer, Share, ShareKind};
use crate::qianyue::county::types::{PackageKind, Refusal};

use super::catalogue::find;
use super::config::Wards;
use super::{Config, check_date, percent_of};

fn level_zh(level: CareLevel) -> &'static str {
    match level {
        CareLevel::VillageClinic => "村卫生室",
        CareLevel::TownshipCentre => "乡镇卫生院",
        CareLevel::CountyHospital => "县级医院",
        CareLevel::AboveCounty => "县外医院",
    }
}

/// A ward's number, or `None` at a village clinic, which has no beds.
fn ward(wards: &Wards, level: CareLevel) -> Option<i64> {
    match level {
        CareLevel::VillageClinic => None,
        CareLevel::TownshipCentre => Some(wards.township_centre),
        CareLevel::CountyHospital => Some(wards.county_hospital),
        CareLevel::AboveCounty => Some(wards.above_county),
    }
}

/// The claim itself: no negative money, a day the rules cover, packages of
/// the catalogue, and exactly one basic package (a signed resident).
fn check(claim: &Claim) -> Result<(), Refusal> {
    let ytd = claim.year_to_date;
    let money = [
        ("费用 (amount)", claim.amount),
        ("本年已付起付线 (deductible-paid)", ytd.deductible_paid),
        ("本年门诊已报销 (outpatient-reimbursed)", ytd.outpatient_reimbursed),
        ("本年住院已报销 (inpatient-reimbursed)", ytd.inpatient_reimbursed),
    ];
    if let Some((name, value)) = money.into_iter().find(|(_, value)| *value < 0) {
        return Err(Refusal::InvalidRequest(format!("{name}不能为负 (must not be negative): {value}")));
    }
    check_date(claim.on)?;
    let mut basics = 0;
    for code in &claim.signed_packages {
        match find(code) {
            None => return Err(Refusal::UnknownPackage(code.clone())),
            Some(package) if package.kind == PackageKind::Basic => basics += 1,
            Some(_) => {}
        }
    }
    match basics {
        0 => Err(Refusal::NotEligible(
            "未签约基础服务包的居民不适用家庭医生签约医保结算 (only residents who signed a basic package)".to_string(),
        )),
        1 => Ok(()),
        _ => Err(Refusal::InvalidRequest(
            "一名居民只能签约一个基础服务包 (a resident signs one basic package)".to_string(),
        )),
    }
}

fn share(kind: ShareKind, payer: Payer, amount: i64, reason: String) -> Share {
    Share { kind, payer, amount, reason }
}

/// Adjudicate one claim.
pub fn adjudicate(config: &Config, claim: &Claim) -> Result<Adjudication, Refusal> {
    check(claim)?;
    let amount = claim.amount;
    let level = claim.level;
    let ytd = claim.year_to_date;
    let mut shares = Vec::new();

    let (care, ratio, cap, reimbursed, deductible) = match claim.kind {
        CareKind::Outpatient | CareKind::Rehabilitation => {
            let outpatient = &config.insurance.outpatient;
            let ratio = match level {
                CareLevel::VillageClinic => outpatient.ratio_percent.village_clinic,
                CareLevel::TownshipCentre => outpatient.ratio_percent.township_centre,
                CareLevel::CountyHospital => outpatient.ratio_percent.county_hospital,
                CareLevel::AboveCounty => outpatient.ratio_percent.above_county,
            };
            let care = if claim.kind == CareKind::Outpatient { "门诊" } else { "康复(按门诊)" };
            (format!("{}{care}", level_zh(level)), ratio, outpatient.annual_cap, ytd.outpatient_reimbursed, 0)
        }
        CareKind::Inpatient => {
            let inpatient = &config.insurance.inpatient;
            let (Some(line), Some(ratio)) =
                (ward(&inpatient.deductible_per_stay, level), ward(&inpatient.ratio_percent, level))
            else {
                return Err(Refusal::InvalidRequest(
                    "村卫生室不提供住院服务 (village clinics admit no inpatients)".to_string(),
                ));
            };
            let care = format!("{}住院", level_zh(level));
            let township = inpatient.deductible_per_stay.township_centre;
            let (due, text) = if claim.referred {
                let due = (line - township).max(0);
                (due, format!("{care}起付线 {line} 分, 基层转诊连续计算减乡镇卫生院起付线 {township} 分 = {due} 分"))
            } else {
                (line, format!("{care}起付线 {line} 分"))
            };
            let deductible = due.min(amount);
            if deductible > 0 {
                shares.push(share(
                    ShareKind::Deductible,
                    Payer::Resident,
                    deductible,
                    format!("{text}, 本次付 {deductible} 分"),
                ));
            }
            (care, ratio, inpatient.annual_cap, ytd.inpatient_reimbursed, deductible)
        }
    };

    let above = amount - deductible;
    let reimbursable = percent_of(above, ratio);
    let cap_left = (cap - reimbursed).max(0);
    let reimbursement = reimbursable.min(cap_left);
    let limited =
        if reimbursement < reimbursable { format!(", 本次最多报 {cap_left} 分") } else { String::new() };
    let over_cap = reimbursable - reimbursement;
    let co_payment = above - reimbursable;
    let parts = [
        (
            ShareKind::Reimbursement,
            Payer::InsuranceFund,
            reimbursement,
            format!(
                "{care}医保报销: ({amount} − {deductible}) × {ratio}% = {reimbursable} 分; 年封顶线 {cap} 分, 本年已报 {reimbursed} 分{limited}"
            ),
        ),
        (
            ShareKind::OverCap,
            Payer::Resident,
            over_cap,
            format!("超出年封顶线: {reimbursable} − {reimbursement} = {over_cap} 分"),
        ),
        (
            ShareKind::CoPayment,
            Payer::Resident,
            co_payment,
            format!("按比例自付: {above} − {reimbursable} = {co_payment} 分"),
        ),
    ];
    shares.extend(
        parts
            .into_iter()
            .filter(|(_, _, amount, _)| *amount > 0)
            .map(|(kind, payer, amount, reason)| share(kind, payer, amount, reason)),
    );
    Ok(Adjudication { shares })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::qianyue::county::insurance::YearToDate;
    use crate::qianyue::county::types::{Date, PopulationTags, ResidentFacts, Sex};

    fn shipped() -> Config {
        Config::parse(include_str!("../../config.json")).unwrap()
    }

    fn claim(kind: CareKind, level: CareLevel, amount: i64) -> Claim {
        Claim {
            resident: ResidentFacts { age: 70, sex: Sex::Male, tags: PopulationTags::ELDERLY },
            signed_packages: vec!["AH-JC-LN".to_string(), "AH-GX-LN".to_string()],
            kind,
            level,
            referred: false,
            on: Date { year: 2024, month: 5, day: 1 },
            amount,
            year_to_date: YearToDate { deductible_paid: 0, outpatient_reimbursed: 0, inpatient_reimbursed: 0 },
        }
    }

    fn amounts(config: &Config, claim: &Claim) -> Vec<(ShareKind, i64)> {
        let adjudication = adjudicate(config, claim).unwrap();
        assert!(adjudication.shares.iter().all(|s| s.amount > 0), "{adjudication:?}");
        assert_eq!(adjudication.shares.iter().map(|s| s.amount).sum::<i64>(), claim.amount, "{adjudication:?}");
        adjudication.shares.iter().map(|s| (s.kind, s.amount)).collect()
    }

    use CareKind::{Inpatient, Outpatient, Rehabilitation};
    use CareLevel::{AboveCounty, CountyHospital, TownshipCentre, VillageClinic};
    use ShareKind::{CoPayment, Deductible, OverCap, Reimbursement};

    #[test]
    fn outpatient_is_the_level_ratio_without_deductible() {
        let config = shipped();
        assert_eq!(
            amounts(&config, &claim(Outpatient, VillageClinic, 10000)),
            [(Reimbursement, 6000), (CoPayment, 4000)]
        );
        assert_eq!(
            amounts(&config, &claim(Outpatient, AboveCounty, 10000)),
            [(Reimbursement, 3000), (CoPayment, 7000)]
        );
        assert_eq!(
            amounts(&config, &claim(Rehabilitation, CountyHospital, 10000)),
            [(Reimbursement, 5000), (CoPayment, 5000)]
        );
        // 1001 × 50% = 500.5 → 501.
        assert_eq!(
            amounts(&config, &claim(Outpatient, CountyHospital, 1001)),
            [(Reimbursement, 501), (CoPayment, 500)]
        );
    }

    #[test]
    fn the_annual_cap_limits_reimbursement() {
        let config = shipped();
        let mut c = claim(Outpatient, TownshipCentre, 10000);
        c.year_to_date.outpatient_reimbursed = 58000;
        assert_eq!(amounts(&config, &c), [(Reimbursement, 2000), (OverCap, 4000), (CoPayment, 4000)]);
        c.year_to_date.outpatient_reimbursed = 70000;
        assert_eq!(amounts(&config, &c), [(OverCap, 6000), (CoPayment, 4000)]);
        // Inpatient reimbursement does not use up the outpatient cap.
        c.year_to_date = YearToDate { deductible_paid: 0, outpatient_reimbursed: 0, inpatient_reimbursed: 29_000_000 };
        assert_eq!(amounts(&config, &c), [(Reimbursement, 6000), (CoPayment, 4000)]);
    }

    #[test]
    fn inpatient_stays_pay_their_deductible_then_the_ratio() {
        let config = shipped();
        assert_eq!(
            amounts(&config, &claim(Inpatient, CountyHospital, 100000)),
            [(Deductible, 50000), (Reimbursement, 40000), (CoPayment, 10000)]
        );
        // A stay cheaper than its deductible is all deductible.
        assert_eq!(amounts(&config, &claim(Inpatient, TownshipCentre, 15000)), [(Deductible, 15000)]);
        // Each stay pays its own deductible, whatever the year has paid.
        let mut c = claim(Inpatient, TownshipCentre, 50000);
        c.year_to_date.deductible_paid = 20000;
        assert_eq!(amounts(&config, &c), [(Deductible, 20000), (Reimbursement, 25500), (CoPayment, 4500)]);
    }

    #[test]
    fn a_referred_stay_counts_the_primary_deductible() {
        let config = shipped();
        let mut c = claim(Inpatient, AboveCounty, 200000);
        c.referred = true;
        // 100000 − 20000 = 80000 deductible; (200000 − 80000) × 65% = 78000.
        assert_eq!(amounts(&config, &c), [(Deductible, 80000), (Reimbursement, 78000), (CoPayment, 42000)]);
        c.level = TownshipCentre;
        assert_eq!(amounts(&config, &c), [(Reimbursement, 170000), (CoPayment, 30000)]);
    }

    #[test]
    fn every_claim_adds_up() {
        let config = shipped();
        for kind in [Outpatient, Inpatient, Rehabilitation] {
            for level in [TownshipCentre, CountyHospital, AboveCounty] {
                for amount in [0, 1, 2, 999, 1001, 20001, 123457, i64::MAX] {
                    for used in [0, 1, 59999, 60000, 29_999_999, i64::MAX] {
                        for referred in [false, true] {
                            let mut c = claim(kind, level, amount);
                            c.referred = referred;
                            c.year_to_date = YearToDate {
                                deductible_paid: used,
                                outpatient_reimbursed: used,
                                inpatient_reimbursed: used,
                            };
                            amounts(&config, &c);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn bad_claims_are_refused() {
        let config = shipped();
        let refusal = |c: &Claim| adjudicate(&config, c).unwrap_err();
        assert_eq!(
            refusal(&claim(Inpatient, VillageClinic, 100)),
            Refusal::InvalidRequest("村卫生室不提供住院服务 (village clinics admit no inpatients)".into())
        );
        assert!(matches!(refusal(&claim(Outpatient, TownshipCentre, -1)), Refusal::InvalidRequest(_)));
        let mut c = claim(Outpatient, TownshipCentre, 100);
        c.year_to_date.deductible_paid = -1;
        assert!(matches!(refusal(&c), Refusal::InvalidRequest(m) if m.contains("deductible-paid")));
        let mut c = claim(Outpatient, TownshipCentre, 100);
        c.on = Date { year: 2023, month: 12, day: 31 };
        assert!(matches!(refusal(&c), Refusal::InvalidRequest(_)));
        let mut c = claim(Outpatient, TownshipCentre, 100);
        c.signed_packages.push("AH-XX".into());
        assert_eq!(refusal(&c), Refusal::UnknownPackage("AH-XX".into()));
        c.signed_packages = vec!["AH-GX-LN".into()];
        assert!(matches!(refusal(&c), Refusal::NotEligible(_)));
        c.signed_packages = vec!["AH-JC-LN".into(), "AH-JC-YB".into()];
        assert!(matches!(refusal(&c), Refusal::InvalidRequest(_)));
    }
}
