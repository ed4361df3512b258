//! Assessment and settlement end to end, on every database: a year of
//! signings, deliveries, a spot check; the county's teams settled through
//! Pei's incentive plugin, stored once, identical when run again, refused
//! when a late record changes what it was computed from; the finance
//! office's CSV and XLSX.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use calamine::{Data, Reader, Xlsx};
use common::{databases, delivery, kernel_on, member, person, qianyue, regional_admin, sign, small_team};
use qianyue::KernelError;
use qianyue::assessment::{CheckMethod, NewSatisfactionCheck, Scope};
use qianyue::authz::Role;
use qianyue::contracts::Period;
use qianyue::demo::PEI;
use qianyue::fulfilment::Measurements;
use qianyue::kernel::Clock;
use qianyue::plugins::SettlementKind;
use time::macros::date;

#[tokio::test]
async fn a_countys_teams_are_settled_once_by_its_plugin_and_exported() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let january = kernel_on(&db, dir.path(), &[], Clock::Fixed(date!(2025 - 01 - 02))).await;
        let (one, two) = (member(PEI, "team-anguo-1"), member(PEI, "team-anguo-2"));
        let elderly = january.sign(&one, sign("res-pei-001", "team-anguo-1", &["PEI-GW", "PEI-LN"])).await.unwrap();
        january.sign(&one, sign("res-pei-003", "team-anguo-1", &["PEI-GW", "PEI-YY"])).await.unwrap();
        january.sign(&two, sign("res-pei-006", "team-anguo-2", &["PEI-GW", "PEI-LN"])).await.unwrap();

        // Team one follows up its elderly resident three times (blood
        // pressure 130/80 the last time) and educates her three times.
        let december = kernel_on(&db, dir.path(), &[], Clock::Fixed(date!(2025 - 12 - 20))).await;
        for (n, on) in [date!(2025 - 03 - 01), date!(2025 - 06 - 01), date!(2025 - 09 - 01)].into_iter().enumerate() {
            let pressure = if n == 2 {
                Measurements { systolic: Some(130), diastolic: Some(80), ..Default::default() }
            } else {
                Measurements::default()
            };
            december.record_service(&one, &elderly.id, delivery("PEI-LN", "follow-up", on, pressure)).await.unwrap();
            let education = delivery("PEI-GW", "health-education", on, Measurements::default());
            december.record_service(&one, &elderly.id, education).await.unwrap();
        }
        let inspector = person(PEI, Role::Inspector, None);
        let call = NewSatisfactionCheck {
            checked_on: date!(2025 - 12 - 10),
            method: CheckMethod::PhoneSpotCheck,
            reached: true,
            satisfied: true,
            note: "服务到位".into(),
        };
        december.record_satisfaction(&inspector, &elderly.id, call.clone()).await.unwrap();
        let refused = december.record_satisfaction(&one, &elderly.id, call).await;
        assert!(matches!(refused, Err(KernelError::Denied(_))), "a team does not rate itself: {refused:?}");

        // As of 20 December team one owes 14 deliveries (education 3 and
        // follow-ups 3 for her; education 3, prenatal checks 4, postpartum
        // visit 1 for the other) and made 6.
        let team_one = december.assessment(&one, Scope::Team("team-anguo-1".into()), None, true).await.unwrap();
        assert_eq!((team_one.fulfilment.numerator, team_one.fulfilment.denominator), (6, 14));
        assert_eq!(team_one.fulfilment.permille, Some(429));
        let drill = team_one.fulfilment.residents.as_ref().unwrap();
        assert_eq!(
            (drill.counted.as_slice(), drill.not_counted.as_slice()),
            (["res-pei-001".to_owned()].as_slice(), ["res-pei-003".to_owned()].as_slice()),
            "she is up to date; the other has everything overdue"
        );
        assert_eq!(team_one.blood_pressure_control.permille, Some(1000));
        assert_eq!(team_one.satisfaction.permille, Some(1000));
        // (429 + 1000 + 1000) / 3 = 809.7 permille.
        assert_eq!(team_one.score, 81);
        let other_team = december.assessment(&one, Scope::Team("team-anguo-2".into()), None, false).await;
        assert!(matches!(other_team, Err(KernelError::Denied(_))));
        let county = december.assessment(&inspector, Scope::County(PEI.into()), None, false).await.unwrap();
        assert!(county.fulfilment.residents.is_none(), "residents only when asked for");
        // Pei's key populations: five of its six demo residents; three signed.
        assert_eq!((county.key_population_signing.numerator, county.key_population_signing.denominator), (3, 5));

        // Settled once the year is over, as of its last day: team one's score
        // is then (6 of 27 = 222 + 1000 + 1000) / 3 = 74, over the pass mark.
        let finance = person(PEI, Role::Finance, None);
        let early = december.settle(&finance, PEI, Period { year: 2025 }).await;
        assert!(matches!(early, Err(KernelError::Invalid(_))), "not before the period ends: {early:?}");
        let new_year = kernel_on(&db, dir.path(), &[], Clock::Fixed(date!(2026 - 01 - 05))).await;
        let report = new_year.settle(&finance, PEI, Period { year: 2025 }).await.unwrap();
        assert!(!report.stored_before);
        let team = |id: &str| report.teams.iter().find(|t| t.team_id == id).unwrap().clone();
        let anguo1 = team("team-anguo-1");
        assert_eq!((anguo1.activity.residents_signed, anguo1.activity.households_signed), (2, 2));
        assert_eq!(anguo1.activity.assessment_score, 74);
        let paid = |t: &qianyue::settlement::TeamSettlement, kind| {
            t.settlement.lines.iter().filter(|l| l.kind == kind).map(|l| l.amount).sum::<i64>()
        };
        // 15 yuan for each pregnancy and elderly-care signing; 10 yuan a signed
        // resident as subsidy for a team that passed.
        assert_eq!(paid(&anguo1, SettlementKind::PerSigning), 3_000);
        assert_eq!(paid(&anguo1, SettlementKind::Subsidy), 2_000);
        assert_eq!(anguo1.settlement.total, 5_000);
        let anguo2 = team("team-anguo-2");
        assert_eq!(
            (anguo2.activity.assessment_score, anguo2.settlement.total),
            (0, 1_500),
            "no subsidy below the pass mark"
        );
        assert_eq!(team("team-longgu-1").settlement.total, 0);
        assert_eq!(report.total, 6_500);
        assert_eq!(report.plugin_hash, elderly.plugin_hash);

        // Run again: the same answer, from what was stored.
        let again = new_year.settle(&regional_admin(), PEI, Period { year: 2025 }).await.unwrap();
        assert!(again.stored_before);
        assert_eq!(
            (again.teams.clone(), again.total, again.settled_at.clone()),
            (report.teams.clone(), report.total, report.settled_at.clone())
        );
        let stored = new_year.settlement(&finance, PEI, Period { year: 2025 }).await.unwrap();
        assert_eq!(stored.teams, report.teams);

        // A team formed in 2026 is no part of 2025: the settlement stands
        // and the new team is not one of its rows.
        let formed = small_team(&new_year, 10).await;
        let after_forming = new_year.settle(&finance, PEI, Period { year: 2025 }).await.unwrap();
        assert!(after_forming.stored_before);
        assert_eq!(after_forming.teams, report.teams);
        assert!(!after_forming.teams.iter().any(|t| t.team_id == formed), "{formed} was formed after 2025");

        // The CLI runs it again and exports it for the finance office.
        let (csv, xlsx) = (dir.path().join("settlement.csv"), dir.path().join("settlement.xlsx"));
        let mut command = qianyue();
        command.args(["settle", "--county", PEI, "--period", "2025", "--data-dir"]).arg(dir.path());
        command.arg("--csv").arg(&csv).arg("--xlsx").arg(&xlsx);
        if let Some(url) = &db.url {
            command.args(["--database-url", url]);
        }
        let output = command.env_remove("QIANYUE_DATABASE_URL").output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let printed = String::from_utf8(output.stdout).unwrap();
        assert!(
            printed.contains("3 teams, 6500 fen") && printed.contains("unchanged since it was stored"),
            "{printed}"
        );
        let csv = std::fs::read_to_string(&csv).unwrap();
        assert!(csv.contains("team-anguo-1,安国镇家庭医生一团队,2,2,74,3000,0,0,0,2000,5000"), "{csv}");
        let mut workbook: Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
        let sheet = workbook.worksheet_range("320322 2025").unwrap();
        assert_eq!(sheet.get_value((4, 0)), Some(&Data::String("合计 total".into())));
        assert_eq!(sheet.get_value((4, 10)), Some(&Data::Float(6_500.0)));

        // A late record of 2025 changes what the settlement was computed
        // from: the stored one stands and the run is refused.
        let late = delivery("PEI-GW", "health-education", date!(2025 - 12 - 30), Measurements::default());
        new_year.record_service(&one, &elderly.id, late).await.unwrap();
        let changed = new_year.settle(&finance, PEI, Period { year: 2025 }).await;
        assert!(matches!(changed, Err(KernelError::SettlementChanged { .. })), "{changed:?}");
        assert_eq!(new_year.settlement(&finance, PEI, Period { year: 2025 }).await.unwrap().teams, report.teams);
    }
}
