//! The contract lifecycle as the documents run it, each rule with its
//! refusal, on SQLite and (when configured) PostgreSQL: one doctor per
//! household, team capacity, a licensed GP leading each team, switching
//! within the institution, termination with a reason, objection to renewal,
//! the history of events, and the rebuild of every contract from its events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::sync::Arc;

use common::{county_admin, databases, kernel, member, sign, small_team};
use qianyue::KernelError;
use qianyue::contracts::{ContractStatus, LifecycleError, SignError};
use qianyue::kernel::NewTeam;
use qianyue::org::{MemberRole, Membership, TeamError};
use tokio::sync::Barrier;

const PEI: &str = "320322";

#[tokio::test]
async fn a_household_has_one_family_doctor_at_a_time() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let k = kernel(&database, data.path(), &[]).await;
        // 王秀英 and 刘建国 share household hh-pei-001.
        k.sign(&member(PEI, "team-anguo-1"), sign("res-pei-001", "team-anguo-1", &["PEI-GW"])).await.unwrap();
        let refused = k.sign(&member(PEI, "team-anguo-2"), sign("res-pei-004", "team-anguo-2", &["PEI-GW"])).await;
        let error = refused.unwrap_err();
        assert!(
            matches!(error, KernelError::Sign(SignError::HouseholdHasOtherDoctor { ref team, .. }) if team == "team-anguo-1")
        );
        assert!(error.to_string().contains("another member of the household signs with the same team"), "{error}");
        k.sign(&member(PEI, "team-anguo-1"), sign("res-pei-004", "team-anguo-1", &["PEI-GW"])).await.unwrap();
        assert_eq!(k.store.team_load("team-anguo-1", current_period(&k)).await.unwrap(), (1, 2), "{}", database.name);
        assert_eq!(k.store.team_load("team-anguo-2", current_period(&k)).await.unwrap(), (0, 0), "{}", database.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_members_of_one_household_signing_two_teams_at_once_one_wins() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let k = kernel(&database, data.path(), &[]).await;
        // 李子轩 and his mother 张丽 share household hh-pei-002.
        let barrier = Arc::new(Barrier::new(2));
        let attempts = [("res-pei-002", "team-anguo-1"), ("res-pei-003", "team-anguo-2")].map(|(resident, team)| {
            let (k, barrier) = (k.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                k.sign(&member(PEI, team), sign(resident, team, &["PEI-GW"])).await
            })
        });
        let mut results = Vec::new();
        for attempt in attempts {
            results.push(attempt.await.unwrap());
        }
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{}: {results:?}", database.name);
        let loser = results.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert!(matches!(loser, KernelError::Sign(SignError::HouseholdHasOtherDoctor { .. })), "{loser:?}");
        assert!(k.verify_event_log().await.unwrap().is_empty(), "the loser left no event");
    }
}

#[tokio::test]
async fn a_full_team_refuses_the_next_resident() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let k = kernel(&database, data.path(), &[]).await;
        let team = small_team(&k, 1).await;
        k.sign(&member(PEI, &team), sign("res-pei-005", &team, &["PEI-GW"])).await.unwrap();
        let error = k.sign(&member(PEI, &team), sign("res-pei-006", &team, &["PEI-GW"])).await.unwrap_err();
        assert!(
            matches!(error, KernelError::Sign(SignError::TeamFull { capacity: 1, unit: "residents", .. })),
            "{error}"
        );
        assert!(error.to_string().contains("is full"), "{error}");
        assert!(k.store.contracts_of_resident("res-pei-006").await.unwrap().is_empty(), "{}", database.name);
    }
}

#[tokio::test]
async fn a_team_is_led_by_a_licensed_gp() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let k = kernel(&database, data.path(), &[]).await;
        // 孙敏 (m-sun) is a nurse without a GP licence.
        let team = NewTeam {
            institution_id: "pei-anguo".into(),
            name: "护士带队".into(),
            members: vec![Membership { member_id: "m-sun".into(), role: MemberRole::GpLeader }],
            capacity_households: None,
            capacity_residents: None,
        };
        let error = k.create_team(&county_admin(PEI), PEI, team).await.unwrap_err();
        assert!(matches!(error, KernelError::Team(TeamError::LeaderNotGp(ref m)) if m == "m-sun"), "{error}");
        assert!(error.to_string().contains("must be a licensed general practitioner"), "{error}");
        // And the county admin of Feng cannot form teams in Pei.
        let team = NewTeam {
            institution_id: "pei-anguo".into(),
            name: "x".into(),
            members: vec![Membership { member_id: "m-zhang".into(), role: MemberRole::GpLeader }],
            capacity_households: None,
            capacity_residents: None,
        };
        let denied = k.create_team(&county_admin("320321"), PEI, team).await;
        assert!(matches!(denied, Err(KernelError::Denied(_))), "{}", database.name);
    }
}

#[tokio::test]
async fn switching_stays_within_the_institution_and_moves_the_household() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let k = kernel(&database, data.path(), &[]).await;
        let doctor = member(PEI, "team-anguo-1");
        let wife = k.sign(&doctor, sign("res-pei-001", "team-anguo-1", &["PEI-GW"])).await.unwrap();
        let husband = k.sign(&doctor, sign("res-pei-004", "team-anguo-1", &["PEI-GW"])).await.unwrap();

        let other_institution = k.switch_team(&doctor, &wife.id, "team-longgu-1", "closer to home").await.unwrap_err();
        assert!(matches!(other_institution, KernelError::Lifecycle(LifecycleError::OtherInstitution { .. })));
        assert!(other_institution.to_string().contains("waits for the next period"), "{other_institution}");
        let no_reason = k.switch_team(&doctor, &wife.id, "team-anguo-2", "  ").await.unwrap_err();
        assert!(matches!(no_reason, KernelError::Lifecycle(LifecycleError::ReasonRequired)));
        let same = k.switch_team(&doctor, &wife.id, "team-anguo-1", "why not").await.unwrap_err();
        assert!(matches!(same, KernelError::Lifecycle(LifecycleError::SameTeam(_))));

        let switched = k.switch_team(&doctor, &wife.id, "team-anguo-2", "prefers Dr Wang").await.unwrap();
        assert_eq!(switched.team_id, "team-anguo-2");
        let husband_now = k.store.contract(&husband.id).await.unwrap().unwrap();
        assert_eq!(husband_now.team_id, "team-anguo-2", "{}: the household moves together", database.name);
        assert_eq!(k.store.team_load("team-anguo-1", current_period(&k)).await.unwrap(), (0, 0));
        assert_eq!(k.store.team_load("team-anguo-2", current_period(&k)).await.unwrap(), (1, 2));

        // The old team no longer looks after the contract.
        let old_team = k.terminate(&doctor, &wife.id, "moved away").await;
        assert!(matches!(old_team, Err(KernelError::Denied(_))), "{}", database.name);
        let history = k.history(&county_admin(PEI), "res-pei-001").await.unwrap();
        let kinds: Vec<&str> = history[0].events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["contract.signed", "contract.switched"]);
        assert_eq!(history[0].events[1].reason.as_deref(), Some("prefers Dr Wang"));
        assert_eq!(history[0].events[1].actor, "member-of-team-anguo-1");
        assert!(k.verify_event_log().await.unwrap().is_empty(), "{}", database.name);
    }
}

#[tokio::test]
async fn termination_needs_a_reason_frees_the_place_and_happens_once() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let k = kernel(&database, data.path(), &[]).await;
        let doctor = member(PEI, "team-anguo-1");
        let contract = k.sign(&doctor, sign("res-pei-002", "team-anguo-1", &["PEI-GW", "PEI-ET"])).await.unwrap();
        let no_reason = k.terminate(&doctor, &contract.id, "").await.unwrap_err();
        assert!(matches!(no_reason, KernelError::Lifecycle(LifecycleError::ReasonRequired)), "{no_reason}");

        let ended = k.terminate(&doctor, &contract.id, "family moved to Xuzhou").await.unwrap();
        assert_eq!(ended.status, ContractStatus::Terminated);
        assert_eq!(ended.end_reason.as_deref(), Some("family moved to Xuzhou"));
        assert!(ended.ended_on.is_some());
        let again = k.terminate(&doctor, &contract.id, "twice").await.unwrap_err();
        assert!(matches!(again, KernelError::Lifecycle(LifecycleError::NotActive { .. })), "{again}");
        assert_eq!(k.store.team_load("team-anguo-1", current_period(&k)).await.unwrap(), (0, 0), "{}", database.name);

        // The household has no doctor any more: the mother may choose another team,
        // and the child may sign again.
        k.sign(&member(PEI, "team-anguo-2"), sign("res-pei-003", "team-anguo-2", &["PEI-GW"])).await.unwrap();
        k.sign(&member(PEI, "team-anguo-2"), sign("res-pei-002", "team-anguo-2", &["PEI-GW"])).await.unwrap();
        assert!(k.verify_event_log().await.unwrap().is_empty(), "{}", database.name);
    }
}

#[tokio::test]
async fn an_objection_to_renewal_is_recorded_with_its_reason() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let k = kernel(&database, data.path(), &[]).await;
        let doctor = member(PEI, "team-anguo-1");
        let contract = k.sign(&doctor, sign("res-pei-006", "team-anguo-1", &["PEI-GW", "PEI-NZ"])).await.unwrap();
        assert_eq!(contract.renewable_lines().len(), 1, "only the basic package renews");
        let objected = k.object_to_renewal(&doctor, &contract.id, "will sign elsewhere next year").await.unwrap();
        assert!(objected.renewal_objected);
        assert!(objected.renewable_lines().is_empty());
        let denied = k.object_to_renewal(&member("320321", "team-huankou-1"), &contract.id, "x").await;
        assert!(matches!(denied, Err(KernelError::Denied(_))), "{}", database.name);
        assert!(k.verify_event_log().await.unwrap().is_empty());
    }
}

fn current_period(k: &qianyue::Kernel) -> qianyue::contracts::Period {
    qianyue::contracts::Period::containing(k.clock.today())
}

#[tokio::test]
async fn must_sign_residents_left_unsigned_are_listed_with_their_reasons() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let k = kernel(&database, data.path(), &[]).await;
        let period = current_period(&k);
        let admin = county_admin(PEI);
        let unsigned_ids = |page: &qianyue::kernel::UnsignedPage| -> Vec<String> {
            page.residents.iter().map(|u| u.resident_id.clone()).collect()
        };
        // 陈伟 (res-pei-005), 35 with no recorded tags, is not a must-sign resident.
        let all = k.unsigned(&admin, PEI, period, None, 500).await.unwrap();
        assert_eq!(unsigned_ids(&all), ["res-pei-001", "res-pei-002", "res-pei-003", "res-pei-004", "res-pei-006"]);
        let elder = all.residents.iter().find(|u| u.resident_id == "res-pei-001").unwrap();
        assert!(elder.groups.contains(&qianyue::residents::Tag::Elderly));

        // Paging two residents at a time walks the same list.
        let (mut paged, mut after) = (Vec::new(), None::<String>);
        loop {
            let page = k.unsigned(&admin, PEI, period, after.as_deref(), 2).await.unwrap();
            paged.extend(unsigned_ids(&page));
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(paged, unsigned_ids(&all), "{}", database.name);

        k.sign(&member(PEI, "team-anguo-1"), sign("res-pei-001", "team-anguo-1", &["PEI-GW"])).await.unwrap();
        let empty =
            k.record_unsigned_reason(&member(PEI, "team-anguo-1"), "res-pei-004", period, " ").await.unwrap_err();
        assert!(matches!(empty, KernelError::Lifecycle(LifecycleError::ReasonRequired)), "{empty}");
        let foreign = k.record_unsigned_reason(&county_admin("320321"), "res-pei-004", period, "x").await;
        assert!(matches!(foreign, Err(KernelError::Denied(_))));
        k.record_unsigned_reason(&member(PEI, "team-anguo-1"), "res-pei-004", period, "外出务工 (working in Suzhou)")
            .await
            .unwrap();

        let after_signing = k.unsigned(&admin, PEI, period, None, 500).await.unwrap();
        assert_eq!(unsigned_ids(&after_signing), ["res-pei-002", "res-pei-003", "res-pei-004", "res-pei-006"]);
        let away = after_signing.residents.iter().find(|u| u.resident_id == "res-pei-004").unwrap();
        let reason = away.reason.as_ref().unwrap();
        assert_eq!(reason.reason, "外出务工 (working in Suzhou)");
        assert_eq!(reason.recorded_by, "member-of-team-anguo-1");
        assert!(after_signing.residents.iter().filter(|u| u.resident_id != "res-pei-004").all(|u| u.reason.is_none()));
    }
}

#[tokio::test]
async fn a_community_signs_its_members_each_under_the_usual_rules() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let k = kernel(&database, data.path(), &[]).await;
        let home = qianyue::org::Community {
            id: String::new(),
            county_code: String::new(),
            kind: qianyue::org::CommunityKind::NursingHome,
            name: "安国镇敬老院".into(),
        };
        let home = k.register_community(&county_admin(PEI), PEI, home).await.unwrap();
        let doctor = member(PEI, "team-anguo-1");
        k.sign(&doctor, sign("res-pei-005", "team-anguo-1", &["PEI-GW"])).await.unwrap();

        let residents: Vec<String> =
            ["res-pei-001", "res-pei-004", "res-pei-006", "res-pei-005"].map(String::from).to_vec();
        let packages = vec!["PEI-GW".to_owned()];
        let signing = k.sign_group(&doctor, &home.id, "team-anguo-1", &packages, &residents).await.unwrap();
        let signed: Vec<&str> = signing.signed.iter().map(|c| c.resident_id.as_str()).collect();
        assert_eq!(signed, ["res-pei-001", "res-pei-004", "res-pei-006"], "{}", database.name);
        assert!(signing.signed.iter().all(|c| c.group_id.as_deref() == Some(signing.group.id.as_str())));
        assert_eq!(signing.refused.len(), 1);
        assert_eq!(signing.refused[0].resident_id, "res-pei-005");
        assert!(signing.refused[0].reason.contains("already has an active contract"), "{}", signing.refused[0].reason);

        // Another county's team may not sign for this community's members.
        let feng = member("320321", "team-huankou-1");
        let denied = k.sign_group(&feng, &home.id, "team-huankou-1", &packages, &residents).await;
        assert!(matches!(denied, Err(KernelError::Denied(_))), "{}", database.name);
        assert!(k.verify_event_log().await.unwrap().is_empty());
    }
}
