use time::macros::date;

use super::*;
use crate::contracts::ContractStatus;
use crate::testing::package;

fn diabetes_packages() -> Vec<Package> {
    vec![package("GW", &[("health-assessment", 1)]), package("MB", &[("fasting-glucose", 4), ("follow-up", 4)])]
}

/// A 2025 contract signed on `signed_on`, with the diabetes packages.
fn contract(signed_on: Date) -> Contract {
    let [gw, mb] = [&diabetes_packages()[0].clone(), &diabetes_packages()[1].clone()];
    let mut c = crate::testing::contract("c1", "r1", "t1", signed_on, &[gw, mb]);
    c.period = crate::contracts::Period { year: 2025 };
    c
}

fn record(id: &str, item: &str, on: Date, m: Measurements) -> ServiceRecord {
    let package = if item == "health-assessment" { "GW" } else { "MB" };
    crate::testing::record(id, ("c1", "r1"), (package, item), on, m)
}

fn new(item: &str, on: Date) -> NewServiceRecord {
    NewServiceRecord {
        package_code: "MB".into(),
        item_code: item.into(),
        delivered_on: on,
        place: "卫生院".into(),
        mode: ServiceMode::HomeVisit,
        measurements: Measurements::default(),
        corrects: None,
    }
}

fn item<'a>(schedule: &'a [ItemSchedule], code: &str) -> &'a ItemSchedule {
    schedule.iter().find(|i| i.item_code == code).unwrap()
}

#[test]
fn a_full_year_owes_each_item_evenly_by_the_end_of_each_share_of_the_year() {
    let schedule = schedule(&contract(date!(2025 - 01 - 01)), &diabetes_packages(), &[], date!(2025 - 01 - 01));
    let glucose = item(&schedule, "fasting-glucose");
    // 365 days in four shares: by day 92, 183, 274 and 365.
    assert_eq!(
        glucose.due,
        [date!(2025 - 04 - 02), date!(2025 - 07 - 02), date!(2025 - 10 - 01), date!(2025 - 12 - 31)]
    );
    assert_eq!((glucose.owed, glucose.delivered, glucose.overdue), (4, 0, 0));
    assert_eq!(glucose.next_due, Some(date!(2025 - 04 - 02)));
    assert_eq!(item(&schedule, "health-assessment").due, [date!(2025 - 12 - 31)]);
    assert_eq!(schedule.len(), 3, "one line per item of every package signed");
}

#[test]
fn due_days_leave_as_iso_dates_as_the_schema_says() {
    let schedule = schedule(&contract(date!(2025 - 01 - 01)), &diabetes_packages(), &[], date!(2025 - 01 - 01));
    let json = serde_json::to_value(item(&schedule, "health-assessment")).unwrap();
    assert_eq!(
        (&json["due"], &json["next_due"]),
        (&serde_json::json!(["2025-12-31"]), &serde_json::json!("2025-12-31"))
    );
}

#[test]
fn a_contract_signed_mid_year_spreads_its_items_over_the_days_left() {
    // 1 July to 31 December is 184 days: by day 46, 92, 138 and 184.
    let schedule = schedule(&contract(date!(2025 - 07 - 01)), &diabetes_packages(), &[], date!(2025 - 07 - 01));
    assert_eq!(
        item(&schedule, "follow-up").due,
        [date!(2025 - 08 - 15), date!(2025 - 09 - 30), date!(2025 - 11 - 15), date!(2025 - 12 - 31)]
    );
}

#[test]
fn deliveries_count_against_what_is_owed_and_the_rest_is_overdue() {
    let c = contract(date!(2025 - 01 - 01));
    let records = [
        record("a", "fasting-glucose", date!(2025 - 03 - 10), Measurements::default()),
        record("b", "fasting-glucose", date!(2024 - 12 - 30), Measurements::default()),
    ];
    let on = date!(2025 - 10 - 02);
    let glucose =
        schedule(&c, &diabetes_packages(), &records, on).into_iter().find(|i| i.item_code == "fasting-glucose");
    let glucose = glucose.unwrap();
    // Three due days have passed (2 April, 2 July, 1 October); one delivery
    // in the contract's days counts, the one before it does not.
    assert_eq!((glucose.delivered, glucose.overdue), (1, 2));
    assert_eq!(glucose.next_due, Some(date!(2025 - 07 - 02)));
}

#[test]
fn an_early_end_owes_only_the_deliveries_due_before_it() {
    let mut c = contract(date!(2025 - 01 - 01));
    c.status = ContractStatus::Terminated;
    c.ended_on = Some(date!(2025 - 07 - 15));
    let schedule = schedule(&c, &diabetes_packages(), &[], date!(2025 - 08 - 01));
    assert_eq!(item(&schedule, "follow-up").owed, 2);
    assert_eq!(item(&schedule, "health-assessment").owed, 0);
}

#[test]
fn a_correction_replaces_the_record_it_names() {
    let c = contract(date!(2025 - 01 - 01));
    let wrong = record("a", "fasting-glucose", date!(2025 - 03 - 10), Measurements::default());
    let mut corrected = record("b", "follow-up", date!(2025 - 03 - 10), Measurements::default());
    corrected.corrects = Some("a".into());
    let schedule = schedule(&c, &diabetes_packages(), &[wrong, corrected], date!(2025 - 03 - 11));
    assert_eq!(item(&schedule, "fasting-glucose").delivered, 0, "the corrected record no longer counts");
    assert_eq!(item(&schedule, "follow-up").delivered, 1);
}

#[test]
fn a_delivery_must_fit_its_contract_and_be_plausible() {
    let c = contract(date!(2025 - 03 - 01));
    let packages = diabetes_packages();
    let today = date!(2025 - 06 - 01);
    let ok = new("follow-up", date!(2025 - 05 - 01));
    assert_eq!(check(&ok, &c, &packages, &[], today), Ok(()));
    let checked = |n: &NewServiceRecord| check(n, &c, &packages, &[], today).unwrap_err().to_string();

    let other_package = NewServiceRecord { package_code: "TJ".into(), ..ok.clone() };
    assert_eq!(checked(&other_package), "the contract has no package `TJ`");
    assert_eq!(checked(&new("dance", date!(2025 - 05 - 01))), "package `MB` has no item `dance`");
    assert_eq!(
        checked(&new("follow-up", date!(2025 - 02 - 28))),
        "2025-02-28 is outside the contract, which covers 2025-03-01 to 2025-12-31"
    );
    assert!(checked(&new("follow-up", date!(2025 - 06 - 02))).contains("in the future"));
    let nowhere = NewServiceRecord { place: " ".into(), ..ok.clone() };
    assert_eq!(checked(&nowhere), "a delivery needs a place");
    let measured = |m: Measurements| NewServiceRecord { measurements: m, ..ok.clone() };
    let glucose = Measurements { fasting_glucose: Some(500), ..Default::default() };
    assert_eq!(checked(&measured(glucose)), "fasting glucose (0.1 mmol/L) 500 is outside 10–400");
    let risk = Measurements { risk_level: Some(6), ..Default::default() };
    assert_eq!(checked(&measured(risk)), "risk level 6 is outside 0–5");
    let inverted = Measurements { systolic: Some(80), diastolic: Some(120), ..Default::default() };
    assert!(checked(&measured(inverted)).contains("diastolic"));
}

#[test]
fn a_record_is_corrected_once_and_only_within_its_contract() {
    let c = contract(date!(2025 - 01 - 01));
    let packages = diabetes_packages();
    let today = date!(2025 - 06 - 01);
    let first = record("a", "follow-up", date!(2025 - 05 - 01), Measurements::default());
    let mut second = record("b", "follow-up", date!(2025 - 05 - 01), Measurements::default());
    second.corrects = Some("a".into());
    let correcting =
        |id: &str| NewServiceRecord { corrects: Some(id.into()), ..new("follow-up", date!(2025 - 05 - 02)) };
    let existing = [first, second];
    assert_eq!(check(&correcting("b"), &c, &packages, &existing, today), Ok(()), "a correction can be corrected");
    assert_eq!(
        check(&correcting("a"), &c, &packages, &existing, today),
        Err(FulfilmentError::AlreadyCorrected { record: "a".into(), by: "b".into() })
    );
    assert_eq!(
        check(&correcting("elsewhere"), &c, &packages, &existing, today),
        Err(FulfilmentError::CorrectsUnknown("elsewhere".into()))
    );
}

fn glucose(tenths: u16) -> Measurements {
    Measurements { fasting_glucose: Some(tenths), ..Default::default() }
}

fn pressure(systolic: u16, diastolic: u16) -> Measurements {
    Measurements { systolic: Some(systolic), diastolic: Some(diastolic), ..Default::default() }
}

#[test]
fn two_unsatisfactory_glucose_results_in_a_row_raise_a_referral() {
    let first = record("a", "fasting-glucose", date!(2025 - 03 - 01), glucose(75));
    let fine = record("b", "fasting-glucose", date!(2025 - 06 - 01), glucose(61));
    let high = record("c", "fasting-glucose", date!(2025 - 09 - 01), glucose(72));
    assert_eq!(triggers(&first, &[]), [], "one result alone is not enough");
    assert_eq!(triggers(&high, &[&first, &fine]), [], "the result before it was satisfactory");
    assert_eq!(triggers(&high, &[&first]), [Trigger::GlucoseUncontrolled]);
    let unmeasured = record("d", "follow-up", date!(2025 - 08 - 01), Measurements::default());
    assert_eq!(triggers(&high, &[&first, &unmeasured]), [Trigger::GlucoseUncontrolled], "only glucose results count");
    let at_limit = record("e", "fasting-glucose", date!(2025 - 09 - 01), glucose(70));
    assert_eq!(triggers(&at_limit, &[&first]), [Trigger::GlucoseUncontrolled], "7.0 mmol/L is unsatisfactory");
}

#[test]
fn blood_pressure_is_uncontrolled_twice_in_a_row_or_once_when_severe() {
    let high = record("a", "follow-up", date!(2025 - 03 - 01), pressure(150, 85));
    let normal = record("b", "follow-up", date!(2025 - 06 - 01), pressure(128, 82));
    let again = record("c", "follow-up", date!(2025 - 09 - 01), pressure(138, 92));
    assert_eq!(triggers(&again, &[&high]), [Trigger::BloodPressureUncontrolled]);
    assert_eq!(triggers(&again, &[&high, &normal]), []);
    let severe = record("d", "follow-up", date!(2025 - 09 - 01), pressure(182, 100));
    assert_eq!(triggers(&severe, &[]), [Trigger::BloodPressureUncontrolled]);
}

#[test]
fn a_risk_level_of_three_or_more_is_unstable() {
    let level =
        |n| record("a", "follow-up", date!(2025 - 03 - 01), Measurements { risk_level: Some(n), ..Default::default() });
    assert_eq!(triggers(&level(2), &[]), []);
    assert_eq!(triggers(&level(3), &[]), [Trigger::MentalDisorderUnstable]);
    assert_eq!(triggers(&level(5), &[]), [Trigger::MentalDisorderUnstable]);
}

#[test]
fn a_correction_is_judged_against_the_records_before_the_one_it_replaces() {
    let first = record("a", "fasting-glucose", date!(2025 - 03 - 01), glucose(75));
    let typo = record("b", "fasting-glucose", date!(2025 - 06 - 01), glucose(65));
    let mut fixed = record("c", "fasting-glucose", date!(2025 - 06 - 01), glucose(78));
    fixed.corrects = Some("b".into());
    assert_eq!(triggers(&fixed, &[&first, &typo]), [Trigger::GlucoseUncontrolled]);
}

#[test]
fn the_work_list_puts_the_most_overdue_first_and_stops_at_the_horizon() {
    let as_of = date!(2025 - 07 - 10);
    let early = schedule(&contract(date!(2025 - 01 - 01)), &diabetes_packages(), &[], as_of);
    let late_signer = {
        let mut c = contract(date!(2025 - 06 - 01));
        c.id = "c2".into();
        schedule(&c, &diabetes_packages(), &[], as_of)
    };
    let list = work_list(
        [("r1".to_owned(), "c1".to_owned(), early), ("r2".to_owned(), "c2".to_owned(), late_signer)],
        as_of,
        Duration::days(30),
    );
    let first = &list[0];
    assert_eq!((first.resident_id.as_str(), first.due_on, first.days_overdue), ("r1", date!(2025 - 04 - 02), 99));
    assert_eq!(first.overdue, 2, "April's and July's glucose tests are both late");
    assert!(list.windows(2).all(|w| w[0].due_on <= w[1].due_on));
    assert!(list.iter().all(|w| w.due_on <= as_of + Duration::days(30)));
    // r2 signed on 1 June: 214 days, the first of four due by day 54 (24 July).
    let r2: Vec<_> = list.iter().filter(|w| w.resident_id == "r2").collect();
    assert_eq!(r2.len(), 2);
    assert!(r2.iter().all(|w| w.due_on == date!(2025 - 07 - 24) && w.days_overdue == -14));
}
