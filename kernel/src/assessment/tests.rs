//! Every figure on a small dataset computed by hand (county scope, 2025, as
//! of 10 July): six residents, four contracts, their records, claims and
//! satisfaction checks.

use time::macros::date;

use super::*;
use crate::fulfilment::Measurements;
use crate::plugins::Share;
use crate::residents::{CitizenId, RecordedTags, TagRecord};
use crate::testing::package;

const AS_OF: Date = date!(2025 - 07 - 10);

fn resident(id: &str, born: &str, tags: &[Tag]) -> Resident {
    let citizen_id = CitizenId::from_first_17(&format!("320322{born}001")).unwrap();
    let tags: RecordedTags =
        tags.iter().map(|t| (*t, TagRecord { recorded_on: date!(2025 - 01 - 01), source: "test".into() })).collect();
    Resident::register(id.into(), "320322".into(), "居民", citizen_id.expose(), tags).unwrap()
}

fn contract(id: &str, resident: &str, team: &str, package: &Package) -> Priced {
    (crate::testing::contract(id, resident, team, date!(2025 - 01 - 01), &[package]), Arc::from(vec![package.clone()]))
}

fn record(contract: &str, resident: &str, item: &str, on: Date, m: Measurements) -> ServiceRecord {
    crate::testing::record(&format!("{contract}-{item}-{on}"), (contract, resident), ("MB", item), on, m)
}

fn pressure(s: u16, d: u16) -> Measurements {
    Measurements { systolic: Some(s), diastolic: Some(d), ..Default::default() }
}

fn glucose(g: u16) -> Measurements {
    Measurements { fasting_glucose: Some(g), ..Default::default() }
}

fn claim(resident: &str, kind: CareKind, level: CareLevel) -> StoredClaim {
    StoredClaim {
        id: format!("{resident}-{level:?}"),
        resident_id: resident.into(),
        contract_id: "c".into(),
        team_id: "t1".into(),
        county_code: "320322".into(),
        institution_id: "inst".into(),
        kind,
        level,
        referred: false,
        on: date!(2025 - 05 - 01),
        amount: 1_000,
        sequence: 1,
        shares: Vec::<Share>::new(),
        plugin_hash: "h".into(),
        plugin_version: "1".into(),
        submitted_by: "x".into(),
        submitted_at: "2025-05-01T00:00:00Z".into(),
    }
}

fn satisfaction(resident: &str, on: Date, method: CheckMethod, reached: bool, satisfied: bool) -> SatisfactionCheck {
    SatisfactionCheck {
        id: format!("{resident}-{on}"),
        contract_id: "c".into(),
        resident_id: resident.into(),
        team_id: "t1".into(),
        checked_on: on,
        method,
        reached,
        satisfied,
        note: String::new(),
        recorded_by: "inspector".into(),
        recorded_at: format!("{on}T10:00:00Z"),
    }
}

fn rate(f: &Figure) -> (u32, u32, Option<u32>) {
    (f.numerator, f.denominator, f.permille)
}

fn who(f: &Figure) -> (Vec<&str>, Vec<&str>) {
    let drill = f.residents.as_ref().unwrap();
    (drill.counted.iter().map(String::as_str).collect(), drill.not_counted.iter().map(String::as_str).collect())
}

#[test]
fn every_figure_on_a_hand_computed_county() {
    let area = [
        resident("r1", "19500101", &[Tag::Hypertension]), // elderly (75) and hypertensive: signed
        resident("r2", "19800101", &[Tag::Diabetes]),     // signed
        resident("r3", "19500101", &[]),                  // elderly: unsigned
        resident("r4", "19800101", &[Tag::RegisteredPoor]), // poverty only: signed
        resident("r5", "19800101", &[Tag::PovertyMonitoring]), // poverty only: unsigned
        resident("r6", "19800101", &[]),                  // no group; signed, then ended
    ];
    let mb = package("MB", &[("blood-pressure", 4), ("fasting-glucose", 4)]);
    let gw = package("GW", &[("health-assessment", 1)]);
    let mut ended = contract("c4", "r6", "t2", &gw);
    ended.0.status = ContractStatus::Terminated;
    ended.0.ended_on = Some(date!(2025 - 03 - 01));
    let contracts =
        [contract("c1", "r1", "t1", &mb), contract("c2", "r2", "t1", &mb), contract("c3", "r4", "t2", &gw), ended];
    let records = [
        record("c1", "r1", "blood-pressure", date!(2025 - 03 - 01), pressure(150, 95)),
        record("c1", "r1", "blood-pressure", date!(2025 - 06 - 01), pressure(130, 85)),
        record("c2", "r2", "fasting-glucose", date!(2025 - 03 - 01), glucose(75)),
        record("c2", "r2", "fasting-glucose", date!(2025 - 06 - 01), glucose(65)),
        record("c2", "r2", "fasting-glucose", date!(2025 - 06 - 20), glucose(60)),
        record("c2", "r2", "blood-pressure", date!(2025 - 06 - 01), pressure(120, 80)),
    ];
    let claims = [
        claim("r1", CareKind::Outpatient, CareLevel::TownshipCentre),
        claim("r1", CareKind::Outpatient, CareLevel::CountyHospital),
        claim("r2", CareKind::Outpatient, CareLevel::VillageClinic),
        claim("r4", CareKind::Inpatient, CareLevel::CountyHospital),
        claim("r5", CareKind::Outpatient, CareLevel::CountyHospital),
    ];
    let checks = [
        satisfaction("r1", date!(2025 - 06 - 01), CheckMethod::PhoneSpotCheck, true, true),
        satisfaction("r2", date!(2025 - 06 - 02), CheckMethod::PhoneSpotCheck, false, false),
        satisfaction("r2", date!(2025 - 07 - 05), CheckMethod::PhoneSpotCheck, true, false),
        satisfaction("r4", date!(2025 - 05 - 01), CheckMethod::Survey, true, false),
        satisfaction("r4", date!(2025 - 07 - 01), CheckMethod::PhoneSpotCheck, true, true),
        satisfaction("r1", date!(2025 - 07 - 20), CheckMethod::Survey, true, false),
    ];
    let recorded = area.iter().map(|r| (r.id.clone(), r.recorded_tags.clone())).collect();
    let area: Vec<&Resident> = area.iter().collect();
    let contracts: Vec<&Priced> = contracts.iter().collect();
    let inputs = Inputs {
        scope: Scope::County("320322".into()),
        as_of: AS_OF,
        area: &area,
        recorded: &recorded,
        contracts: &contracts,
        records: &records,
        claims: &claims,
        checks: &checks,
    };
    let a = assess(&inputs);

    // Key populations r1, r2, r3; r1 and r2 signed: 2/3.
    assert_eq!(rate(&a.key_population_signing), (2, 3, Some(667)));
    assert_eq!(who(&a.key_population_signing), (vec!["r1", "r2"], vec!["r3"]));
    // Poverty groups r4, r5; r4 signed: 1/2.
    assert_eq!(rate(&a.poverty_signing), (1, 2, Some(500)));
    // By 10 July each 4-a-year item is due twice (2 April, 2 July): c1 and c2
    // owe 4 each, c3's yearly assessment is not due, c4 ended first. c1 made
    // 2 of its blood-pressure checks and no glucose test; c2 3 glucose tests
    // (2 count) and 1 check: 5 of 8.
    assert_eq!(rate(&a.fulfilment), (5, 8, Some(625)));
    assert_eq!(who(&a.fulfilment), (vec!["r4", "r6"], vec!["r1", "r2"]));
    // Outpatient claims of the scope's residents: r1 at a township centre and
    // the county hospital, r2 at a village clinic (r4's is inpatient, r5 has no
    // contract): 2 of 3 at primary care.
    assert_eq!(rate(&a.first_contact), (2, 3, Some(667)));
    assert_eq!(who(&a.first_contact), (vec!["r2"], vec!["r1"]));
    // r1's latest reading is 130/85: controlled. r2's latest glucose is 6.0.
    assert_eq!(rate(&a.blood_pressure_control), (1, 1, Some(1000)));
    assert_eq!(rate(&a.glucose_control), (1, 1, Some(1000)));
    // Latest reached checks by 10 July: r1 satisfied, r2 not, r4 satisfied
    // (r1's July survey comes after the day assessed).
    assert_eq!(rate(&a.satisfaction), (2, 3, Some(667)));
    assert_eq!(who(&a.satisfaction), (vec!["r1", "r4"], vec!["r2"]));
    // (625 + 667 + 1000 + 1000 + 667) / 5 = 791.8 permille: 79.
    assert_eq!(a.score, 79);

    // As of 1 March, before the second reading: r1's 150/95 is uncontrolled.
    let march = assess(&Inputs { as_of: date!(2025 - 03 - 01), ..inputs });
    assert_eq!(rate(&march.blood_pressure_control), (0, 1, Some(0)));
    assert!(without_residents(march).fulfilment.residents.is_none());
}
