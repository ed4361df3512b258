use super::*;
use crate::org::MemberRole;

const PEI: &str = "320322";
const FENG: &str = "320321";

fn person(role: Role, county: Option<&str>, team: Option<&str>) -> Principal {
    Principal {
        subject: "someone".into(),
        role,
        county: county.map(Into::into),
        team: team.map(Into::into),
        duty: None,
        institution: None,
    }
}

fn regional() -> Principal {
    person(Role::RegionalAdmin, None, None)
}
fn county_admin(county: &str) -> Principal {
    person(Role::CountyAdmin, Some(county), None)
}
fn member(county: &str, team: &str) -> Principal {
    person(Role::TeamMember, Some(county), Some(team))
}

fn contract<'a>(county: &'a str, team: &'a str) -> Resource<'a> {
    Resource::Contract { id: "c1", county, team, institution: Some("inst-1"), resident: "r1" }
}

/// One decision against the bundled policies.
#[track_caller]
fn check(principal: Principal, action: Action, resource: Resource<'_>, allowed: bool) {
    let authorizer = Authorizer::bundled().expect("bundled policies are valid");
    let decision = authorizer.decide(&principal, action, &resource);
    assert_eq!(decision.is_ok(), allowed, "{principal:?} {action:?} {resource:?}: {decision:?}");
}

#[test]
fn regional_admins_read_every_county_but_do_not_sign() {
    check(
        regional(),
        Action::ReadResident,
        Resource::Resident { id: "r1", county: FENG, household: None, team: None },
        true,
    );
    check(regional(), Action::ViewCatalogue, Resource::County { code: PEI }, true);
    check(regional(), Action::SignContract, contract(PEI, "t1"), false);
    check(regional(), Action::RegisterResident, Resource::County { code: PEI }, false);
}

#[test]
fn county_admins_stay_in_their_county() {
    check(
        county_admin(PEI),
        Action::ReadResident,
        Resource::Resident { id: "r1", county: PEI, household: None, team: None },
        true,
    );
    check(
        county_admin(PEI),
        Action::ReadResident,
        Resource::Resident { id: "r1", county: FENG, household: None, team: None },
        false,
    );
    check(county_admin(PEI), Action::ListResidents, Resource::County { code: FENG }, false);
    check(county_admin(PEI), Action::RegisterResident, Resource::County { code: PEI }, true);
    check(county_admin(PEI), Action::RegisterResident, Resource::County { code: FENG }, false);
    check(county_admin(PEI), Action::ReadContract, contract(PEI, "t1"), true);
    check(county_admin(PEI), Action::ReadContract, contract(FENG, "t9"), false);
}

#[test]
fn team_members_sign_only_for_their_own_team() {
    check(member(PEI, "t1"), Action::SignContract, contract(PEI, "t1"), true);
    check(member(PEI, "t1"), Action::SignContract, contract(PEI, "t2"), false);
    check(member(PEI, "t1"), Action::ReadContract, contract(PEI, "t1"), true);
    check(member(PEI, "t1"), Action::ReadContract, contract(PEI, "t2"), false);
}

#[test]
fn team_members_never_sign_across_counties() {
    // Even for their own team's id, a resident of another county is refused.
    check(member(PEI, "t1"), Action::SignContract, contract(FENG, "t1"), false);
    check(
        member(PEI, "t1"),
        Action::ReadResident,
        Resource::Resident { id: "r1", county: FENG, household: None, team: None },
        false,
    );
}

#[test]
fn a_principal_missing_its_county_is_denied() {
    check(person(Role::CountyAdmin, None, None), Action::ReadCounty, Resource::County { code: PEI }, false);
    check(person(Role::TeamMember, Some(PEI), None), Action::ReadCounty, Resource::County { code: PEI }, false);
}

fn bundled_with(file: &str, text: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> =
        crate::bundled::POLICY_FILES.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect();
    files.push((file.to_owned(), text.to_owned()));
    files
}

#[test]
fn an_invalid_policy_is_refused_with_its_name_and_cedars_message() {
    let bad = r#"@id("typo") permit (principal is Qianyue::CountyAdmin, action, resource) when { resource in principal.contry };"#;
    let error = Authorizer::from_files(bundled_with("bad.cedar", bad)).unwrap_err().to_string();
    assert!(error.contains("bad.cedar#typo"), "{error}");
    assert!(error.contains("contry"), "{error}");
}

#[test]
fn a_policy_that_does_not_parse_names_its_file() {
    let error = Authorizer::from_files(bundled_with("broken.cedar", "permit (principal,")).unwrap_err().to_string();
    assert!(error.starts_with("`broken.cedar` cannot be parsed"), "{error}");
}

#[test]
fn two_policies_with_one_id_are_refused() {
    let text = r#"@id("x") permit (principal is Qianyue::RegionalAdmin, action == Qianyue::Action::"ReadCounty", resource);
@id("x") permit (principal is Qianyue::RegionalAdmin, action == Qianyue::Action::"ReadCounty", resource);"#;
    let error = Authorizer::from_files(bundled_with("twice.cedar", text)).unwrap_err();
    assert!(matches!(error, PolicyError::DuplicateId(ref id) if id == "twice.cedar#x"), "{error}");
}

#[test]
fn the_schema_is_required() {
    let files = vec![("a.cedar".to_owned(), String::new())];
    assert!(matches!(Authorizer::from_files(files), Err(PolicyError::NoSchema)));
}

#[test]
fn the_policy_folder_on_disk_matches_the_bundled_set() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let from_disk = Authorizer::from_dir(&dir).unwrap();
    assert_eq!(from_disk.policy_count(), Authorizer::bundled().unwrap().policy_count());
}

fn resident(county: &'static str, team: Option<&'static str>) -> Resource<'static> {
    Resource::Resident { id: "r1", county, household: Some("h1"), team }
}

#[test]
fn personal_data_is_for_the_county_and_the_residents_own_team() {
    for field in [Action::ReadCitizenId, Action::ReadPhone, Action::ReadAddress] {
        check(county_admin(PEI), field, resident(PEI, None), true);
        check(county_admin(FENG), field, resident(PEI, None), false);
        check(member(PEI, "t1"), field, resident(PEI, Some("t1")), true);
        check(member(PEI, "t1"), field, resident(PEI, Some("t2")), false);
        check(member(PEI, "t1"), field, resident(PEI, None), false);
        check(regional(), field, resident(PEI, Some("t1")), false);
    }
}

#[test]
fn each_field_of_personal_data_is_granted_on_its_own() {
    let village_doctor = person(Role::VillageDoctor, Some(PEI), Some("t1"));
    check(village_doctor.clone(), Action::ReadPhone, resident(PEI, Some("t1")), true);
    check(village_doctor.clone(), Action::ReadAddress, resident(PEI, Some("t1")), true);
    check(village_doctor, Action::ReadCitizenId, resident(PEI, Some("t1")), false);
    let inspector = person(Role::Inspector, Some(PEI), None);
    check(inspector.clone(), Action::ReadPhone, resident(PEI, Some("t1")), true);
    check(inspector.clone(), Action::ReadCitizenId, resident(PEI, Some("t1")), false);
    check(inspector.clone(), Action::ReadAddress, resident(PEI, Some("t1")), false);
    check(inspector, Action::ReadPhone, resident(FENG, Some("t1")), false);
    let insurance = person(Role::InsuranceOfficer, Some(PEI), None);
    check(insurance.clone(), Action::ReadCitizenId, resident(PEI, None), true);
    check(insurance, Action::ReadPhone, resident(PEI, None), false);
}

#[test]
fn residents_see_themselves_and_no_one_else() {
    let me = Principal { subject: "r1".into(), ..person(Role::Resident, Some(PEI), None) };
    let someone_else = Principal { subject: "r2".into(), ..me.clone() };
    check(me.clone(), Action::ReadResident, resident(PEI, Some("t1")), true);
    check(me.clone(), Action::ReadCitizenId, resident(PEI, Some("t1")), true);
    check(someone_else.clone(), Action::ReadResident, resident(PEI, Some("t1")), false);
    check(someone_else.clone(), Action::ReadPhone, resident(PEI, Some("t1")), false);
    check(me.clone(), Action::ReadContract, contract(PEI, "t1"), true);
    check(me.clone(), Action::ObjectToRenewal, contract(PEI, "t1"), true);
    check(me.clone(), Action::TerminateContract, contract(PEI, "t1"), false);
    check(someone_else, Action::ReadContract, contract(PEI, "t1"), false);
    check(me, Action::ListResidents, Resource::County { code: PEI }, false);
}

#[test]
fn specialists_support_a_team_but_do_not_sign_for_it() {
    let specialist = Principal { duty: Some(MemberRole::Specialist), ..member(PEI, "t1") };
    let doctor = Principal { duty: Some(MemberRole::GpLeader), ..member(PEI, "t1") };
    check(specialist.clone(), Action::SignContract, contract(PEI, "t1"), false);
    check(specialist.clone(), Action::ReadContract, contract(PEI, "t1"), true);
    check(specialist, Action::ReadCitizenId, resident(PEI, Some("t1")), true);
    check(doctor, Action::SignContract, contract(PEI, "t1"), true);
}

#[test]
fn plugins_are_told_age_sex_and_tags_of_their_own_county_only() {
    let authorizer = Authorizer::bundled().unwrap();
    let told = [Action::DiscloseAge, Action::DiscloseSex, Action::DiscloseTags];
    assert_eq!(authorizer.withheld_from_plugin(PEI, &told), None);
    assert_eq!(authorizer.withheld_from_plugin(PEI, &[Action::DiscloseName]), Some(Action::DiscloseName));
    assert_eq!(authorizer.withheld_from_plugin(PEI, &[Action::DiscloseCitizenId]), Some(Action::DiscloseCitizenId));
    check(Principal::plugin(PEI), Action::DiscloseAge, Resource::County { code: FENG }, false);
    // A grant of the citizen ID to one county's plugin reaches that plugin only.
    let grant = r#"@id("grant") permit (principal == Qianyue::Plugin::"320322", action == Qianyue::Action::"DiscloseCitizenId", resource);"#;
    let granted = Authorizer::from_files(bundled_with("grant.cedar", grant)).unwrap();
    assert_eq!(granted.withheld_from_plugin(PEI, &[Action::DiscloseCitizenId]), None);
    assert_eq!(granted.withheld_from_plugin(FENG, &[Action::DiscloseCitizenId]), Some(Action::DiscloseCitizenId));
    let (decision, _) =
        granted.decide_why(&Principal::plugin(PEI), Action::DiscloseCitizenId, &Resource::County { code: FENG });
    assert!(decision.is_err(), "the forbid keeps a grant inside the plugin's county");
}

#[test]
fn plugins_are_managed_by_their_own_county_and_limited_by_the_region() {
    let pei_plugin = Resource::Plugin { county: PEI };
    for action in [Action::UploadPlugin, Action::ShadowPlugin, Action::ActivatePlugin, Action::RollBackPlugin] {
        check(county_admin(PEI), action, pei_plugin.clone(), true);
        check(county_admin(FENG), action, pei_plugin.clone(), false);
        check(regional(), action, pei_plugin.clone(), true);
        check(member(PEI, "t1"), action, pei_plugin.clone(), false);
    }
    check(county_admin(PEI), Action::SetPluginLimits, pei_plugin.clone(), false);
    check(regional(), Action::SetPluginLimits, pei_plugin.clone(), true);
    check(county_admin(PEI), Action::ListPlugins, pei_plugin.clone(), true);
    check(county_admin(FENG), Action::ListPlugins, pei_plugin, false);
}

#[test]
fn a_policy_can_name_an_institution_above_a_team() {
    let text = r#"@id("hospital") permit (principal is Qianyue::CountyAdmin, action == Qianyue::Action::"ReadContract", resource) when { resource in Qianyue::Institution::"inst-1" };"#;
    let set = Authorizer::from_files(bundled_with("hospital.cedar", text)).unwrap();
    let at = |institution| Resource::Contract { id: "c1", county: PEI, team: "t1", institution, resident: "r1" };
    assert!(set.decide(&county_admin(FENG), Action::ReadContract, &at(Some("inst-1"))).is_ok());
    assert!(set.decide(&county_admin(FENG), Action::ReadContract, &at(Some("inst-2"))).is_err());
    assert!(set.decide(&county_admin(FENG), Action::ReadContract, &at(None)).is_err(), "unknown: no");
}

/// Cedar's decision over the whole set, with the schema checking the
/// request and its entities: what `Authorizer::evaluate` must equal.
fn evaluate_checked(
    authorizer: &Authorizer,
    principal: &Principal,
    action: Action,
    resource: &Resource<'_>,
) -> Option<Decision> {
    let mut entities = Vec::new();
    let (principal_uid, resource_uid) = request_entities(principal, resource, &mut entities)?;
    let entities = Entities::from_entities(entities, Some(&authorizer.schema)).ok()?;
    let action = uid("Qianyue::Action", action.name())?;
    let request = Request::new(principal_uid, action, resource_uid, Context::empty(), Some(&authorizer.schema)).ok()?;
    Some(authorizer.cedar.is_authorized(&request, &authorizer.policies, &entities).decision())
}

/// The plans are an optimisation only: every decision equals Cedar's over
/// the whole set with the schema checking each request and its entities,
/// for every action and a spread of principals and resources.
#[test]
fn deciding_per_action_equals_deciding_with_every_policy() {
    let authorizer = Authorizer::bundled().unwrap();
    let principals = [
        regional(),
        county_admin(PEI),
        member(PEI, "t1"),
        Principal { duty: Some(MemberRole::Specialist), ..member(PEI, "t1") },
        person(Role::VillageDoctor, Some(PEI), Some("t2")),
        person(Role::Inspector, Some(FENG), None),
        person(Role::InsuranceOfficer, Some(PEI), None),
        person(Role::Finance, Some(PEI), None),
        Principal { subject: "r1".into(), ..person(Role::Resident, Some(PEI), None) },
        person(Role::PolicyOfficer, None, None),
        Principal::plugin(PEI),
        Principal { institution: Some("hospital".into()), ..person(Role::HospitalStaff, Some(PEI), None) },
    ];
    let referral = |direction, team, sender, receiver| Resource::Referral {
        id: "f1",
        county: PEI,
        team,
        institution: "inst-1",
        resident: "r1",
        direction,
        sender,
        receiver,
    };
    let resources = [
        Resource::Region,
        Resource::County { code: PEI },
        Resource::County { code: FENG },
        resident(PEI, Some("t1")),
        resident(FENG, None),
        contract(PEI, "t1"),
        contract(PEI, "t2"),
        contract(FENG, "t1"),
        Resource::Plugin { county: PEI },
        Resource::PolicySet,
        Resource::Team { id: "t1", county: PEI, institution: "inst-1" },
        Resource::Team { id: "t2", county: FENG, institution: "inst-2" },
        Resource::ServiceRecord {
            id: "s1",
            contract: "c1",
            county: PEI,
            team: "t1",
            institution: Some("inst-1"),
            resident: "r1",
        },
        Resource::Claim { id: "k1", resident: "r1", county: PEI, household: Some("h1"), team: Some("t1") },
        Resource::Claim { id: "k2", resident: "r2", county: FENG, household: None, team: None },
        Resource::Settlement { county: PEI, period: 2025 },
        Resource::Institution { id: "hospital", county: PEI },
        Resource::Institution { id: "hospital", county: FENG },
        referral(Direction::Up, "t1", "inst-1", "hospital"),
        referral(Direction::Down, "t1", "hospital", "inst-1"),
        referral(Direction::Up, "t2", "inst-2", "other-hospital"),
    ];
    let mut allowed = 0;
    for principal in &principals {
        for &action in Action::ALL {
            for resource in &resources {
                let fast = authorizer.evaluate(principal, action, resource).map_or(Decision::Deny, |(d, _)| d);
                let checked = evaluate_checked(&authorizer, principal, action, resource).unwrap_or(Decision::Deny);
                assert_eq!(fast, checked, "{principal:?} {action:?} {resource:?}");
                allowed += usize::from(fast == Decision::Allow);
            }
        }
    }
    assert!(allowed > 50, "the spread reaches the permits too ({allowed} allowed)");
}

#[test]
fn lifecycle_changes_belong_to_the_contracts_team_and_county() {
    for action in [Action::SwitchTeam, Action::TerminateContract, Action::ObjectToRenewal] {
        check(member(PEI, "t1"), action, contract(PEI, "t1"), true);
        check(member(PEI, "t1"), action, contract(PEI, "t2"), false);
        check(member(PEI, "t1"), action, contract(FENG, "t1"), false);
        check(county_admin(PEI), action, contract(PEI, "t2"), true);
        check(county_admin(FENG), action, contract(PEI, "t2"), false);
        check(regional(), action, contract(PEI, "t1"), false);
    }
}

#[test]
fn policy_officers_publish_policies_and_see_no_resident() {
    let officer = person(Role::PolicyOfficer, None, None);
    for action in [
        Action::ReadPolicies,
        Action::ValidatePolicies,
        Action::TestPolicies,
        Action::ReviewPolicyFlips,
        Action::PublishPolicies,
        Action::RollBackPolicies,
    ] {
        check(officer.clone(), action, Resource::PolicySet, true);
    }
    check(officer.clone(), Action::AuditChanges, Resource::Region, true);
    check(officer.clone(), Action::AuditResident, resident(PEI, None), true);
    check(
        officer.clone(),
        Action::ReadResident,
        Resource::Resident { id: "r1", county: PEI, household: None, team: None },
        false,
    );
    check(officer, Action::ReadCounty, Resource::County { code: PEI }, false);
    // Regional admins read the policies (a `read` action) but do not publish them.
    check(regional(), Action::ReadPolicies, Resource::PolicySet, true);
    check(regional(), Action::PublishPolicies, Resource::PolicySet, false);
    check(county_admin(PEI), Action::PublishPolicies, Resource::PolicySet, false);
    // A county audits its own residents; what changed region-wide is the region's.
    check(county_admin(PEI), Action::AuditResident, resident(PEI, None), true);
    check(county_admin(PEI), Action::AuditResident, resident(FENG, None), false);
    check(county_admin(PEI), Action::AuditChanges, Resource::Region, false);
}

#[test]
fn another_set_keeps_the_schema_and_a_set_in_force_is_replaced_whole() {
    let bundled = Authorizer::bundled().unwrap();
    let mut files = bundled.files().clone();
    assert!(files.keys().all(|name| name.ends_with(".cedar")), "the schema is not one of the editable files");
    let schema = Authorizer::with_policies(&bundled, BTreeMap::from([("x.cedarschema".into(), String::new())]));
    assert!(matches!(schema, Err(PolicyError::Parse { .. })), "{schema:?}");

    let policies = Policies::new(bundled);
    let officer = person(Role::PolicyOfficer, None, None);
    assert!(policies.decide(&officer, Action::ReadPolicies, &Resource::PolicySet).is_ok());
    files.remove("policy-officers.cedar");
    let narrower = policies.current().with_policies(files).unwrap();
    policies.replace(2, narrower);
    assert_eq!(policies.version(), 2);
    assert!(policies.decide(&officer, Action::ReadPolicies, &Resource::PolicySet).is_err());
}

#[test]
fn the_shipped_policy_cases_pass_against_the_bundled_set() {
    let files: Vec<(String, String)> =
        crate::bundled::POLICY_CASES.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect();
    let outcomes = cases::run(&Authorizer::bundled().unwrap(), &files).unwrap();
    assert!(outcomes.len() >= 40, "only {} shipped policy cases", outcomes.len());
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed()).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    let allowed = outcomes.iter().filter(|o| o.expected == cases::Expected::Allow).count();
    assert!(allowed > 10 && outcomes.len() - allowed > 10, "the suite checks both allows and denials");
}

#[test]
fn a_changed_policy_fails_the_cases_that_relied_on_it() {
    let bundled = Authorizer::bundled().unwrap();
    let mut files = bundled.files().clone();
    files.remove("county.cedar");
    let narrower = bundled.with_policies(files).unwrap();
    let suite: Vec<(String, String)> =
        crate::bundled::POLICY_CASES.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect();
    let failed: Vec<_> = cases::run(&narrower, &suite).unwrap().into_iter().filter(|o| !o.passed()).collect();
    assert!(!failed.is_empty());
    assert!(failed.iter().all(|o| o.expected == cases::Expected::Allow && o.actual == cases::Expected::Deny));
    let bad = cases::run(&bundled, &[("x.json".into(), r#"{"cases": [{"name": "n", "principal": {"role": "team_member"}, "action": "Fly", "resource": {"region": {}}, "decision": "deny"}]}"#.into())]);
    assert!(matches!(bad, Err(cases::CaseError::UnknownAction { .. })), "{bad:?}");
}

#[test]
fn every_action_is_named_once_and_found_by_its_name() {
    for &action in Action::ALL {
        assert_eq!(Action::from_name(action.name()), Some(action));
    }
    let schema = crate::bundled::POLICY_FILES.iter().find(|(n, _)| n.ends_with(".cedarschema")).unwrap().1;
    for action in Action::ALL {
        assert!(schema.contains(action.name()), "{} is not in the schema", action.name());
    }
}

#[test]
fn a_missing_thing_placed_nowhere_is_refused_to_all_but_the_region() {
    let nowhere = || Resource::Team { id: "t-x", county: NOWHERE, institution: NOWHERE };
    let hospital = Principal { institution: Some("hospital".into()), ..person(Role::HospitalStaff, Some(PEI), None) };
    check(regional(), Action::ListReferrals, nowhere(), true);
    for principal in [county_admin(PEI), member(PEI, "t1"), hospital.clone()] {
        check(principal.clone(), Action::ListReferrals, nowhere(), false);
        check(
            principal.clone(),
            Action::ListReferrals,
            Resource::Team { id: "t1", county: PEI, institution: "i1" },
            true,
        );
        check(principal, Action::ListReferrals, Resource::Team { id: "t2", county: FENG, institution: "i2" }, false);
    }
    check(hospital, Action::ListReferrals, Resource::Institution { id: "hospital", county: PEI }, true);
    check(county_admin(PEI), Action::ListReferrals, Resource::Institution { id: "x", county: NOWHERE }, false);
    let nowhere = Resource::Resident { id: "r-x", county: NOWHERE, household: None, team: None };
    check(county_admin(PEI), Action::ReadResident, nowhere.clone(), false);
    check(regional(), Action::ReadResident, nowhere, true);
}
