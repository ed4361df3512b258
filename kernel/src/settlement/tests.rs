use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use time::macros::date;

use super::*;
use crate::assessment::Priced;
use crate::fulfilment::Measurements;
use crate::plugins::{CareKind, CareLevel, SettlementLine};
use crate::testing::{contract, package, record};

fn claim(contract: &str, amount: Fen) -> StoredClaim {
    StoredClaim {
        id: format!("claim-{contract}-{amount}"),
        resident_id: "r".into(),
        contract_id: contract.into(),
        team_id: "t1".into(),
        county_code: "320322".into(),
        institution_id: "inst".into(),
        kind: CareKind::Outpatient,
        level: CareLevel::TownshipCentre,
        referred: false,
        on: date!(2025 - 05 - 01),
        amount,
        sequence: 1,
        shares: Vec::new(),
        plugin_hash: "h".into(),
        plugin_version: "1".into(),
        submitted_by: "x".into(),
        submitted_at: "2025-05-01T00:00:00Z".into(),
    }
}

#[test]
fn a_teams_activity_counts_signings_deliveries_up_to_what_was_owed_and_its_care() {
    let gw = package("GW", &[("health-assessment", 1)]);
    let mb = package("MB", &[("fasting-glucose", 4), ("follow-up", 4)]);
    let mut c1 = contract("c1", "r1", "t1", date!(2025 - 01 - 01), &[&gw, &mb]);
    c1.household_id = Some("h1".into());
    let mut c2 = contract("c2", "r2", "t1", date!(2025 - 01 - 01), &[&gw]);
    c2.household_id = Some("h1".into());
    let contracts: [Priced; 2] =
        [(c1, std::sync::Arc::from(vec![gw.clone(), mb.clone()])), (c2, std::sync::Arc::from(vec![gw.clone()]))];
    let contracts: Vec<&Priced> = contracts.iter().collect();
    let none = Measurements::default();
    let mut records: Vec<ServiceRecord> = (1..=5)
        .map(|m| {
            record(
                &format!("g{m}"),
                ("c1", "r1"),
                ("MB", "fasting-glucose"),
                date!(2025 - 01 - 10) + time::Duration::days(30 * m),
                none,
            )
        })
        .collect();
    records.push(record("f1", ("c1", "r1"), ("MB", "follow-up"), date!(2025 - 03 - 01), none));
    records.push(record("f2", ("c1", "r1"), ("MB", "follow-up"), date!(2025 - 06 - 01), none));
    records.push(record("a1", ("c1", "r1"), ("GW", "health-assessment"), date!(2025 - 09 - 01), none));
    let claims = [claim("c1", 10_000), claim("c2", 5_000), claim("c9", 7_000)];

    let activity = activity(Period { year: 2025 }, &contracts, &records, &claims, 82);
    assert_eq!((activity.period, activity.residents_signed, activity.households_signed), (2025, 2, 1));
    let signings: Vec<(&str, u32)> = activity.signings.iter().map(|s| (s.package_code.as_str(), s.signings)).collect();
    assert_eq!(signings, [("GW", 2), ("MB", 1)]);
    let deliveries: Vec<(&str, &str, u32, u32)> = activity
        .deliveries
        .iter()
        .map(|d| (d.package_code.as_str(), d.item_code.as_str(), d.owed, d.delivered))
        .collect();
    // Five glucose tests of four owed earn four.
    assert_eq!(
        deliveries,
        [("GW", "health-assessment", 2, 1), ("MB", "fasting-glucose", 4, 4), ("MB", "follow-up", 4, 2)]
    );
    assert_eq!((activity.assessment_score, activity.care_spent), (82, 15_000), "another team's claim does not count");
}

fn report() -> SettlementReport {
    let line = |kind, amount| SettlementLine { kind, amount, reason: String::new() };
    let team = |id: &str, name: &str, lines: Vec<SettlementLine>| TeamSettlement {
        team_id: id.into(),
        team_name: name.into(),
        activity: TeamActivity {
            period: 2025,
            residents_signed: 120,
            households_signed: 50,
            signings: Vec::new(),
            deliveries: Vec::new(),
            assessment_score: 90,
            care_spent: 0,
        },
        settlement: Settlement { total: lines.iter().map(|l| l.amount).sum(), lines },
    };
    let teams = vec![
        team(
            "t1",
            "安国镇一团队",
            vec![line(SettlementKind::PerSigning, 180_000), line(SettlementKind::Fulfilment, 55_500)],
        ),
        team("t2", "龙固, \"二\"团队", vec![line(SettlementKind::Subsidy, 1)]),
    ];
    SettlementReport {
        county_code: "320322".into(),
        period: 2025,
        plugin_hash: "h".into(),
        plugin_version: "1".into(),
        settled_by: "finance".into(),
        settled_at: "2026-01-05T00:00:00Z".into(),
        stored_before: false,
        total: teams.iter().map(|t| t.settlement.total).sum(),
        teams,
    }
}

#[test]
fn the_csv_has_a_row_per_team_and_every_amount_in_fen() {
    let csv = csv(&report());
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert!(lines[0].starts_with("\u{feff}团队 team,团队名称 name,签约人数 residents"), "{}", lines[0]);
    assert_eq!(lines[1], "t1,安国镇一团队,120,50,90,180000,55500,0,0,0,235500");
    assert_eq!(lines[2], "t2,\"龙固, \"\"二\"\"团队\",120,50,90,0,0,0,0,1,1", "quoted as RFC 4180 says");
    assert_eq!(lines.len(), 4, "two rows and the final line break");
}

#[test]
fn the_xlsx_opens_as_a_spreadsheet_with_the_same_table() {
    let bytes = xlsx(&report()).unwrap();
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let sheet = workbook.worksheet_range("320322 2025").unwrap();
    assert_eq!(sheet.get_value((0, 0)), Some(&Data::String("团队 team".into())));
    assert_eq!(sheet.get_value((1, 1)), Some(&Data::String("安国镇一团队".into())));
    assert_eq!(sheet.get_value((1, 10)), Some(&Data::Float(235_500.0)));
    assert_eq!(sheet.get_value((3, 0)), Some(&Data::String("合计 total".into())));
    assert_eq!(sheet.get_value((3, 10)), Some(&Data::Float(235_501.0)));
}

#[test]
fn a_name_that_starts_like_a_formula_is_inert_in_both_files_and_debits_stay_numbers() {
    let mut report = report();
    let link = "=HYPERLINK(\"http://x.example\",\"点击\")";
    report.teams[0].team_name = link.into();
    report.teams[1].team_id = "@t2".into();
    report.teams[1].settlement.lines[0].amount = -100;
    report.teams[1].settlement.total = -100;
    report.total = 235_400;

    let csv = csv(&report);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[1],
        "t1,\"'=HYPERLINK(\"\"http://x.example\"\",\"\"点击\"\")\",120,50,90,180000,55500,0,0,0,235500"
    );
    assert!(lines[2].starts_with("'@t2,"), "{}", lines[2]);
    assert!(lines[2].ends_with(",-100,-100"), "a debit is a number, not text: {}", lines[2]);

    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx(&report).unwrap())).unwrap();
    let sheet = workbook.worksheet_range("320322 2025").unwrap();
    assert_eq!(sheet.get_value((1, 1)), Some(&Data::String(format!("'{link}"))));
    assert_eq!(sheet.get_value((2, 0)), Some(&Data::String("'@t2".into())));
    assert_eq!(sheet.get_value((2, 10)), Some(&Data::Float(-100.0)));
    let formulas = workbook.worksheet_formula("320322 2025").unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no cell is a formula");
}
