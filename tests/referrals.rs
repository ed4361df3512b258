//! Referrals on every database: a protocol suggestion withdrawn by a
//! correction and raised again, a team's referral up through the green
//! channel into its reserved appointments (two clerks racing for the last
//! one), both ends answering, the two-week follow-up on the work list, a
//! referral down with its prescription, and a tuberculosis patient's move
//! out of the county reported upward — through the kernel, and over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Server, county_admin, databases, glucose_test, kernel_on, member, person, qianyue, request, sign};
use qianyue::KernelError;
use qianyue::authz::{Principal, Role};
use qianyue::demo::PEI;
use qianyue::fulfilment::{MoveOut, NewServiceRecord};
use qianyue::kernel::{Clock, NewResident};
use qianyue::referrals::{
    Answer, Capacity, Direction, FollowUpMode, NewFollowUp, NewReferral, PrescriptionLine, ReferralError,
    ReferralStatus, Reservation, ReservationKind,
};
use qianyue::residents::{CitizenId, Tag, TagRecord};
use serde_json::json;
use time::Date;
use time::macros::date;

const TEAM: &str = "team-anguo-1";
const HOSPITAL: &str = "pei-hospital";

/// A glucose test that corrects `corrects`, if given.
fn glucose(on: Date, tenths: u16, corrects: Option<&str>) -> NewServiceRecord {
    NewServiceRecord { corrects: corrects.map(Into::into), ..glucose_test(on, tenths) }
}

/// Staff of a Pei institution (a hospital's referral office).
fn hospital_staff(institution: &str) -> Principal {
    Principal { institution: Some(institution.into()), ..person(PEI, Role::HospitalStaff, None) }
}

fn up(resident: &str, suggestion: Option<&str>, slot_on: Option<Date>) -> NewReferral {
    NewReferral {
        direction: Direction::Up,
        resident_id: resident.into(),
        to_institution: Some(HOSPITAL.into()),
        reason: "连续两次空腹血糖控制不满意".into(),
        suggestion_id: suggestion.map(Into::into),
        reservation: slot_on.map(|on| Reservation { kind: ReservationKind::SpecialistSlot, on }),
        prescription: vec![],
    }
}

#[tokio::test]
async fn referrals_up_and_down_with_reserved_slots_and_follow_ups() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let january = kernel_on(&db, dir.path(), &[], Clock::Fixed(date!(2026 - 01 - 05))).await;
        let doctor = member(PEI, TEAM);
        let contract = january.sign(&doctor, sign("res-pei-004", TEAM, &["PEI-GW", "PEI-MB"])).await.unwrap();
        january.record_service(&doctor, &contract.id, glucose(date!(2026 - 01 - 05), 75, None)).await.unwrap();

        // A second unsatisfactory result suggests a referral; the correction that
        // removes the cause withdraws it, and correcting back raises it again.
        let april = kernel_on(&db, dir.path(), &[], Clock::Fixed(date!(2026 - 04 - 10))).await;
        let high = april.record_service(&doctor, &contract.id, glucose(date!(2026 - 04 - 10), 78, None)).await;
        let high = high.unwrap();
        let suggested = high.referral_suggestions[0].id.clone();
        let fixed =
            april.record_service(&doctor, &contract.id, glucose(date!(2026 - 04 - 10), 61, Some(&high.record.id)));
        let fixed = fixed.await.unwrap();
        assert_eq!(fixed.withdrawn_suggestions, std::slice::from_ref(&suggested), "{}", db.name);
        let work = april.work_list(&doctor, TEAM, None, 14).await.unwrap();
        assert!(work.referral_suggestions.is_empty(), "withdrawn: off the work list");
        let back =
            april.record_service(&doctor, &contract.id, glucose(date!(2026 - 04 - 10), 79, Some(&fixed.record.id)));
        let back = back.await.unwrap();
        assert!(back.withdrawn_suggestions.is_empty());
        let suggestion = back.referral_suggestions[0].id.clone();
        assert_ne!(suggestion, suggested);

        // The county reserves one specialist appointment a day for the team at
        // its hospital; only a county hospital of the team's county reserves.
        let admin = county_admin(PEI);
        let one_a_day = Capacity { team_id: TEAM.into(), kind: ReservationKind::SpecialistSlot, per_day: 1 };
        let reserved = april.set_referral_capacity(&admin, HOSPITAL, one_a_day.clone()).await.unwrap();
        assert_eq!(reserved, std::slice::from_ref(&one_a_day));
        let centre = april.set_referral_capacity(&admin, "pei-anguo", one_a_day.clone()).await;
        assert!(matches!(centre, Err(KernelError::Referral(ReferralError::NotACountyHospital(_)))), "{centre:?}");
        let feng_team = Capacity { team_id: "team-huankou-1".into(), ..one_a_day.clone() };
        let other_county = april.set_referral_capacity(&admin, HOSPITAL, feng_team).await;
        // Another county's team is answered as a missing one, without its county.
        assert!(matches!(other_county, Err(KernelError::NotFound { what: "team", .. })), "{other_county:?}");
        let by_team = april.set_referral_capacity(&doctor, HOSPITAL, one_a_day.clone()).await;
        assert!(matches!(by_team, Err(KernelError::Denied(_))));

        // The team refers up, acting on the suggestion, into 12 April's slot.
        // A registered-poor resident travels the green channel.
        let other_team = april.refer(&member(PEI, "team-anguo-2"), up("res-pei-004", None, None)).await;
        assert!(matches!(other_team, Err(KernelError::Denied(_))), "{other_team:?}");
        let to_centre = NewReferral { to_institution: Some("pei-anguo".into()), ..up("res-pei-004", None, None) };
        let to_centre = april.refer(&doctor, to_centre).await;
        assert!(matches!(to_centre, Err(KernelError::Referral(ReferralError::NotACountyHospital(_)))));
        let unsigned = april.refer(&doctor, up("res-pei-005", None, None)).await;
        assert!(matches!(unsigned, Err(KernelError::Referral(ReferralError::NotSigned(_)))), "{unsigned:?}");
        let referral =
            april.refer(&doctor, up("res-pei-004", Some(&suggestion), Some(date!(2026 - 04 - 12)))).await.unwrap();
        assert!(referral.green_channel);
        assert_eq!((referral.from_institution.as_str(), referral.to_institution.as_str()), ("pei-anguo", HOSPITAL));
        assert_eq!(referral.follow_up.due_on, date!(2026 - 04 - 24), "follow up within two weeks");
        let twice = april.refer(&doctor, up("res-pei-004", Some(&suggestion), None)).await;
        assert!(matches!(twice, Err(KernelError::Referral(ReferralError::UnknownSuggestion(_)))), "acted on already");
        let work = april.work_list(&doctor, TEAM, None, 14).await.unwrap();
        assert!(work.referral_suggestions.is_empty(), "acted on: off the work list");
        assert_eq!(work.follow_ups.len(), 1);
        assert_eq!((work.follow_ups[0].due_on, work.follow_ups[0].days_overdue), (date!(2026 - 04 - 24), -14));

        // 12 April's one slot is taken; two clerks racing for 13 April's: one wins.
        april.sign(&doctor, sign("res-pei-001", TEAM, &["PEI-GW", "PEI-LN"])).await.unwrap();
        april.sign(&doctor, sign("res-pei-006", TEAM, &["PEI-GW"])).await.unwrap();
        let full = april.refer(&doctor, up("res-pei-001", None, Some(date!(2026 - 04 - 12)))).await;
        assert!(
            matches!(full, Err(KernelError::Referral(ReferralError::ReservationFull { per_day: 1, .. }))),
            "{full:?}"
        );
        let (a, b) = tokio::join!(
            april.refer(&doctor, up("res-pei-001", None, Some(date!(2026 - 04 - 13)))),
            april.refer(&doctor, up("res-pei-006", None, Some(date!(2026 - 04 - 13))))
        );
        assert_eq!(usize::from(a.is_ok()) + usize::from(b.is_ok()), 1, "{}: {a:?} {b:?}", db.name);
        let loser = if a.is_ok() { b } else { a };
        assert!(matches!(loser, Err(KernelError::Referral(ReferralError::ReservationFull { .. }))), "{loser:?}");
        let beds = april.refer(
            &doctor,
            NewReferral {
                reservation: Some(Reservation { kind: ReservationKind::Bed, on: date!(2026 - 04 - 14) }),
                ..up("res-pei-001", None, None)
            },
        );
        let beds = beds.await;
        assert!(matches!(beds, Err(KernelError::Referral(ReferralError::NothingReserved { .. }))), "{beds:?}");

        // The hospital works its incoming referrals green channel first; staff of
        // another institution see none of them.
        let staff = hospital_staff(HOSPITAL);
        let incoming = april.institution_referrals(&staff, HOSPITAL).await.unwrap();
        assert_eq!(incoming.len(), 2);
        assert_eq!(incoming[0].id, referral.id, "green channel first");
        let stranger = hospital_staff("pei-longgu");
        assert!(april.institution_referrals(&stranger, HOSPITAL).await.unwrap().is_empty());
        assert!(matches!(april.referral(&stranger, &referral.id).await, Err(KernelError::Denied(_))));
        let resident = Principal { subject: "res-pei-004".into(), ..person(PEI, Role::Resident, None) };
        assert_eq!(april.referral(&resident, &referral.id).await.unwrap().status, ReferralStatus::Requested);

        // The receiving end answers; the sending end may only cancel, with a reason.
        let by_team = april.answer_referral(&doctor, &referral.id, Answer::Accept, None).await;
        assert!(matches!(by_team, Err(KernelError::Denied(_))), "{by_team:?}");
        let silent = april.answer_referral(&doctor, &referral.id, Answer::Cancel, Some(" ")).await;
        assert!(matches!(silent, Err(KernelError::Referral(ReferralError::NoteRequired))));
        let accepted = april.answer_referral(&staff, &referral.id, Answer::Accept, None).await.unwrap();
        assert_eq!(accepted.status, ReferralStatus::Accepted);
        let done = april.answer_referral(&staff, &referral.id, Answer::Complete, Some("住院7天，血糖控制平稳"));
        let done = done.await.unwrap();
        assert_eq!(
            (done.status, done.status_note.as_deref()),
            (ReferralStatus::Completed, Some("住院7天，血糖控制平稳"))
        );
        let again = april.answer_referral(&staff, &referral.id, Answer::Complete, None).await;
        assert!(matches!(again, Err(KernelError::Referral(ReferralError::Transition { .. }))), "{again:?}");

        // The team's village doctor phones within the two weeks; the task is done.
        let village_doctor = person(PEI, Role::VillageDoctor, Some(TEAM));
        let phoned = NewFollowUp { on: date!(2026 - 04 - 10), mode: FollowUpMode::Phone, note: None };
        let followed = april.follow_up_referral(&village_doctor, &referral.id, phoned.clone()).await.unwrap();
        assert_eq!(followed.follow_up.done_on, Some(date!(2026 - 04 - 10)));
        let twice = april.follow_up_referral(&doctor, &referral.id, phoned).await;
        assert!(matches!(twice, Err(KernelError::Referral(ReferralError::AlreadyFollowedUp(_)))));
        let work = april.work_list(&doctor, TEAM, None, 14).await.unwrap();
        assert!(work.follow_ups.iter().all(|f| f.referral_id != referral.id), "{:?}", work.follow_ups);

        // Down, from the hospital to the resident's team, with the prescription.
        let down = NewReferral {
            direction: Direction::Down,
            resident_id: "res-pei-004".into(),
            to_institution: None,
            reason: "病情稳定，转回社区管理".into(),
            suggestion_id: None,
            reservation: None,
            prescription: vec![PrescriptionLine {
                drug: "二甲双胍片".into(),
                dosage: "0.5 g 每日两次".into(),
                days: 60,
            }],
        };
        let by_doctor = april.refer(&doctor, down.clone()).await;
        assert!(matches!(by_doctor, Err(KernelError::Referral(ReferralError::NoSendingInstitution))), "{by_doctor:?}");
        let sent = april.refer(&staff, down).await.unwrap();
        assert_eq!((sent.to_institution.as_str(), sent.green_channel), ("pei-anguo", false));
        assert!(matches!(
            april.answer_referral(&staff, &sent.id, Answer::Accept, None).await,
            Err(KernelError::Denied(_))
        ));
        let taken_back = april.answer_referral(&doctor, &sent.id, Answer::Accept, None).await.unwrap();
        assert_eq!(taken_back.status, ReferralStatus::Accepted);
        assert_eq!(april.team_referrals(&doctor, TEAM).await.unwrap().len(), 3);
    }
}

#[tokio::test]
async fn a_tuberculosis_patients_move_out_is_reported_upward() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let january = kernel_on(&db, dir.path(), &[], Clock::Fixed(date!(2026 - 01 - 05))).await;
        let admin = county_admin(PEI);
        let doctor = member(PEI, TEAM);
        let tb = TagRecord { recorded_on: date!(2026 - 01 - 02), source: "team".into() };
        let patient = NewResident {
            name: "结核病患者".into(),
            citizen_id: CitizenId::from_first_17("32032219800101001").unwrap().expose().to_owned(),
            household_id: None,
            phone: None,
            recorded_tags: [(Tag::Tuberculosis, tb)].into(),
        };
        let patient = january.register_resident(&admin, PEI, patient).await.unwrap();
        january.sign(&doctor, sign(&patient.id, TEAM, &["PEI-GW"])).await.unwrap();
        january.sign(&doctor, sign("res-pei-005", TEAM, &["PEI-GW"])).await.unwrap();
        let kernel = kernel_on(&db, dir.path(), &[], Clock::Fixed(date!(2026 - 04 - 10))).await;
        let early = MoveOut { on: date!(2026 - 01 - 04), destination: "江苏省徐州市鼓楼区".into() };
        assert!(matches!(kernel.move_out(&doctor, &patient.id, early).await, Err(KernelError::MoveOut(_))));

        let moved = MoveOut { on: date!(2026 - 04 - 08), destination: "江苏省徐州市鼓楼区".into() };
        let later = MoveOut { on: date!(2026 - 04 - 11), ..moved.clone() };
        assert!(matches!(kernel.move_out(&doctor, &patient.id, later).await, Err(KernelError::MoveOut(_))));
        let nowhere = MoveOut { destination: " ".into(), ..moved.clone() };
        assert!(matches!(kernel.move_out(&doctor, &patient.id, nowhere).await, Err(KernelError::MoveOut(_))));
        let other_team = kernel.move_out(&member(PEI, "team-anguo-2"), &patient.id, moved.clone()).await;
        assert!(matches!(other_team, Err(KernelError::Denied(_))));

        let reported = kernel.move_out(&doctor, &patient.id, moved.clone()).await.unwrap();
        assert_eq!(reported.contract.ended_on, Some(date!(2026 - 04 - 08)), "{}", db.name);
        let report = reported.report.unwrap();
        assert_eq!((report.destination.as_str(), report.team_id.as_str()), ("江苏省徐州市鼓楼区", TEAM));
        let again = kernel.move_out(&doctor, &patient.id, moved.clone()).await;
        assert!(matches!(again, Err(KernelError::Referral(ReferralError::NotSigned(_)))), "ended: {again:?}");

        // Someone without tuberculosis moves too: the contract ends, nothing is reported.
        let quiet = kernel.move_out(&doctor, "res-pei-005", moved).await.unwrap();
        assert!(quiet.report.is_none() && quiet.contract.ended_on.is_some());

        let inspector = person(PEI, Role::Inspector, None);
        let reports = kernel.move_out_reports(&inspector, PEI).await.unwrap();
        assert_eq!(reports, [report]);
        assert!(matches!(kernel.move_out_reports(&doctor, PEI).await, Err(KernelError::Denied(_))));
        assert!(kernel.move_out_reports(&county_admin("320321"), "320321").await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn referrals_over_http() {
    let database = databases().await.remove(0);
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &database, &["--demo"]);
    let doctor = server.token(&["--role", "team_member", "--county", PEI, "--team", TEAM]);
    let admin = server.token(&["--role", "county_admin", "--county", PEI]);
    let staff = server.token(&["--role", "hospital_staff", "--county", PEI, "--institution", HOSPITAL]);
    let url = |path: &str| format!("{}{path}", server.base);
    let signing = json!({ "resident_id": "res-pei-004", "team_id": TEAM, "packages": ["PEI-GW", "PEI-MB"] });
    request("POST", &url("/v1/contracts"), Some(&doctor), Some(signing)).await.ok(201);
    let tomorrow = (qianyue::kernel::Clock::System.today() + time::Duration::days(1)).to_string();

    let capacity = url(&format!("/v1/institutions/{HOSPITAL}/referral-capacity"));
    let one = json!({ "team_id": TEAM, "kind": "bed", "per_day": 1 });
    request("PUT", &capacity, Some(&doctor), Some(one.clone())).await.problem(403, "forbidden");
    assert_eq!(request("PUT", &capacity, Some(&admin), Some(one)).await.ok(200)[0]["per_day"], 1);
    assert_eq!(request("GET", &capacity, Some(&staff), None).await.ok(200)[0]["kind"], "bed");

    let referral = json!({
        "direction": "up", "resident_id": "res-pei-004", "to_institution": HOSPITAL,
        "reason": "血压控制不满意", "reservation": { "kind": "bed", "on": tomorrow }
    });
    let sent = request("POST", &url("/v1/referrals"), Some(&doctor), Some(referral.clone())).await;
    let sent = sent.ok(201).clone();
    assert_eq!((sent["status"].as_str(), sent["green_channel"].as_bool()), (Some("requested"), Some(true)));
    let full = request("POST", &url("/v1/referrals"), Some(&doctor), Some(referral.clone())).await;
    assert!(full.problem(409, "reservation-full").contains("taken"));
    let mut typo = referral;
    typo["direction"] = json!("sideways");
    request("POST", &url("/v1/referrals"), Some(&doctor), Some(typo)).await.problem(422, "bad-request-body");

    let id = sent["id"].as_str().unwrap();
    let answer = url(&format!("/v1/referrals/{id}/answer"));
    request("POST", &answer, Some(&doctor), Some(json!({ "answer": "accept" }))).await.problem(403, "forbidden");
    let accepted = request("POST", &answer, Some(&staff), Some(json!({ "answer": "accept" }))).await;
    assert_eq!(accepted.ok(200)["status"], "accepted");
    let declined = request("POST", &answer, Some(&staff), Some(json!({ "answer": "decline", "note": "x" }))).await;
    assert!(declined.problem(422, "referral-rule").contains("accepted"));
    let incoming = request("GET", &url(&format!("/v1/institutions/{HOSPITAL}/referrals")), Some(&staff), None).await;
    assert_eq!(incoming.ok(200).as_array().unwrap().len(), 1);
    let list = request("GET", &url(&format!("/v1/teams/{TEAM}/work-list")), Some(&doctor), None).await;
    assert_eq!(list.ok(200)["follow_ups"][0]["referral_id"], id);

    let report = qianyue().args(["worklist", "--team", TEAM, "--data-dir"]).arg(data.path()).output().unwrap();
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let report = String::from_utf8(report.stdout).unwrap();
    assert!(report.contains("Referral follow-ups: 1") && report.contains(&format!("referral up {id}")), "{report}");
}
