use time::macros::date;

use super::*;

fn share(kind: ShareKind, payer: Payer, amount: Fen) -> Share {
    Share { kind, payer, amount, reason: String::new() }
}

fn claim(kind: CareKind, shares: Vec<Share>) -> StoredClaim {
    StoredClaim {
        id: "c".into(),
        resident_id: "r1".into(),
        contract_id: "k".into(),
        team_id: "t".into(),
        county_code: "320322".into(),
        institution_id: "i".into(),
        kind,
        level: CareLevel::TownshipCentre,
        referred: false,
        on: date!(2026 - 03 - 01),
        amount: shares.iter().map(|s| s.amount).sum(),
        sequence: 1,
        shares,
        plugin_hash: "h".into(),
        plugin_version: "1".into(),
        submitted_by: "x".into(),
        submitted_at: "2026-03-01T00:00:00Z".into(),
    }
}

#[test]
fn the_year_to_date_sums_deductibles_and_reimbursements_by_kind_of_care() {
    let outpatient = claim(
        CareKind::Outpatient,
        vec![
            share(ShareKind::Deductible, Payer::Resident, 500),
            share(ShareKind::Reimbursement, Payer::InsuranceFund, 3_000),
            share(ShareKind::CoPayment, Payer::Resident, 2_000),
        ],
    );
    let stay = claim(
        CareKind::Inpatient,
        vec![
            share(ShareKind::Deductible, Payer::Resident, 40_000),
            share(ShareKind::Reimbursement, Payer::InsuranceFund, 120_000),
            share(ShareKind::TopUp, Payer::HealthCentre, 4_000),
        ],
    );
    let rehab = claim(CareKind::Rehabilitation, vec![share(ShareKind::Reimbursement, Payer::InsuranceFund, 700)]);
    let ytd = year_to_date(&[outpatient, stay, rehab]);
    assert_eq!(
        ytd,
        YearToDate { deductible_paid: 40_500, outpatient_reimbursed: 3_700, inpatient_reimbursed: 120_000 }
    );
    assert_eq!(year_to_date(&[]), YearToDate { deductible_paid: 0, outpatient_reimbursed: 0, inpatient_reimbursed: 0 });
}

#[test]
fn a_deductible_paid_by_medical_assistance_counts_as_met() {
    // A registered-poor resident's stay: the deductible 10000 met, 6000 of it
    // paid by medical assistance (and 1000 by the health centre), the rest
    // by the resident. The year counts all of it; the compensation of the
    // co-payment is no deductible.
    let stay = claim(
        CareKind::Inpatient,
        vec![
            share(ShareKind::Deductible, Payer::Resident, 3_000),
            share(ShareKind::Deductible, Payer::HealthCentre, 1_000),
            share(ShareKind::Deductible, Payer::MedicalAssistance, 6_000),
            share(ShareKind::Reimbursement, Payer::InsuranceFund, 34_000),
            share(ShareKind::Compensation, Payer::MedicalAssistance, 6_000),
        ],
    );
    assert_eq!(
        year_to_date(&[stay]),
        YearToDate { deductible_paid: 10_000, outpatient_reimbursed: 0, inpatient_reimbursed: 34_000 }
    );
    // Wholly paid by medical assistance: met all the same.
    let assisted = claim(
        CareKind::Inpatient,
        vec![
            share(ShareKind::Deductible, Payer::MedicalAssistance, 10_000),
            share(ShareKind::Reimbursement, Payer::InsuranceFund, 76_500),
            share(ShareKind::Compensation, Payer::MedicalAssistance, 13_500),
        ],
    );
    assert_eq!(year_to_date(&[assisted]).deductible_paid, 10_000);
}

#[test]
fn a_claim_needs_an_amount_a_past_day_and_an_institution() {
    let new = NewClaim {
        resident_id: "r1".into(),
        institution_id: "pei-anguo".into(),
        kind: CareKind::Outpatient,
        level: CareLevel::TownshipCentre,
        referred: false,
        on: date!(2026 - 03 - 01),
        amount: 10_000,
    };
    let today = date!(2026 - 03 - 02);
    assert_eq!(check(&new, today), Ok(()));
    assert_eq!(check(&NewClaim { amount: 0, ..new.clone() }, today), Err(ClaimError::NoAmount));
    assert!(matches!(
        check(&NewClaim { on: date!(2026 - 03 - 03), ..new.clone() }, today),
        Err(ClaimError::InFuture { .. })
    ));
    assert_eq!(check(&NewClaim { institution_id: " ".into(), ..new }, today), Err(ClaimError::NoInstitution));
}
