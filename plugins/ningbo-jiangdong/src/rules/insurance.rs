//! Outpatient insurance (门诊医保) that favours signed residents.
//!
//! The seed's insurance rules (配套支持制度, "加大对签约患者的医保报销倾斜力度"):
//! a signed resident gets a higher outpatient reimbursement ratio at primary
//! care and a higher annual outpatient limit, and a higher ratio when
//! referred from primary first contact up to the county-level hospital —
//! in Jiangdong, an urban district, the district hospital. The base ratios,
//! the limit and the raises are not in the seed: they are the configuration's.
//!
//! Jiangdong's primary care is the community health service centre
//! (社区卫生服务中心, the WIT's `township-centre`) and its stations (社区卫生服务站,
//! the WIT's `village-clinic`). A resident is signed when the claim lists any
//! signed package. The seed gives no deductible and no inpatient or
//! rehabilitation rule, so only outpatient claims are adjudicated here.
//!
//! Shares, in order: reimbursement by the insurance fund (the ratio, limited
//! by what the year's limit leaves), what the limit held back, and the
//! co-payment the ratio leaves, computed as the remainder. Shares of zero
//! are left out.

use super::{Config, check_date, known, percent_of};
use crate::exports::qianyue::county::insurance::{Adjudication, CareKind, CareLevel, Claim, Payer, Share, ShareKind};
use crate::qianyue::county::types::Refusal;

fn level_zh(level: CareLevel) -> &'static str {
    match level {
        CareLevel::VillageClinic => "社区卫生服务站",
        CareLevel::TownshipCentre => "社区卫生服务中心",
        CareLevel::CountyHospital => "区级医院",
        CareLevel::AboveCounty => "市级及以上医院",
    }
}

/// The request itself: no negative money, a day the rules cover, codes of
/// the catalogue, outpatient care.
fn check(claim: &Claim) -> Result<(), Refusal> {
    let ytd = &claim.year_to_date;
    let amounts = [
        ("费用 (amount)", claim.amount),
        ("本年已付起付线 (year-to-date deductible-paid)", ytd.deductible_paid),
        ("本年门诊已报销 (year-to-date outpatient-reimbursed)", ytd.outpatient_reimbursed),
        ("本年住院已报销 (year-to-date inpatient-reimbursed)", ytd.inpatient_reimbursed),
    ];
    if let Some((name, value)) = amounts.into_iter().find(|(_, value)| *value < 0) {
        return Err(Refusal::InvalidRequest(format!("{name}不能为负 (must not be negative): {value}")));
    }
    check_date(&claim.on)?;
    for code in &claim.signed_packages {
        known(code)?;
    }
    let (zh, en) = match claim.kind {
        CareKind::Outpatient => return Ok(()),
        CareKind::Inpatient => ("住院", "inpatient"),
        CareKind::Rehabilitation => ("康复", "rehabilitation"),
    };
    Err(Refusal::InvalidRequest(format!(
        "江东区签约医保政策只涉及门诊, {zh}费用不在本插件规则内 (Jiangdong's signing rules cover outpatient claims only, not {en})"
    )))
}

/// The raise a claim earns on the base ratio, with its reason: at primary
/// care for any signed resident; at the district hospital for a signed
/// resident referred there. The seed puts the referral rule among the
/// measures for signed patients, so an unsigned referral earns nothing.
fn raise(config: &Config, claim: &Claim, signed: bool) -> Option<(i64, &'static str)> {
    let insurance = &config.insurance;
    match claim.level {
        CareLevel::VillageClinic | CareLevel::TownshipCentre if signed => {
            Some((insurance.signed_primary_raise_points, "签约居民基层就诊"))
        }
        CareLevel::CountyHospital if signed && claim.referred => {
            Some((insurance.referred_county_raise_points, "签约居民经基层转诊至区级医院"))
        }
        _ => None,
    }
    .filter(|(points, _)| *points > 0)
}

/// Adjudicate one outpatient claim.
pub fn adjudicate(config: &Config, claim: &Claim) -> Result<Adjudication, Refusal> {
    check(claim)?;
    let insurance = &config.insurance;
    let amount = claim.amount;
    let signed = !claim.signed_packages.is_empty();
    let who = if signed { "签约居民" } else { "未签约居民" };
    let ratios = &insurance.outpatient_ratio_percent;
    let base = match claim.level {
        CareLevel::VillageClinic => ratios.village_clinic,
        CareLevel::TownshipCentre => ratios.township_centre,
        CareLevel::CountyHospital => ratios.county_hospital,
        CareLevel::AboveCounty => ratios.above_county,
    };
    let raised = raise(config, claim, signed);
    let reimbursable = percent_of(amount, base + raised.map_or(0, |(points, _)| points));
    let ratio_text = match raised {
        Some((points, because)) => {
            format!("({base}% + {points}%) = {reimbursable} 分 ({because}报销比例提高 {points} 个百分点)")
        }
        None => format!("{base}% = {reimbursable} 分"),
    };

    let limit_raise = if signed { insurance.signed_annual_limit_raise } else { 0 };
    let limit = insurance.annual_limit + limit_raise;
    let limit_text = if limit_raise > 0 {
        format!("年门诊报销限额 {} + 签约居民提高 {limit_raise} = {limit} 分", insurance.annual_limit)
    } else {
        format!("年门诊报销限额 {limit} 分")
    };
    let reimbursed = claim.year_to_date.outpatient_reimbursed;
    let left = (limit - reimbursed).max(0);
    let reimbursement = reimbursable.min(left);
    let mut reimbursement_text = format!(
        "{who}{}门诊报销: {amount} × {ratio_text}; {limit_text}, 本年已报 {reimbursed} 分",
        level_zh(claim.level),
    );
    if reimbursement < reimbursable {
        reimbursement_text.push_str(&format!(", 本次最多报 {left} 分"));
    }
    let over_limit = reimbursable - reimbursement;
    let co_payment = amount - reimbursable;

    let shares = [
        (ShareKind::Reimbursement, Payer::InsuranceFund, reimbursement, reimbursement_text),
        (
            ShareKind::OverCap,
            Payer::Resident,
            over_limit,
            format!("超出年门诊报销限额: {reimbursable} − {reimbursement} = {over_limit} 分"),
        ),
        (
            ShareKind::CoPayment,
            Payer::Resident,
            co_payment,
            format!("按比例自付: {amount} − {reimbursable} = {co_payment} 分"),
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
    use crate::exports::qianyue::county::insurance::YearToDate;
    use crate::qianyue::county::types::{Date, PopulationTags, Sex};
    use crate::rules::tests::{resident, shipped};
    use crate::rules::{BASIC, CHRONIC};
    use CareLevel::{AboveCounty, CountyHospital, TownshipCentre, VillageClinic};

    fn claim(signed: bool, level: CareLevel, referred: bool, amount: i64) -> Claim {
        Claim {
            resident: resident(68, Sex::Male, PopulationTags::ELDERLY | PopulationTags::HYPERTENSION),
            signed_packages: if signed { vec![BASIC.into(), CHRONIC.into()] } else { vec![] },
            kind: CareKind::Outpatient,
            level,
            referred,
            on: Date { year: 2015, month: 5, day: 20 },
            amount,
            year_to_date: YearToDate { deductible_paid: 0, outpatient_reimbursed: 0, inpatient_reimbursed: 0 },
        }
    }

    fn shares_with(config: &Config, claim: &Claim) -> Vec<(ShareKind, Payer, i64)> {
        let adjudication = adjudicate(config, claim).unwrap();
        assert_eq!(adjudication.shares.iter().map(|s| s.amount).sum::<i64>(), claim.amount, "{claim:?}");
        adjudication.shares.iter().map(|s| (s.kind, s.payer, s.amount)).collect()
    }

    fn shares(claim: &Claim) -> Vec<(ShareKind, Payer, i64)> {
        shares_with(&shipped(), claim)
    }

    fn reimbursed(claim: &Claim) -> i64 {
        shares(claim).iter().filter(|s| s.0 == ShareKind::Reimbursement).map(|s| s.2).sum()
    }

    use Payer::{InsuranceFund, Resident};
    use ShareKind::{CoPayment, OverCap, Reimbursement};

    #[test]
    fn signed_residents_get_ten_points_more_at_primary_care() {
        for level in [VillageClinic, TownshipCentre] {
            assert_eq!(reimbursed(&claim(true, level, false, 10000)), 6000);
            assert_eq!(reimbursed(&claim(false, level, false, 10000)), 5000);
        }
        let adjudication = adjudicate(&shipped(), &claim(true, TownshipCentre, false, 10000)).unwrap();
        assert_eq!(
            adjudication.shares[0].reason,
            "签约居民社区卫生服务中心门诊报销: 10000 × (50% + 10%) = 6000 分 (签约居民基层就诊报销比例提高 10 个百分点); 年门诊报销限额 100000 + 签约居民提高 50000 = 150000 分, 本年已报 0 分"
        );
        let adjudication = adjudicate(&shipped(), &claim(false, VillageClinic, false, 10000)).unwrap();
        assert_eq!(
            adjudication.shares[0].reason,
            "未签约居民社区卫生服务站门诊报销: 10000 × 50% = 5000 分; 年门诊报销限额 100000 分, 本年已报 0 分"
        );
    }

    #[test]
    fn referral_to_the_district_hospital_raises_a_signed_residents_ratio() {
        assert_eq!(reimbursed(&claim(true, CountyHospital, true, 10000)), 5000);
        assert_eq!(reimbursed(&claim(true, CountyHospital, false, 10000)), 4000);
        assert_eq!(reimbursed(&claim(false, CountyHospital, true, 10000)), 4000, "unsigned: no raise");
        // Only the district hospital: above it, and at primary care, the
        // referral flag changes nothing.
        assert_eq!(reimbursed(&claim(true, AboveCounty, true, 10000)), 3000);
        assert_eq!(reimbursed(&claim(true, TownshipCentre, true, 10000)), 6000);
    }

    #[test]
    fn signed_residents_have_a_higher_annual_limit() {
        let mut signed = claim(true, TownshipCentre, false, 10000);
        signed.year_to_date.outpatient_reimbursed = 120000;
        assert_eq!(shares(&signed), [(Reimbursement, InsuranceFund, 6000), (CoPayment, Resident, 4000)]);
        let mut unsigned = claim(false, TownshipCentre, false, 10000);
        unsigned.year_to_date.outpatient_reimbursed = 98000;
        assert_eq!(
            shares(&unsigned),
            [(Reimbursement, InsuranceFund, 2000), (OverCap, Resident, 3000), (CoPayment, Resident, 5000)]
        );
        unsigned.year_to_date.outpatient_reimbursed = 120000;
        assert_eq!(shares(&unsigned), [(OverCap, Resident, 5000), (CoPayment, Resident, 5000)]);
        let adjudication = adjudicate(&shipped(), &claim_with_ytd(true, 148000)).unwrap();
        assert_eq!(
            adjudication.shares[0].reason,
            "签约居民社区卫生服务中心门诊报销: 10000 × (50% + 10%) = 6000 分 (签约居民基层就诊报销比例提高 10 个百分点); 年门诊报销限额 100000 + 签约居民提高 50000 = 150000 分, 本年已报 148000 分, 本次最多报 2000 分"
        );
        assert_eq!(adjudication.shares[1].reason, "超出年门诊报销限额: 6000 − 2000 = 4000 分");
    }

    fn claim_with_ytd(signed: bool, outpatient_reimbursed: i64) -> Claim {
        let mut c = claim(signed, TownshipCentre, false, 10000);
        c.year_to_date.outpatient_reimbursed = outpatient_reimbursed;
        c
    }

    #[test]
    fn reimbursement_rounds_half_up() {
        // 2011 × 50% = 1005.5 → 1006; 1005 × 30% = 301.5 → 302.
        assert_eq!(
            shares(&claim(false, VillageClinic, false, 2011)),
            [(Reimbursement, InsuranceFund, 1006), (CoPayment, Resident, 1005)]
        );
        assert_eq!(
            shares(&claim(true, AboveCounty, false, 1005)),
            [(Reimbursement, InsuranceFund, 302), (CoPayment, Resident, 703)]
        );
        assert_eq!(shares(&claim(true, CountyHospital, true, 1)), [(Reimbursement, InsuranceFund, 1)]);
        assert_eq!(shares(&claim(true, CountyHospital, true, 0)), []);
    }

    #[test]
    fn raises_come_from_the_configuration() {
        let mut config = shipped();
        config.insurance.signed_primary_raise_points = 0;
        let adjudication = adjudicate(&config, &claim(true, TownshipCentre, false, 10000)).unwrap();
        assert_eq!(adjudication.shares[0].amount, 5000);
        assert!(adjudication.shares[0].reason.starts_with("签约居民社区卫生服务中心门诊报销: 10000 × 50% = 5000 分; "));
        config.insurance.referred_county_raise_points = 25;
        config.insurance.signed_annual_limit_raise = 0;
        let adjudication = adjudicate(&config, &claim(true, CountyHospital, true, 10000)).unwrap();
        assert_eq!(adjudication.shares[0].amount, 6500);
        assert!(adjudication.shares[0].reason.ends_with("; 年门诊报销限额 100000 分, 本年已报 0 分"));
    }

    #[test]
    fn every_claim_adds_up() {
        let config = shipped();
        for level in [VillageClinic, TownshipCentre, CountyHospital, AboveCounty] {
            for amount in [0, 1, 2, 3, 1005, 2011, 99_999, 1_000_001, i64::MAX] {
                for ytd in [0, 1, 99_999, 100_000, 149_999, 150_000, i64::MAX] {
                    for (signed, referred) in [(false, false), (false, true), (true, false), (true, true)] {
                        let mut c = claim(signed, level, referred, amount);
                        c.year_to_date.outpatient_reimbursed = ytd;
                        let adjudication = adjudicate(&config, &c).unwrap();
                        assert!(adjudication.shares.iter().all(|s| s.amount > 0));
                        assert_eq!(adjudication.shares.iter().map(|s| s.amount).sum::<i64>(), amount);
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
            refusal(&claim(true, TownshipCentre, false, -1)),
            Refusal::InvalidRequest("费用 (amount)不能为负 (must not be negative): -1".into())
        );
        let mut c = claim(true, TownshipCentre, false, 100);
        c.year_to_date.deductible_paid = -3;
        assert!(matches!(refusal(&c), Refusal::InvalidRequest(m) if m.contains("deductible-paid")));
        let mut c = claim(true, TownshipCentre, false, 100);
        c.on = Date { year: 2013, month: 12, day: 31 };
        assert!(matches!(refusal(&c), Refusal::InvalidRequest(m) if m.starts_with("2013-12-31 ")));
        let mut c = claim(true, TownshipCentre, false, 100);
        c.signed_packages.push("NBJD-XX".into());
        assert_eq!(refusal(&c), Refusal::UnknownPackage("NBJD-XX".into()));
        let mut c = claim(true, CountyHospital, true, 100);
        c.kind = CareKind::Inpatient;
        assert_eq!(
            refusal(&c),
            Refusal::InvalidRequest(
                "江东区签约医保政策只涉及门诊, 住院费用不在本插件规则内 (Jiangdong's signing rules cover outpatient claims only, not inpatient)".into()
            )
        );
        c.kind = CareKind::Rehabilitation;
        assert!(
            matches!(refusal(&c), Refusal::InvalidRequest(m) if m.contains("康复") && m.ends_with("not rehabilitation)"))
        );
    }
}
