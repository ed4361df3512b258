use time::macros::date;

use super::*;

fn hospital() -> Institution {
    Institution {
        id: "pei-hospital".into(),
        county_code: "320322".into(),
        name: "沛县人民医院".into(),
        level: InstitutionLevel::CountyHospital,
        parent_id: None,
        backed_by: None,
    }
}

fn up() -> NewReferral {
    NewReferral {
        direction: Direction::Up,
        resident_id: "r1".into(),
        to_institution: Some("pei-hospital".into()),
        reason: "两次空腹血糖控制不满意".into(),
        suggestion_id: None,
        reservation: Some(Reservation { kind: ReservationKind::SpecialistSlot, on: date!(2026 - 03 - 02) }),
        prescription: vec![],
    }
}

fn down() -> NewReferral {
    NewReferral {
        direction: Direction::Down,
        to_institution: None,
        reservation: None,
        prescription: vec![PrescriptionLine {
            drug: "二甲双胍片".into(), dosage: "0.5 g 每日两次".into(), days: 30
        }],
        ..up()
    }
}

const TODAY: Date = date!(2026 - 03 - 01);

fn referral(status: ReferralStatus, referred_on: Date) -> Referral {
    Referral {
        id: format!("ref-{referred_on}"),
        direction: Direction::Up,
        resident_id: "r1".into(),
        contract_id: "c1".into(),
        team_id: "t1".into(),
        county_code: "320322".into(),
        from_institution: "pei-anguo".into(),
        to_institution: "pei-hospital".into(),
        reason: "x".into(),
        suggestion_id: None,
        green_channel: false,
        reservation: None,
        prescription: vec![],
        status,
        status_note: None,
        referred_on,
        follow_up: follow_up_due(referred_on),
        referred_by: "doc".into(),
        updated_at: String::new(),
    }
}

#[test]
fn a_referral_up_goes_to_a_county_hospital_of_the_residents_county() {
    assert_eq!(check(&up(), Some(&hospital()), "320322", TODAY), Ok(()));
    let centre = Institution { level: InstitutionLevel::TownshipCentre, ..hospital() };
    assert_eq!(
        check(&up(), Some(&centre), "320322", TODAY),
        Err(ReferralError::NotACountyHospital("pei-hospital".into()))
    );
    assert_eq!(
        check(&up(), Some(&hospital()), "320321", TODAY),
        Err(ReferralError::NotACountyHospital("pei-hospital".into())),
        "another county's hospital"
    );
    assert_eq!(check(&up(), None, "320322", TODAY), Err(ReferralError::NotACountyHospital("pei-hospital".into())));
    let nowhere = NewReferral { to_institution: None, ..up() };
    assert_eq!(check(&nowhere, None, "320322", TODAY), Err(ReferralError::NoDestination));
    let no_reason = NewReferral { reason: "  ".into(), ..up() };
    assert_eq!(check(&no_reason, Some(&hospital()), "320322", TODAY), Err(ReferralError::NoReason));
    let past = NewReferral {
        reservation: Some(Reservation { kind: ReservationKind::Bed, on: date!(2026 - 02 - 28) }),
        ..up()
    };
    assert_eq!(
        check(&past, Some(&hospital()), "320322", TODAY),
        Err(ReferralError::ReservationInPast { on: date!(2026 - 02 - 28) })
    );
    let with_prescription = NewReferral { prescription: down().prescription, ..up() };
    assert_eq!(check(&with_prescription, Some(&hospital()), "320322", TODAY), Err(ReferralError::PrescriptionUp));
}

#[test]
fn a_referral_down_continues_a_prescription_to_the_team() {
    assert_eq!(check(&down(), None, "320322", TODAY), Ok(()));
    let none = NewReferral { prescription: vec![], ..down() };
    assert_eq!(check(&none, None, "320322", TODAY), Err(ReferralError::NoPrescription));
    let too_long = NewReferral {
        prescription: vec![
            down().prescription[0].clone(),
            PrescriptionLine { drug: "阿司匹林肠溶片".into(), dosage: "100 mg 每日一次".into(), days: 91 },
        ],
        ..down()
    };
    assert_eq!(
        check(&too_long, None, "320322", TODAY),
        Err(ReferralError::BadPrescription { line: 2, message: "days must be 1 to 90" })
    );
    let named = NewReferral { to_institution: Some("pei-anguo".into()), ..down() };
    assert_eq!(check(&named, None, "320322", TODAY), Err(ReferralError::DestinationGivenDown));
    let reserving = NewReferral { reservation: up().reservation, ..down() };
    assert_eq!(check(&reserving, None, "320322", TODAY), Err(ReferralError::ReservationDown));
}

#[test]
fn reservations_come_from_the_teams_daily_capacity() {
    let slot = Reservation { kind: ReservationKind::SpecialistSlot, on: date!(2026 - 03 - 02) };
    assert_eq!(check_capacity(slot, Some(2), 0), Ok(()));
    assert_eq!(check_capacity(slot, Some(2), 1), Ok(()));
    assert_eq!(
        check_capacity(slot, Some(2), 2),
        Err(ReferralError::ReservationFull { kind: "specialist appointments", on: date!(2026 - 03 - 02), per_day: 2 })
    );
    let bed = Reservation { kind: ReservationKind::Bed, ..slot };
    assert_eq!(check_capacity(bed, None, 0), Err(ReferralError::NothingReserved { kind: "bed admissions" }));
    assert_eq!(check_capacity(bed, Some(0), 0), Err(ReferralError::NothingReserved { kind: "bed admissions" }));
}

#[test]
fn the_poverty_groups_travel_the_green_channel() {
    assert!(green_channel(&Tags::from([Tag::Diabetes, Tag::RegisteredPoor])));
    assert!(green_channel(&Tags::from([Tag::PovertyMonitoring])));
    assert!(!green_channel(&Tags::from([Tag::Diabetes, Tag::LiftedOutOfPoverty])));
}

#[test]
fn answers_move_a_referral_through_its_states() {
    use ReferralStatus as S;
    assert_eq!(answer(S::Requested, Answer::Accept, None), Ok(S::Accepted));
    assert_eq!(answer(S::Accepted, Answer::Complete, None), Ok(S::Completed));
    assert_eq!(answer(S::Requested, Answer::Decline, Some("无床位")), Ok(S::Declined));
    assert_eq!(answer(S::Accepted, Answer::Cancel, Some("患者拒绝")), Ok(S::Cancelled));
    assert_eq!(answer(S::Requested, Answer::Decline, Some(" ")), Err(ReferralError::NoteRequired));
    assert_eq!(answer(S::Requested, Answer::Cancel, None), Err(ReferralError::NoteRequired));
    assert_eq!(
        answer(S::Requested, Answer::Complete, None),
        Err(ReferralError::Transition { status: "requested".into(), answer: "complete".into() })
    );
    for closed in [S::Declined, S::Completed, S::Cancelled] {
        for a in [Answer::Accept, Answer::Decline, Answer::Complete, Answer::Cancel] {
            assert!(answer(closed, a, Some("note")).is_err(), "{closed:?} answered with {a:?}");
        }
    }
    assert!(Answer::Cancel.by_sender() && !Answer::Accept.by_sender());
}

#[test]
fn a_referral_owes_a_follow_up_within_two_weeks() {
    let r = referral(ReferralStatus::Requested, date!(2026 - 03 - 01));
    assert_eq!(r.follow_up.due_on, date!(2026 - 03 - 15));
    let done = NewFollowUp { on: date!(2026 - 03 - 10), mode: FollowUpMode::Phone, note: Some(" 已住院 ".into()) };
    let followed = follow_up(&r, &done, date!(2026 - 03 - 10)).unwrap();
    assert_eq!(followed.done_on, Some(date!(2026 - 03 - 10)));
    assert_eq!(followed.note.as_deref(), Some("已住院"));
    let twice = Referral { follow_up: followed, ..r.clone() };
    assert_eq!(follow_up(&twice, &done, date!(2026 - 03 - 10)), Err(ReferralError::AlreadyFollowedUp(done.on)));
    let early = NewFollowUp { on: date!(2026 - 02 - 28), ..done.clone() };
    assert!(matches!(follow_up(&r, &early, TODAY), Err(ReferralError::FollowUpBeforeReferral { .. })));
    assert!(matches!(follow_up(&r, &done, TODAY), Err(ReferralError::FollowUpInFuture { .. })));
}

#[test]
fn open_follow_ups_are_listed_most_overdue_first() {
    let old = referral(ReferralStatus::Completed, date!(2026 - 02 - 01));
    let new = referral(ReferralStatus::Requested, date!(2026 - 02 - 20));
    let cancelled = referral(ReferralStatus::Cancelled, date!(2026 - 01 - 01));
    let mut done = referral(ReferralStatus::Accepted, date!(2026 - 01 - 15));
    done.follow_up.done_on = Some(date!(2026 - 01 - 20));
    let due = follow_ups_due(&[new, cancelled, done, old], date!(2026 - 02 - 20));
    let days: Vec<(Date, i64)> = due.iter().map(|d| (d.due_on, d.days_overdue)).collect();
    assert_eq!(days, vec![(date!(2026 - 02 - 15), 5), (date!(2026 - 03 - 06), -14)]);
}

#[test]
fn hospitals_take_open_green_channel_referrals_first() {
    let mut plain = referral(ReferralStatus::Requested, date!(2026 - 02 - 01));
    plain.id = "plain".into();
    let mut green = referral(ReferralStatus::Requested, date!(2026 - 02 - 10));
    green.id = "green".into();
    green.green_channel = true;
    let mut closed = referral(ReferralStatus::Completed, date!(2026 - 01 - 01));
    closed.id = "closed".into();
    closed.green_channel = true;
    let mut later = referral(ReferralStatus::Accepted, date!(2026 - 02 - 05));
    later.id = "later".into();
    let mut all = vec![closed, later, plain, green];
    triage(&mut all);
    let order: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(order, ["green", "plain", "later", "closed"]);
}
