//! Medical-insurance adjudication (医保报销) of a signed resident's claim,
//! with the plan's differentiated benefits for the poverty groups
//! (差异化的医保支付政策):
//!
//! - a lower deductible (降低起付线): the poor's deductible is
//!   `deductible_percent` of everyone's;
//! - the deductible counted continuously across a referral (连续计算起付线):
//!   a deductible is due for every visit or admission, but a poor patient's
//!   referred claim pays only what its deductible exceeds the deductible
//!   already paid this year (`year-to-date.deductible-paid`), never a second
//!   full one;
//! - a higher inpatient ratio after referral (提高转诊住院报销比例):
//!   `referred_inpatient_ratio_points` added to the level's ratio, at most
//!   100%;
//! - assistance after reimbursement (报销后自付费用仍有困难的，落实救助政策):
//!   medical assistance pays what the poor resident would still pay above
//!   `self_pay_limit_percent` of the claim at that level.
//!
//! Everyone else gets the base deductibles, ratios and caps; `referred`
//! changes nothing for them. The shares are, in order: deductible,
//! reimbursement, over-cap, co-payment, compensation. The compensation
//! relieves the resident, so it comes off the resident's shares — the
//! co-payment first, then the over-cap part, then the deductible — and each
//! resident share states what the resident finally pays.
//!
//! A deductible met is met, whoever paid it: the part of the deductible
//! medical assistance pays stays a `deductible` share, paid by medical
//! assistance, right after the resident's own, so that the kernel's
//! `year-to-date.deductible-paid` counts it and a referred admission does not
//! charge it again. The compensation share keeps only what relieved the
//! co-payment and the over-cap part.

use super::config::at;
use super::{BASIC, Config, check_date, find, percent_of, tag_names};
use crate::exports::qianyue::county::insurance::{Adjudication, CareKind, CareLevel, Claim, Payer, Share, ShareKind};
use crate::qianyue::county::types::Refusal;

fn care_zh(kind: CareKind, level: CareLevel) -> String {
    let level = match level {
        CareLevel::VillageClinic => "村卫生室",
        CareLevel::TownshipCentre => "乡镇卫生院",
        CareLevel::CountyHospital => "县级医院",
        CareLevel::AboveCounty => "县外医院",
    };
    let kind = match kind {
        CareKind::Outpatient => "门诊",
        CareKind::Inpatient => "住院",
        CareKind::Rehabilitation => "康复",
    };
    format!("{level}{kind}")
}

/// The request itself: money not negative, a day the rules cover, codes of
/// the catalogue, and a resident who signed (these are the family-doctor
/// contract's benefits).
fn check(claim: &Claim) -> Result<(), Refusal> {
    let ytd = &claim.year_to_date;
    for (name, value) in [
        ("amount", claim.amount),
        ("year-to-date.deductible-paid", ytd.deductible_paid),
        ("year-to-date.outpatient-reimbursed", ytd.outpatient_reimbursed),
        ("year-to-date.inpatient-reimbursed", ytd.inpatient_reimbursed),
    ] {
        if value < 0 {
            return Err(Refusal::InvalidRequest(format!("金额不能为负 ({name} must not be negative): {value}")));
        }
    }
    check_date(claim.on)?;
    if let Some(code) = claim.signed_packages.iter().find(|code| find(code).is_none()) {
        return Err(Refusal::UnknownPackage(code.clone()));
    }
    if !claim.signed_packages.iter().any(|code| code == BASIC) {
        return Err(Refusal::NotEligible(format!(
            "未签约家庭医生的居民不适用签约医保政策 (only residents who signed the basic package {BASIC} get these benefits)"
        )));
    }
    Ok(())
}

/// A resident's share before and after the compensation came off it.
struct ResidentShare {
    kind: ShareKind,
    gross: i64,
    net: i64,
    reason: String,
}

impl ResidentShare {
    fn new(kind: ShareKind, gross: i64, reason: String) -> ResidentShare {
        ResidentShare { kind, gross, net: gross, reason }
    }

    fn into_share(self) -> Share {
        let reason = if self.net == self.gross {
            self.reason
        } else {
            format!("{}; 医疗救助兜底后个人付 {} 分", self.reason, self.net)
        };
        Share { kind: self.kind, payer: Payer::Resident, amount: self.net, reason }
    }
}

/// Adjudicate one claim.
pub fn adjudicate(config: &Config, claim: &Claim) -> Result<Adjudication, Refusal> {
    check(claim)?;
    let (amount, level, ytd) = (claim.amount, claim.level, &claim.year_to_date);
    let inpatient = matches!(claim.kind, CareKind::Inpatient);
    let (benefit, reimbursed_before) = if inpatient {
        (&config.insurance.inpatient, ytd.inpatient_reimbursed)
    } else {
        // Rehabilitation is care outside a stay here: outpatient benefits.
        (&config.insurance.outpatient, ytd.outpatient_reimbursed)
    };
    let relief = &config.insurance.poverty;
    let poor = claim.resident.tags.intersection(config.poverty_tags());
    let is_poor = !poor.is_empty();
    let care = care_zh(claim.kind, level);

    // Deductible (起付线).
    let base = at(benefit.deductible, level);
    let (line, mut deductible_text) = if is_poor {
        let percent = relief.deductible_percent;
        let line = percent_of(base, percent);
        (line, format!("{care}起付线 {base} × {percent}% = {line} 分 (贫困人口降低起付线)"))
    } else {
        (base, format!("{care}起付线 {base} 分"))
    };
    let due = if is_poor && claim.referred {
        let paid = ytd.deductible_paid;
        let due = (line - paid).max(0);
        deductible_text.push_str(&if paid >= line {
            format!("; 转诊连续计算起付线: 本年已付 {paid} 分, 不再支付")
        } else {
            format!("; 转诊连续计算起付线: 本年已付 {paid} 分, 还需 {line} − {paid} = {due} 分")
        });
        due
    } else {
        line
    };
    let deductible = due.min(amount);
    if deductible < due {
        deductible_text.push_str(&format!(", 以费用 {amount} 分为限"));
    }

    // Reimbursement (按比例报销) above the deductible, within the annual cap.
    let above = amount - deductible;
    let base_ratio = at(benefit.ratio_percent, level);
    let (ratio, ratio_text) = if inpatient && is_poor && claim.referred {
        let points = relief.referred_inpatient_ratio_points;
        let ratio = (base_ratio + points).min(100);
        let limit = if base_ratio + points > 100 { ", 以 100% 为限" } else { "" };
        (ratio, format!("{ratio}% ({base_ratio}% + 转诊住院提高 {points} 个百分点{limit})"))
    } else {
        (base_ratio, format!("{base_ratio}%"))
    };
    let reimbursable = percent_of(above, ratio);
    let cap = benefit.annual_cap;
    let cap_left = (cap - reimbursed_before).max(0);
    let reimbursement = reimbursable.min(cap_left);
    let mut reimbursement_text =
        format!("{care}医保报销: ({amount} − {deductible}) × {ratio_text} = {reimbursable} 分");
    if reimbursement < reimbursable {
        reimbursement_text
            .push_str(&format!("; 年封顶线 {cap} 分, 本年已报 {reimbursed_before} 分, 本次最多报 {cap_left} 分"));
    }
    let over_cap = reimbursable - reimbursement;
    let co_payment = above - reimbursable;

    let mut resident = [
        ResidentShare::new(ShareKind::Deductible, deductible, deductible_text),
        ResidentShare::new(
            ShareKind::OverCap,
            over_cap,
            format!("超出年封顶线: {reimbursable} − {reimbursement} = {over_cap} 分"),
        ),
        ResidentShare::new(
            ShareKind::CoPayment,
            co_payment,
            format!("按比例自付: {above} − {reimbursable} = {co_payment} 分"),
        ),
    ];

    // Assistance (医疗救助兜底) above the poor resident's limit.
    let burden = amount - reimbursement;
    let mut compensation = None;
    let mut assisted_deductible = None;
    if is_poor {
        let percent = at(relief.self_pay_limit_percent, level);
        let limit = percent_of(amount, percent);
        let paid = (burden - limit).max(0);
        if paid > 0 {
            let (groups, _) = tag_names(poor);
            let mut left = paid;
            for share in resident.iter_mut().rev() {
                let taken = share.net.min(left);
                share.net -= taken;
                left -= taken;
            }
            // What the assistance paid of the deductible is a deductible
            // share of its own; the compensation keeps the rest.
            let on_deductible = resident[0].gross - resident[0].net;
            let mut reason = format!(
                "{groups}医疗救助兜底: 医保后个人负担 {amount} − {reimbursement} = {burden} 分, 个人支付以费用的 {percent}% 为限: {amount} × {percent}% = {limit} 分, 救助 {burden} − {limit} = {paid} 分"
            );
            if on_deductible > 0 {
                assisted_deductible = Some(Share {
                    kind: ShareKind::Deductible,
                    payer: Payer::MedicalAssistance,
                    amount: on_deductible,
                    reason: format!(
                        "起付线由医疗救助兜底: {on_deductible} 分, 本次起付线 {deductible} 分, 计入本年已付起付线"
                    ),
                });
                reason.push_str(&format!("; 其中起付线 {on_deductible} 分另列, 本项 {} 分", paid - on_deductible));
            }
            compensation = Some(Share {
                kind: ShareKind::Compensation,
                payer: Payer::MedicalAssistance,
                amount: paid - on_deductible,
                reason,
            });
        }
    }

    let [deductible_share, over_cap_share, co_payment_share] = resident;
    let reimbursement_share = Share {
        kind: ShareKind::Reimbursement,
        payer: Payer::InsuranceFund,
        amount: reimbursement,
        reason: reimbursement_text,
    };
    let shares = [
        Some(deductible_share.into_share()),
        assisted_deductible,
        Some(reimbursement_share),
        Some(over_cap_share.into_share()),
        Some(co_payment_share.into_share()),
        compensation,
    ];
    Ok(Adjudication { shares: shares.into_iter().flatten().filter(|share| share.amount > 0).collect() })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;
    use crate::exports::qianyue::county::insurance::YearToDate;
    use crate::qianyue::county::types::{Date, PopulationTags, ResidentFacts, Sex};
    use crate::rules::{DIABETES, TUBERCULOSIS};

    fn shipped() -> Config {
        Config::parse(include_str!("../../config.json")).unwrap()
    }

    fn claim(kind: CareKind, level: CareLevel, amount: i64, tags: PopulationTags) -> Claim {
        Claim {
            resident: ResidentFacts { age: 62, sex: Sex::Male, tags },
            signed_packages: vec![BASIC.to_string()],
            kind,
            level,
            referred: false,
            on: Date { year: 2019, month: 5, day: 20 },
            amount,
            year_to_date: YearToDate { deductible_paid: 0, outpatient_reimbursed: 0, inpatient_reimbursed: 0 },
        }
    }

    const POOR: PopulationTags = PopulationTags::REGISTERED_POOR;
    const NONE: PopulationTags = PopulationTags::empty();

    fn shares_with(config: &Config, claim: &Claim) -> Vec<(ShareKind, Payer, i64)> {
        match adjudicate(config, claim) {
            Ok(adjudication) => adjudication.shares.iter().map(|s| (s.kind, s.payer, s.amount)).collect(),
            Err(refusal) => panic!("{refusal:?}"),
        }
    }

    fn shares(claim: &Claim) -> Vec<(ShareKind, Payer, i64)> {
        shares_with(&shipped(), claim)
    }

    fn resident_pays(claim: &Claim) -> i64 {
        shares(claim).iter().filter(|(_, payer, _)| *payer == Payer::Resident).map(|(_, _, amount)| amount).sum()
    }

    use Payer::{InsuranceFund as Fund, MedicalAssistance as Assistance, Resident as Own};
    use ShareKind::{CoPayment, Compensation, Deductible, OverCap, Reimbursement};

    #[test]
    fn everyone_pays_the_deductible_of_every_admission() {
        // County hospital: 30000 deductible; (100000 − 30000) × 80% = 56000.
        let mut c = claim(CareKind::Inpatient, CareLevel::CountyHospital, 100_000, NONE);
        let expected = vec![(Deductible, Own, 30000), (Reimbursement, Fund, 56000), (CoPayment, Own, 14000)];
        assert_eq!(shares(&c), expected);
        // A referral changes nothing for the non-poor, nor does what the year paid.
        c.referred = true;
        c.year_to_date.deductible_paid = 10000;
        assert_eq!(shares(&c), expected);
    }

    #[test]
    fn the_poor_pay_half_the_deductible_then_at_most_ten_percent() {
        // 30000 × 50% = 15000; (100000 − 15000) × 80% = 68000; burden 32000;
        // limit 100000 × 10% = 10000; assistance 22000 off co-payment 17000
        // first, then 5000 off the deductible: that 5000 is a deductible
        // share of medical assistance's, the compensation keeps 17000.
        let c = claim(CareKind::Inpatient, CareLevel::CountyHospital, 100_000, POOR);
        assert_eq!(
            shares(&c),
            vec![
                (Deductible, Own, 10000),
                (Deductible, Assistance, 5000),
                (Reimbursement, Fund, 68000),
                (Compensation, Assistance, 17000)
            ]
        );
        let reasons: Vec<_> = adjudicate(&shipped(), &c).unwrap().shares.into_iter().map(|s| s.reason).collect();
        assert_eq!(reasons[1], "起付线由医疗救助兜底: 5000 分, 本次起付线 15000 分, 计入本年已付起付线");
        assert!(
            reasons[3].ends_with("救助 32000 − 10000 = 22000 分; 其中起付线 5000 分另列, 本项 17000 分"),
            "{reasons:?}"
        );
        assert_eq!(resident_pays(&c), 10000);
        let c = claim(CareKind::Inpatient, CareLevel::CountyHospital, 100_000, PopulationTags::POVERTY_MONITORING);
        assert_eq!(resident_pays(&c), 10000, "monitoring households too");
        let c = claim(CareKind::Inpatient, CareLevel::CountyHospital, 100_000, PopulationTags::LIFTED_OUT_OF_POVERTY);
        assert_eq!(resident_pays(&c), 44000, "lifted households are not in the configured groups");
    }

    #[test]
    fn a_referred_poor_admission_counts_the_deductible_continuously() {
        let mut c = claim(CareKind::Inpatient, CareLevel::CountyHospital, 100_000, POOR);
        c.referred = true;
        c.year_to_date.deductible_paid = 5000;
        // 15000 − 5000 = 10000 due; (100000 − 10000) × 85% = 76500; burden
        // 23500; limit 10000; assistance 13500 (co-payment 13500 → 0).
        assert_eq!(
            shares(&c),
            vec![(Deductible, Own, 10000), (Reimbursement, Fund, 76500), (Compensation, Assistance, 13500)]
        );
        // Already paid more than this line: nothing more.
        c.year_to_date.deductible_paid = 20000;
        let got = shares(&c);
        assert_eq!(got[0], (Reimbursement, Fund, 85000));
        let text = &adjudicate(&shipped(), &c).unwrap().shares[0].reason;
        assert!(text.starts_with("县级医院住院医保报销: (100000 − 0) × 85% (80% + 转诊住院提高 5 个百分点)"), "{text}");
    }

    /// The year-to-date as the kernel builds it from earlier claims: every
    /// deductible share, whoever paid it, and the fund's reimbursements.
    fn year_after(claim: &Claim, adjudication: &Adjudication) -> YearToDate {
        let mut ytd = claim.year_to_date;
        for share in &adjudication.shares {
            match (share.kind, share.payer, claim.kind) {
                (Deductible, _, _) => ytd.deductible_paid += share.amount,
                (Reimbursement, Fund, CareKind::Inpatient) => ytd.inpatient_reimbursed += share.amount,
                (Reimbursement, Fund, _) => ytd.outpatient_reimbursed += share.amount,
                _ => {}
            }
        }
        ytd
    }

    #[test]
    fn a_deductible_paid_by_medical_assistance_is_met_for_a_referred_admission() {
        // The first admission's deductible 15000: 10000 the resident's, 5000
        // medical assistance's.
        let first = claim(CareKind::Inpatient, CareLevel::CountyHospital, 100_000, POOR);
        let answer = adjudicate(&shipped(), &first).unwrap();
        let ytd = year_after(&first, &answer);
        assert_eq!(ytd, YearToDate { deductible_paid: 15000, outpatient_reimbursed: 0, inpatient_reimbursed: 68000 });
        // Referred back in: 15000 met, nothing due; 100000 × 85% = 85000;
        // burden 15000, limit 10000, assistance 5000 off the co-payment.
        let mut referred = first.clone();
        referred.referred = true;
        referred.on = Date { year: 2019, month: 8, day: 1 };
        referred.year_to_date = ytd;
        assert_eq!(
            shares(&referred),
            vec![(Reimbursement, Fund, 85000), (CoPayment, Own, 10000), (Compensation, Assistance, 5000)]
        );
        // Above the county the lowered line 40000 owes 40000 − 15000 = 25000.
        referred.level = CareLevel::AboveCounty;
        referred.amount = 200_000;
        assert_eq!(shares(&referred)[0], (Deductible, Own, 25000));
    }

    #[test]
    fn assistance_of_the_whole_burden_pays_the_whole_deductible_as_a_deductible_share() {
        let mut config = shipped();
        config.insurance.poverty.self_pay_limit_percent.county_hospital = 0;
        let c = claim(CareKind::Inpatient, CareLevel::CountyHospital, 100_000, POOR);
        assert_eq!(
            shares_with(&config, &c),
            vec![(Deductible, Assistance, 15000), (Reimbursement, Fund, 68000), (Compensation, Assistance, 17000)]
        );
        // A claim under the deductible: all of it deductible, the resident's
        // 10% limit 400 and medical assistance's 3600.
        let c = claim(CareKind::Inpatient, CareLevel::TownshipCentre, 4_000, POOR);
        assert_eq!(shares(&c), vec![(Deductible, Own, 400), (Deductible, Assistance, 3600)]);
    }

    #[test]
    fn the_referral_ratio_stops_at_one_hundred() {
        let mut config = shipped();
        config.insurance.poverty.referred_inpatient_ratio_points = 30;
        config.insurance.poverty.self_pay_limit_percent.county_hospital = 100;
        let mut c = claim(CareKind::Inpatient, CareLevel::CountyHospital, 100_000, POOR);
        c.referred = true;
        assert_eq!(shares_with(&config, &c), vec![(Deductible, Own, 15000), (Reimbursement, Fund, 85000)]);
        let text = &adjudicate(&config, &c).unwrap().shares[1].reason;
        assert!(text.ends_with("× 100% (80% + 转诊住院提高 30 个百分点, 以 100% 为限) = 85000 分"), "{text}");
    }

    #[test]
    fn outpatient_referral_gets_no_higher_ratio() {
        let mut c = claim(CareKind::Outpatient, CareLevel::CountyHospital, 10_000, POOR);
        c.referred = true;
        // 10000 × 40% = 4000; burden 6000; limit 1000; assistance 5000.
        assert_eq!(
            shares(&c),
            vec![(Reimbursement, Fund, 4000), (CoPayment, Own, 1000), (Compensation, Assistance, 5000)]
        );
    }

    #[test]
    fn above_the_county_the_poor_get_no_assistance_by_default() {
        let c = claim(CareKind::Inpatient, CareLevel::AboveCounty, 200_000, POOR);
        // 80000 × 50% = 40000; (200000 − 40000) × 60% = 96000; the rest 64000.
        assert_eq!(shares(&c), vec![(Deductible, Own, 40000), (Reimbursement, Fund, 96000), (CoPayment, Own, 64000)]);
    }

    #[test]
    fn the_annual_cap_binds_and_assistance_reaches_the_over_cap_part() {
        let mut c = claim(CareKind::Outpatient, CareLevel::TownshipCentre, 10_000, NONE);
        c.year_to_date.outpatient_reimbursed = 18_000;
        // 10000 × 60% = 6000, only 2000 left under the 20000 cap.
        assert_eq!(shares(&c), vec![(Reimbursement, Fund, 2000), (OverCap, Own, 4000), (CoPayment, Own, 4000)]);
        c.resident.tags = POOR;
        // Burden 8000, limit 1000: 7000 off co-payment 4000, then over-cap 3000.
        assert_eq!(
            shares(&c),
            vec![(Reimbursement, Fund, 2000), (OverCap, Own, 1000), (Compensation, Assistance, 7000)]
        );
        c.year_to_date.outpatient_reimbursed = 25_000;
        assert_eq!(shares(&c)[0], (OverCap, Own, 1000));
    }

    #[test]
    fn rehabilitation_uses_the_outpatient_benefit_and_cap() {
        let mut c = claim(CareKind::Rehabilitation, CareLevel::TownshipCentre, 5_000, NONE);
        c.year_to_date.inpatient_reimbursed = 15_000_000;
        assert_eq!(shares(&c), vec![(Reimbursement, Fund, 3000), (CoPayment, Own, 2000)]);
    }

    #[test]
    fn a_deductible_larger_than_the_claim_takes_the_whole_claim() {
        let c = claim(CareKind::Inpatient, CareLevel::TownshipCentre, 4_000, NONE);
        assert_eq!(shares(&c), vec![(Deductible, Own, 4000)]);
        let text = &adjudicate(&shipped(), &c).unwrap().shares[0].reason;
        assert_eq!(text, "乡镇卫生院住院起付线 10000 分, 以费用 4000 分为限");
    }

    #[test]
    fn shares_add_up_and_round_half_up() {
        let mut no_assistance = shipped();
        no_assistance.insurance.poverty.self_pay_limit_percent.village_clinic = 100;
        no_assistance.insurance.poverty.self_pay_limit_percent.township_centre = 100;
        no_assistance.insurance.poverty.self_pay_limit_percent.county_hospital = 100;
        no_assistance.insurance.poverty.self_pay_limit_percent.above_county = 100;
        // 1005 × 60% = 603; 1005 × 10% = 100.5 → 101 for the poor's limit.
        let c = claim(CareKind::Outpatient, CareLevel::VillageClinic, 1005, POOR);
        assert_eq!(
            shares(&c),
            vec![(Reimbursement, Fund, 603), (CoPayment, Own, 101), (Compensation, Assistance, 301)]
        );
        for amount in [0, 1, 5, 999, 1005, 10_001, 123_457, 9_999_999] {
            for tags in [NONE, POOR] {
                for kind in [CareKind::Outpatient, CareKind::Inpatient, CareKind::Rehabilitation] {
                    for level in [
                        CareLevel::VillageClinic,
                        CareLevel::TownshipCentre,
                        CareLevel::CountyHospital,
                        CareLevel::AboveCounty,
                    ] {
                        for (referred, paid, used) in [(false, 0, 0), (true, 7_000, 19_000), (true, 90_000, 14_999_999)]
                        {
                            let mut c = claim(kind, level, amount, tags);
                            c.referred = referred;
                            c.year_to_date = YearToDate {
                                deductible_paid: paid,
                                outpatient_reimbursed: used,
                                inpatient_reimbursed: used,
                            };
                            let got = shares(&c);
                            assert!(got.iter().all(|(_, _, a)| *a > 0), "{got:?}");
                            assert_eq!(got.iter().map(|(_, _, a)| a).sum::<i64>(), amount, "{got:?}");
                            // Assistance never makes a deductible less met.
                            let deductible = |shares: &[(ShareKind, Payer, i64)]| -> i64 {
                                shares.iter().filter(|(kind, _, _)| *kind == Deductible).map(|(_, _, a)| a).sum()
                            };
                            assert_eq!(deductible(&got), deductible(&shares_with(&no_assistance, &c)), "{c:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn refusals() {
        let config = shipped();
        let mut c = claim(CareKind::Outpatient, CareLevel::VillageClinic, -1, NONE);
        assert_eq!(
            adjudicate(&config, &c).map(|_| ()),
            Err(Refusal::InvalidRequest("金额不能为负 (amount must not be negative): -1".to_string()))
        );
        c.amount = 100;
        c.year_to_date.deductible_paid = -5;
        assert!(matches!(adjudicate(&config, &c), Err(Refusal::InvalidRequest(t)) if t.contains("deductible-paid")));
        c.year_to_date.deductible_paid = 0;
        c.signed_packages = vec![DIABETES.to_string()];
        assert!(matches!(adjudicate(&config, &c), Err(Refusal::NotEligible(_))));
        c.signed_packages = vec![BASIC.to_string(), "GL-XX".to_string(), TUBERCULOSIS.to_string()];
        assert_eq!(adjudicate(&config, &c).map(|_| ()), Err(Refusal::UnknownPackage("GL-XX".to_string())));
        c.signed_packages = vec![BASIC.to_string()];
        c.on = Date { year: 2017, month: 12, day: 31 };
        assert!(matches!(adjudicate(&config, &c), Err(Refusal::InvalidRequest(_))));
    }
}
