//! Medical-insurance adjudication (医保报销) of a signed resident's claim.
//!
//! Pei's documents give two rules: every signed resident's annual outpatient
//! cap (门诊封顶线) rises by 300 yuan, and for the stroke rehabilitation
//! package the township health centre reimburses a further 10% of what is
//! left after insurance. The national poverty rules add a lower deductible
//! for the registered poor and compensation of their self-pay (兜底). The
//! base deductibles, ratios and caps are not in the documents: they are this
//! plugin's defaults in the configuration.
//!
//! The claim is divided in this order: deductible, reimbursement, over-cap,
//! co-payment, top-up, compensation. Top-up and compensation relieve the
//! resident, so the resident's shares state what the resident finally pays:
//! the relief (the top-up first, then the compensation) comes off the
//! co-payment first, then the over-cap part, then the deductible, and the
//! co-payment is computed as the remainder so that the shares always add up
//! to the claim.
//!
//! A deductible met is met, whoever paid it: the part of the deductible the
//! relief pays stays a `deductible` share, paid by the reliever (the health
//! centre, then medical assistance), right after the resident's own, so that
//! the kernel's `year-to-date.deductible-paid` counts it and a later claim of
//! the year does not charge it again. The top-up and compensation shares keep
//! only what relieved the co-payment and the over-cap part.

use super::{BASIC, Config, Date, Refusal, Resident, STROKE_REHAB, Tag, check_date, config::Benefit, find, percent_of};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CareKind {
    /// 门诊
    Outpatient,
    /// 住院
    Inpatient,
    /// 康复: adjudicated with the outpatient benefits and cap, because Pei's
    /// stroke rehabilitation is delivered by the township health centre
    /// outside a hospital stay.
    Rehabilitation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CareLevel {
    VillageClinic,
    TownshipCentre,
    CountyHospital,
    AboveCounty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YearToDate {
    pub deductible_paid: i64,
    pub outpatient_reimbursed: i64,
    pub inpatient_reimbursed: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub resident: Resident,
    pub signed_packages: Vec<String>,
    pub kind: CareKind,
    pub level: CareLevel,
    /// Pei's documents give no referral rule, so it changes nothing here.
    pub referred: bool,
    pub on: Date,
    pub amount: i64,
    pub year_to_date: YearToDate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payer {
    InsuranceFund,
    HealthCentre,
    MedicalAssistance,
    Resident,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareKind {
    Deductible,
    Reimbursement,
    CoPayment,
    OverCap,
    TopUp,
    Compensation,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    pub kind: ShareKind,
    pub payer: Payer,
    pub amount: i64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjudication {
    pub shares: Vec<Share>,
}

fn kind_zh(kind: CareKind) -> &'static str {
    match kind {
        CareKind::Outpatient => "门诊",
        CareKind::Inpatient => "住院",
        CareKind::Rehabilitation => "康复",
    }
}

fn level_zh(level: CareLevel) -> &'static str {
    match level {
        CareLevel::VillageClinic => "村卫生室",
        CareLevel::TownshipCentre => "乡镇卫生院",
        CareLevel::CountyHospital => "县级医院",
        CareLevel::AboveCounty => "县外医院",
    }
}

fn at(by_level: &super::config::ByLevel, level: CareLevel) -> i64 {
    match level {
        CareLevel::VillageClinic => by_level.village_clinic,
        CareLevel::TownshipCentre => by_level.township_centre,
        CareLevel::CountyHospital => by_level.county_hospital,
        CareLevel::AboveCounty => by_level.above_county,
    }
}

/// The request itself: no negative money, a date the rules cover, codes of
/// the catalogue, and a signed resident.
fn check(claim: &Claim) -> Result<(), Refusal> {
    let negative = [
        ("费用 (amount)", claim.amount),
        ("本年已付起付线 (year-to-date deductible-paid)", claim.year_to_date.deductible_paid),
        ("本年门诊已报销 (year-to-date outpatient-reimbursed)", claim.year_to_date.outpatient_reimbursed),
        ("本年住院已报销 (year-to-date inpatient-reimbursed)", claim.year_to_date.inpatient_reimbursed),
    ];
    if let Some((name, value)) = negative.into_iter().find(|(_, value)| *value < 0) {
        return Err(Refusal::InvalidRequest(format!("{name}不能为负 (must not be negative): {value}")));
    }
    check_date(claim.on)?;
    if let Some(code) = claim.signed_packages.iter().find(|code| find(code).is_none()) {
        return Err(Refusal::UnknownPackage(code.clone()));
    }
    if !claim.signed_packages.iter().any(|code| code == BASIC) {
        return Err(Refusal::NotEligible(format!(
            "未签约居民不适用家庭医生签约医保政策 (only residents who signed the basic package {BASIC} get these benefits)"
        )));
    }
    Ok(())
}

/// Takes up to `relief` off `amount`; answers what is left of each.
fn relieve(amount: i64, relief: i64) -> (i64, i64) {
    let taken = amount.min(relief);
    (amount - taken, relief - taken)
}

/// A resident share's reason, saying what the resident finally pays when
/// top-up or compensation took part of it.
fn net_of_relief(reason: String, gross: i64, net: i64) -> String {
    if gross == net { reason } else { format!("{reason}; 扣除补充报销和兜底补偿后个人付 {net} 分") }
}

/// A relief share's reason, saying what of it paid the deductible and is
/// shown as a deductible share instead.
fn less_deductible(reason: String, relief: i64, on_deductible: i64) -> String {
    if on_deductible == 0 {
        reason
    } else {
        format!("{reason}; 其中起付线 {on_deductible} 分另列, 本项 {} 分", relief - on_deductible)
    }
}

/// Adjudicate one claim.
pub fn adjudicate(config: &Config, claim: &Claim) -> Result<Adjudication, Refusal> {
    check(claim)?;
    let insurance = &config.insurance;
    let amount = claim.amount;
    let ytd = claim.year_to_date;
    let (benefit, reimbursed, cap_raise): (&Benefit, i64, i64) = match claim.kind {
        CareKind::Outpatient | CareKind::Rehabilitation => {
            (&insurance.outpatient, ytd.outpatient_reimbursed, insurance.signed_outpatient_cap_raise)
        }
        CareKind::Inpatient => (&insurance.inpatient, ytd.inpatient_reimbursed, 0),
    };
    let care = format!("{}{}", level_zh(claim.level), kind_zh(claim.kind));
    let poor = claim.resident.tags.contains(Tag::RegisteredPoor);

    // Deductible (起付线): counted over the year, across referrals, so only
    // what the year has not yet paid is due.
    let base_deductible = at(&benefit.deductible, claim.level);
    let (deductible_line, deductible_text) = if poor {
        let percent = insurance.registered_poor.deductible_percent;
        let line = percent_of(base_deductible, percent);
        (line, format!("{care}起付线 {base_deductible} × {percent}% = {line} 分 (建档立卡贫困人口降低起付线)"))
    } else {
        (base_deductible, format!("{care}起付线 {base_deductible} 分"))
    };
    let deductible = (deductible_line - ytd.deductible_paid).max(0).min(amount);
    let deductible_text = format!("{deductible_text}, 本年已付 {} 分, 本次 {deductible} 分", ytd.deductible_paid);

    // Reimbursement (按比例报销) of what is above the deductible, limited by
    // what the year's cap leaves.
    let above = amount - deductible;
    let ratio = at(&benefit.ratio_percent, claim.level);
    let reimbursable = percent_of(above, ratio);
    let cap = benefit.annual_cap + cap_raise;
    let cap_text = if cap_raise > 0 {
        format!("{} + 签约居民提高 {cap_raise} = {cap} 分", benefit.annual_cap)
    } else {
        format!("{cap} 分")
    };
    let cap_left = (cap - reimbursed).max(0);
    let reimbursement = reimbursable.min(cap_left);
    let mut reimbursement_text = format!(
        "{care}医保报销: ({amount} − {deductible}) × {ratio}% = {reimbursable} 分; 年封顶线 {cap_text}, 本年已报 {reimbursed} 分"
    );
    if reimbursement < reimbursable {
        reimbursement_text.push_str(&format!(", 本次最多报 {cap_left} 分"));
    }
    let over_cap = reimbursable - reimbursement;
    let co_payment = above - reimbursable;

    // What the resident would pay without Pei's top-up and the poverty
    // compensation.
    let balance = amount - reimbursement;
    let signed_rehab = claim.signed_packages.iter().any(|code| code == STROKE_REHAB);
    let top_up_percent = insurance.stroke_rehab_top_up_percent;
    let top_up =
        if claim.kind == CareKind::Rehabilitation && signed_rehab { percent_of(balance, top_up_percent) } else { 0 };
    let after_top_up = balance - top_up;
    let compensation_percent = insurance.registered_poor.compensation_percent;
    let compensation = if poor { percent_of(after_top_up, compensation_percent) } else { 0 };

    let (co_payment_net, relief) = relieve(co_payment, top_up + compensation);
    let (over_cap_net, relief) = relieve(over_cap, relief);
    let (deductible_net, _) = relieve(deductible, relief);
    let remainder = amount - deductible_net - reimbursement - over_cap_net - top_up - compensation;
    debug_assert_eq!(remainder, co_payment_net);

    // The deductible's relief, by payer in the relief's order: the top-up
    // reaches it only past the co-payment and the over-cap part, and the
    // compensation pays the rest of it.
    let deductible_relief = deductible - deductible_net;
    let top_up_deductible = (top_up - co_payment - over_cap).clamp(0, deductible_relief);
    let compensation_deductible = deductible_relief - top_up_deductible;
    debug_assert!(compensation_deductible <= compensation);

    let shares = [
        (
            ShareKind::Deductible,
            Payer::Resident,
            deductible_net,
            net_of_relief(deductible_text, deductible, deductible_net),
        ),
        (
            ShareKind::Deductible,
            Payer::HealthCentre,
            top_up_deductible,
            format!(
                "起付线由乡镇卫生院补充报销 (脑卒中康复包): {top_up_deductible} 分, 本次起付线 {deductible} 分, 计入本年已付起付线"
            ),
        ),
        (
            ShareKind::Deductible,
            Payer::MedicalAssistance,
            compensation_deductible,
            format!(
                "起付线由医疗救助兜底: {compensation_deductible} 分, 本次起付线 {deductible} 分, 计入本年已付起付线"
            ),
        ),
        (ShareKind::Reimbursement, Payer::InsuranceFund, reimbursement, reimbursement_text),
        (
            ShareKind::OverCap,
            Payer::Resident,
            over_cap_net,
            net_of_relief(
                format!("超出年封顶线: {reimbursable} − {reimbursement} = {over_cap} 分"),
                over_cap,
                over_cap_net,
            ),
        ),
        (
            ShareKind::CoPayment,
            Payer::Resident,
            remainder,
            net_of_relief(format!("按比例自付: {above} − {reimbursable} = {co_payment} 分"), co_payment, remainder),
        ),
        (
            ShareKind::TopUp,
            Payer::HealthCentre,
            top_up - top_up_deductible,
            less_deductible(
                format!("脑卒中康复包: 乡镇卫生院再报销医保后余额 {balance} × {top_up_percent}% = {top_up} 分"),
                top_up,
                top_up_deductible,
            ),
        ),
        (
            ShareKind::Compensation,
            Payer::MedicalAssistance,
            compensation - compensation_deductible,
            less_deductible(
                format!(
                    "建档立卡贫困人口医疗救助兜底: 个人余额 {after_top_up} × {compensation_percent}% = {compensation} 分"
                ),
                compensation,
                compensation_deductible,
            ),
        ),
    ];
    Ok(Adjudication {
        shares: shares
            .into_iter()
            .filter(|(_, _, amount, _)| *amount > 0)
            .map(|(kind, payer, amount, reason)| Share { kind, payer, amount, reason })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Sex, Tags};

    fn shipped() -> Config {
        Config::parse(include_str!("../../config.json")).unwrap()
    }

    fn claim(kind: CareKind, level: CareLevel, amount: i64) -> Claim {
        Claim {
            resident: Resident { age: 70, sex: Sex::Male, tags: Tags::of(&[Tag::Elderly]) },
            signed_packages: vec![BASIC.to_string()],
            kind,
            level,
            referred: false,
            on: Date { year: 2025, month: 3, day: 1 },
            amount,
            year_to_date: YearToDate { deductible_paid: 0, outpatient_reimbursed: 0, inpatient_reimbursed: 0 },
        }
    }

    fn poor(mut claim: Claim) -> Claim {
        claim.resident.tags = claim.resident.tags.with(Tag::RegisteredPoor);
        claim
    }

    fn rehab_signed(mut claim: Claim) -> Claim {
        claim.signed_packages.push(STROKE_REHAB.to_string());
        claim
    }

    fn shares_with(config: &Config, claim: &Claim) -> Vec<(ShareKind, Payer, i64)> {
        let adjudication = adjudicate(config, claim).unwrap();
        assert_adds_up(claim, &adjudication);
        adjudication.shares.iter().map(|s| (s.kind, s.payer, s.amount)).collect()
    }

    fn shares(claim: &Claim) -> Vec<(ShareKind, Payer, i64)> {
        shares_with(&shipped(), claim)
    }

    fn assert_adds_up(claim: &Claim, adjudication: &Adjudication) {
        // Each kind once, but the deductible once per payer: the resident's,
        // then the health centre's, then medical assistance's.
        let order = |share: &Share| {
            let kind = [
                ShareKind::Deductible,
                ShareKind::Reimbursement,
                ShareKind::OverCap,
                ShareKind::CoPayment,
                ShareKind::TopUp,
                ShareKind::Compensation,
            ]
            .iter()
            .position(|k| *k == share.kind);
            let payer = [Payer::Resident, Payer::HealthCentre, Payer::MedicalAssistance, Payer::InsuranceFund]
                .iter()
                .position(|p| *p == share.payer);
            (kind, if share.kind == ShareKind::Deductible { payer } else { None })
        };
        assert!(adjudication.shares.iter().all(|s| s.amount > 0), "{adjudication:?}");
        assert!(adjudication.shares.windows(2).all(|w| order(&w[0]) < order(&w[1])), "{adjudication:?}");
        assert_eq!(adjudication.shares.iter().map(|s| s.amount).sum::<i64>(), claim.amount, "{adjudication:?}");
    }

    use CareKind::{Inpatient, Outpatient, Rehabilitation};
    use CareLevel::{AboveCounty, CountyHospital, TownshipCentre, VillageClinic};
    use Payer::{HealthCentre, InsuranceFund, MedicalAssistance};
    use ShareKind::{CoPayment, Compensation, Deductible, OverCap, Reimbursement, TopUp};

    #[test]
    fn outpatient_care_is_reimbursed_at_the_level_ratio() {
        let ours = Payer::Resident;
        assert_eq!(
            shares(&claim(Outpatient, TownshipCentre, 10000)),
            [(Reimbursement, InsuranceFund, 5000), (CoPayment, ours, 5000)]
        );
        assert_eq!(
            shares(&claim(Outpatient, AboveCounty, 10000)),
            [(Reimbursement, InsuranceFund, 2000), (CoPayment, ours, 8000)]
        );
        let reasons: Vec<_> = adjudicate(&shipped(), &claim(Outpatient, VillageClinic, 10000))
            .unwrap()
            .shares
            .into_iter()
            .map(|s| s.reason)
            .collect();
        assert_eq!(
            reasons,
            [
                "村卫生室门诊医保报销: (10000 − 0) × 50% = 5000 分; 年封顶线 50000 + 签约居民提高 30000 = 80000 分, 本年已报 0 分",
                "按比例自付: 10000 − 5000 = 5000 分",
            ]
        );
    }

    #[test]
    fn signed_residents_outpatient_cap_rises_by_300_yuan() {
        let mut c = claim(Outpatient, TownshipCentre, 10000);
        // Past the base cap of 50000 but within the raised 80000: still paid.
        c.year_to_date.outpatient_reimbursed = 60000;
        assert_eq!(shares(&c), [(Reimbursement, InsuranceFund, 5000), (CoPayment, Payer::Resident, 5000)]);
        // The raised cap binds: 2000 left.
        c.year_to_date.outpatient_reimbursed = 78000;
        assert_eq!(
            shares(&c),
            [
                (Reimbursement, InsuranceFund, 2000),
                (OverCap, Payer::Resident, 3000),
                (CoPayment, Payer::Resident, 5000)
            ]
        );
        // Spent, and inpatient reimbursement does not count against it.
        c.year_to_date.outpatient_reimbursed = 90000;
        c.year_to_date.inpatient_reimbursed = 0;
        assert_eq!(shares(&c), [(OverCap, Payer::Resident, 5000), (CoPayment, Payer::Resident, 5000)]);
        c.year_to_date.outpatient_reimbursed = 0;
        c.year_to_date.inpatient_reimbursed = 30_000_000;
        assert_eq!(shares(&c), [(Reimbursement, InsuranceFund, 5000), (CoPayment, Payer::Resident, 5000)]);
    }

    #[test]
    fn inpatient_deductible_is_counted_over_the_year() {
        let ours = Payer::Resident;
        let mut c = claim(Inpatient, CountyHospital, 100000);
        assert_eq!(
            shares(&c),
            [(Deductible, ours, 50000), (Reimbursement, InsuranceFund, 37500), (CoPayment, ours, 12500)]
        );
        c.year_to_date.deductible_paid = 20000;
        assert_eq!(
            shares(&c),
            [(Deductible, ours, 30000), (Reimbursement, InsuranceFund, 52500), (CoPayment, ours, 17500)]
        );
        c.year_to_date.deductible_paid = 80000;
        assert_eq!(shares(&c), [(Reimbursement, InsuranceFund, 75000), (CoPayment, ours, 25000)]);
        let small = claim(Inpatient, CountyHospital, 30000);
        assert_eq!(shares(&small), [(Deductible, ours, 30000)]);
    }

    #[test]
    fn reimbursement_rounds_half_up() {
        // 2011 × 50% = 1005.5 → 1006.
        assert_eq!(
            shares(&claim(Outpatient, VillageClinic, 2011)),
            [(Reimbursement, InsuranceFund, 1006), (CoPayment, Payer::Resident, 1005)]
        );
        // 1 × 50% = 0.5 → 1.
        assert_eq!(shares(&claim(Outpatient, VillageClinic, 1)), [(Reimbursement, InsuranceFund, 1)]);
    }

    #[test]
    fn stroke_rehab_package_gets_a_ten_percent_top_up() {
        // Balance 1005 after insurance; 10% of it is 100.5 → 101.
        let c = rehab_signed(claim(Rehabilitation, TownshipCentre, 2010));
        assert_eq!(
            shares(&c),
            [(Reimbursement, InsuranceFund, 1005), (CoPayment, Payer::Resident, 904), (TopUp, HealthCentre, 101)]
        );
        let top_up = adjudicate(&shipped(), &c).unwrap().shares.pop().unwrap();
        assert_eq!(top_up.reason, "脑卒中康复包: 乡镇卫生院再报销医保后余额 1005 × 10% = 101 分");
        // Not for residents without the package, nor for other care.
        assert_eq!(
            shares(&claim(Rehabilitation, TownshipCentre, 2010)),
            [(Reimbursement, InsuranceFund, 1005), (CoPayment, Payer::Resident, 1005)]
        );
        assert_eq!(
            shares(&rehab_signed(claim(Outpatient, TownshipCentre, 2010))),
            [(Reimbursement, InsuranceFund, 1005), (CoPayment, Payer::Resident, 1005)]
        );
    }

    #[test]
    fn top_up_counts_the_over_cap_part_of_the_balance() {
        let mut c = rehab_signed(claim(Rehabilitation, TownshipCentre, 10000));
        c.year_to_date.outpatient_reimbursed = 78000;
        // Reimbursable 5000, cap leaves 2000: balance 8000, top-up 800 off
        // the co-payment.
        assert_eq!(
            shares(&c),
            [
                (Reimbursement, InsuranceFund, 2000),
                (OverCap, Payer::Resident, 3000),
                (CoPayment, Payer::Resident, 4200),
                (TopUp, HealthCentre, 800),
            ]
        );
    }

    #[test]
    fn relief_beyond_the_co_payment_comes_off_over_cap_then_deductible() {
        let mut config = shipped();
        config.insurance.outpatient.deductible.township_centre = 10000;
        config.insurance.outpatient.ratio_percent.township_centre = 0;
        // All 12000 is the resident's: 10000 deductible, 2000 co-payment.
        // Top-up 1200 comes off the co-payment.
        let c = rehab_signed(claim(Rehabilitation, TownshipCentre, 12000));
        assert_eq!(
            shares_with(&config, &c),
            [(Deductible, Payer::Resident, 10000), (CoPayment, Payer::Resident, 800), (TopUp, HealthCentre, 1200)]
        );
        // All under the deductible: the top-up comes off it, and says so;
        // what it paid of the deductible is a deductible share of the health
        // centre's, so the year counts the whole 10000 as met.
        let c = rehab_signed(claim(Rehabilitation, TownshipCentre, 10000));
        assert_eq!(shares_with(&config, &c), [(Deductible, Payer::Resident, 9000), (Deductible, HealthCentre, 1000)]);
        let reasons: Vec<_> = adjudicate(&config, &c).unwrap().shares.into_iter().map(|s| s.reason).collect();
        assert_eq!(
            reasons,
            [
                "乡镇卫生院康复起付线 10000 分, 本年已付 0 分, 本次 10000 分; 扣除补充报销和兜底补偿后个人付 9000 分",
                "起付线由乡镇卫生院补充报销 (脑卒中康复包): 1000 分, 本次起付线 10000 分, 计入本年已付起付线",
            ]
        );
        // Poverty compensation of half: co-payment first, then over-cap.
        let mut config = shipped();
        config.insurance.registered_poor.compensation_percent = 50;
        let mut c = poor(claim(Outpatient, TownshipCentre, 10000));
        c.year_to_date.outpatient_reimbursed = 78000;
        // Balance 8000 (3000 over cap, 5000 co-payment); compensation 4000.
        assert_eq!(
            shares_with(&config, &c),
            [
                (Reimbursement, InsuranceFund, 2000),
                (OverCap, Payer::Resident, 3000),
                (CoPayment, Payer::Resident, 1000),
                (Compensation, MedicalAssistance, 4000),
            ]
        );
        config.insurance.registered_poor.compensation_percent = 80;
        assert_eq!(
            shares_with(&config, &c),
            [
                (Reimbursement, InsuranceFund, 2000),
                (OverCap, Payer::Resident, 1600),
                (Compensation, MedicalAssistance, 6400)
            ]
        );
    }

    #[test]
    fn registered_poor_pay_a_lower_deductible_and_are_compensated() {
        // Deductible 20000 × 50% = 10000; 40000 above it at 85% = 34000;
        // the remaining 16000 is wholly compensated.
        // The 10000 of it that is the deductible is a deductible share paid
        // by medical assistance; the compensation keeps the co-payment 6000.
        let c = poor(claim(Inpatient, TownshipCentre, 50000));
        assert_eq!(
            shares(&c),
            [
                (Deductible, MedicalAssistance, 10000),
                (Reimbursement, InsuranceFund, 34000),
                (Compensation, MedicalAssistance, 6000)
            ]
        );
        let mut config = shipped();
        config.insurance.registered_poor.compensation_percent = 0;
        assert_eq!(
            shares_with(&config, &c),
            [
                (Deductible, Payer::Resident, 10000),
                (Reimbursement, InsuranceFund, 34000),
                (CoPayment, Payer::Resident, 6000)
            ]
        );
        let reasons: Vec<_> = adjudicate(&shipped(), &c).unwrap().shares.into_iter().map(|s| s.reason).collect();
        assert_eq!(reasons[0], "起付线由医疗救助兜底: 10000 分, 本次起付线 10000 分, 计入本年已付起付线");
        assert_eq!(
            reasons[2],
            "建档立卡贫困人口医疗救助兜底: 个人余额 16000 × 100% = 16000 分; 其中起付线 10000 分另列, 本项 6000 分"
        );
        // A deductible of odd fen rounds half up: 20001 × 50% = 10000.5 → 10001.
        let mut config = shipped();
        config.insurance.inpatient.deductible.township_centre = 20001;
        config.insurance.registered_poor.compensation_percent = 0;
        assert_eq!(
            shares_with(&config, &poor(claim(Inpatient, TownshipCentre, 10001))),
            [(Deductible, Payer::Resident, 10001)]
        );
    }

    /// The year-to-date as the kernel builds it from earlier claims: every
    /// deductible share, whoever paid it, and the fund's reimbursements.
    fn year_after(kind: CareKind, adjudication: &Adjudication, mut ytd: YearToDate) -> YearToDate {
        for share in &adjudication.shares {
            match (share.kind, share.payer, kind) {
                (Deductible, _, _) => ytd.deductible_paid += share.amount,
                (Reimbursement, InsuranceFund, Inpatient) => ytd.inpatient_reimbursed += share.amount,
                (Reimbursement, InsuranceFund, _) => ytd.outpatient_reimbursed += share.amount,
                _ => {}
            }
        }
        ytd
    }

    #[test]
    fn a_deductible_paid_by_medical_assistance_is_met_for_the_rest_of_the_year() {
        let first = poor(claim(Inpatient, TownshipCentre, 50000));
        let answer = adjudicate(&shipped(), &first).unwrap();
        // Deductible 10000, all paid by medical assistance.
        assert_eq!(answer.shares[0].kind, Deductible);
        assert_eq!(answer.shares[0].payer, MedicalAssistance);
        let ytd = year_after(Inpatient, &answer, first.year_to_date);
        assert_eq!(ytd, YearToDate { deductible_paid: 10000, outpatient_reimbursed: 0, inpatient_reimbursed: 34000 });
        // The second stay owes no deductible: 50000 × 85% = 42500 from the
        // fund (not (50000 − 10000) × 85% = 34000), the 7500 left
        // compensated.
        let mut second = first.clone();
        second.on = Date { year: 2025, month: 9, day: 1 };
        second.year_to_date = ytd;
        assert_eq!(shares(&second), [(Reimbursement, InsuranceFund, 42500), (Compensation, MedicalAssistance, 7500)]);
        let reason = &adjudicate(&shipped(), &second).unwrap().shares[0].reason;
        assert!(reason.starts_with("乡镇卫生院住院医保报销: (50000 − 0) × 85% = 42500 分"), "{reason}");
        // At the county hospital the lowered line 25000 still owes 15000.
        second.level = CountyHospital;
        assert_eq!(
            shares(&second),
            [
                (Deductible, MedicalAssistance, 15000),
                (Reimbursement, InsuranceFund, 26250),
                (Compensation, MedicalAssistance, 8750)
            ]
        );
    }

    #[test]
    fn top_up_and_compensation_reaching_the_deductible_are_deductible_shares_of_theirs() {
        let mut config = shipped();
        config.insurance.outpatient.deductible.township_centre = 10000;
        config.insurance.outpatient.ratio_percent.township_centre = 0;
        config.insurance.registered_poor.compensation_percent = 50;
        // The poor's deductible 10000 × 50% = 5000, the other 5000 a
        // co-payment at ratio 0; balance 10000. The top-up 1000 comes off
        // the co-payment; compensation 9000 × 50% = 4500: 4000 off the rest
        // of the co-payment, 500 off the deductible.
        let c = poor(rehab_signed(claim(Rehabilitation, TownshipCentre, 10000)));
        assert_eq!(
            shares_with(&config, &c),
            [
                (Deductible, Payer::Resident, 4500),
                (Deductible, MedicalAssistance, 500),
                (TopUp, HealthCentre, 1000),
                (Compensation, MedicalAssistance, 4000)
            ]
        );
        // Not poor, a deductible of 12000: the whole claim is deductible,
        // and the top-up 12000 × 10% = 1200 pays part of it.
        let c = rehab_signed(claim(Rehabilitation, TownshipCentre, 12000));
        config.insurance.outpatient.deductible.township_centre = 12000;
        assert_eq!(shares_with(&config, &c), [(Deductible, Payer::Resident, 10800), (Deductible, HealthCentre, 1200)]);
        // Poor with a deductible of the whole claim (24000 × 50% = 12000):
        // the top-up 1200 first, then 10800 × 50% = 5400 compensated, all
        // of the deductible.
        config.insurance.outpatient.deductible.township_centre = 24000;
        let c = poor(rehab_signed(claim(Rehabilitation, TownshipCentre, 12000)));
        assert_eq!(
            shares_with(&config, &c),
            [
                (Deductible, Payer::Resident, 5400),
                (Deductible, HealthCentre, 1200),
                (Deductible, MedicalAssistance, 5400)
            ]
        );
        let answer = adjudicate(&config, &c).unwrap();
        let reasons: Vec<_> = answer.shares.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "乡镇卫生院康复起付线 24000 × 50% = 12000 分 (建档立卡贫困人口降低起付线), 本年已付 0 分, 本次 12000 分; 扣除补充报销和兜底补偿后个人付 5400 分",
                "起付线由乡镇卫生院补充报销 (脑卒中康复包): 1200 分, 本次起付线 12000 分, 计入本年已付起付线",
                "起付线由医疗救助兜底: 5400 分, 本次起付线 12000 分, 计入本年已付起付线",
            ]
        );
    }

    #[test]
    fn poor_stroke_rehab_gets_top_up_then_compensation() {
        // Balance 1005 → top-up 101, then 904 compensated.
        let c = poor(rehab_signed(claim(Rehabilitation, TownshipCentre, 2010)));
        assert_eq!(
            shares(&c),
            [(Reimbursement, InsuranceFund, 1005), (TopUp, HealthCentre, 101), (Compensation, MedicalAssistance, 904)]
        );
    }

    #[test]
    fn every_claim_adds_up() {
        let config = shipped();
        let mut no_relief = shipped();
        no_relief.insurance.stroke_rehab_top_up_percent = 0;
        no_relief.insurance.registered_poor.compensation_percent = 0;
        let amounts = [0, 1, 2, 99, 1005, 2011, 19999, 20000, 20001, 50001, 123457, 99_999_999, i64::MAX];
        let ytds = [0, 1, 10000, 49999, 79999, 80000, 19_999_999, i64::MAX];
        for kind in [Outpatient, Inpatient, Rehabilitation] {
            for level in [VillageClinic, TownshipCentre, CountyHospital, AboveCounty] {
                for amount in amounts {
                    for ytd in ytds {
                        let mut c = claim(kind, level, amount);
                        c.year_to_date =
                            YearToDate { deductible_paid: ytd, outpatient_reimbursed: ytd, inpatient_reimbursed: ytd };
                        for c in [c.clone(), poor(c.clone()), rehab_signed(c.clone()), poor(rehab_signed(c))] {
                            let adjudication = adjudicate(&config, &c).unwrap();
                            assert_adds_up(&c, &adjudication);
                            // Relief never makes a deductible less met: the
                            // deductible shares, whoever pays them, are the
                            // deductible due without any relief.
                            let deductible = |a: &Adjudication| -> i64 {
                                a.shares.iter().filter(|s| s.kind == Deductible).map(|s| s.amount).sum()
                            };
                            let unrelieved = adjudicate(&no_relief, &c).unwrap();
                            assert_eq!(deductible(&adjudication), deductible(&unrelieved), "{c:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn requests_are_checked_before_anything_is_paid() {
        let config = shipped();
        let refusal = |c: &Claim| adjudicate(&config, c).unwrap_err();
        let mut c = claim(Outpatient, TownshipCentre, -1);
        assert_eq!(refusal(&c), Refusal::InvalidRequest("费用 (amount)不能为负 (must not be negative): -1".into()));
        c.amount = 100;
        c.year_to_date.inpatient_reimbursed = -5;
        assert_eq!(
            refusal(&c),
            Refusal::InvalidRequest(
                "本年住院已报销 (year-to-date inpatient-reimbursed)不能为负 (must not be negative): -5".into()
            )
        );
        let mut c = claim(Outpatient, TownshipCentre, 100);
        c.on = Date { year: 2015, month: 6, day: 1 };
        assert!(matches!(refusal(&c), Refusal::InvalidRequest(m) if m.starts_with("2015-06-01 ")));
        let mut c = claim(Outpatient, TownshipCentre, 100);
        c.signed_packages.push("PEI-XX".into());
        assert_eq!(refusal(&c), Refusal::UnknownPackage("PEI-XX".into()));
        for signed in [vec![], vec![STROKE_REHAB.to_string()]] {
            let mut c = claim(Outpatient, TownshipCentre, 100);
            c.signed_packages = signed;
            assert!(matches!(refusal(&c), Refusal::NotEligible(m) if m.starts_with("未签约居民")));
        }
    }
}
