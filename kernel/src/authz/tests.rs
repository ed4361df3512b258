use super::*;

const PEI: &str = "320322";
const FENG: &str = "320321";

fn person(role: Role, county: Option<&str>, team: Option<&str>) -> Principal {
    Principal { subject: "someone".into(), role, county: county.map(Into::into), team: team.map(Into::into) }
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
    Resource::Contract { id: "c1", county, team, resident: "r1" }
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
    check(regional(), Action::ReadResident, Resource::Resident { id: "r1", county: FENG, team: None }, true);
    check(regional(), Action::ViewCatalogue, Resource::County { code: PEI }, true);
    check(regional(), Action::SignContract, contract(PEI, "t1"), false);
    check(regional(), Action::RegisterResident, Resource::County { code: PEI }, false);
}

#[test]
fn county_admins_stay_in_their_county() {
    check(county_admin(PEI), Action::ReadResident, Resource::Resident { id: "r1", county: PEI, team: None }, true);
    check(county_admin(PEI), Action::ReadResident, Resource::Resident { id: "r1", county: FENG, team: None }, false);
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
    check(member(PEI, "t1"), Action::ReadResident, Resource::Resident { id: "r1", county: FENG, team: None }, false);
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

#[test]
fn personal_data_is_for_the_county_and_the_residents_own_team() {
    let signed_with = |team| Resource::Resident { id: "r1", county: PEI, team: Some(team) };
    check(county_admin(PEI), Action::ReadPersonalData, Resource::Resident { id: "r1", county: PEI, team: None }, true);
    check(
        county_admin(FENG),
        Action::ReadPersonalData,
        Resource::Resident { id: "r1", county: PEI, team: None },
        false,
    );
    check(member(PEI, "t1"), Action::ReadPersonalData, signed_with("t1"), true);
    check(member(PEI, "t1"), Action::ReadPersonalData, signed_with("t2"), false);
    check(member(PEI, "t1"), Action::ReadPersonalData, Resource::Resident { id: "r1", county: PEI, team: None }, false);
    check(regional(), Action::ReadPersonalData, signed_with("t1"), false);
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
    check(officer.clone(), Action::PublishPolicies, Resource::Region, true);
    check(officer.clone(), Action::ReadPolicies, Resource::Region, true);
    check(officer.clone(), Action::ReadResident, Resource::Resident { id: "r1", county: PEI, team: None }, false);
    check(officer, Action::ReadCounty, Resource::County { code: PEI }, false);
    // Regional admins read the policies (a `read` action) but do not publish them.
    check(regional(), Action::ReadPolicies, Resource::Region, true);
    check(regional(), Action::PublishPolicies, Resource::Region, false);
    check(county_admin(PEI), Action::PublishPolicies, Resource::Region, false);
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
    assert!(policies.decide(&officer, Action::ReadPolicies, &Resource::Region).is_ok());
    files.remove("policy-officers.cedar");
    let narrower = policies.current().with_policies(files).unwrap();
    policies.replace(2, narrower);
    assert_eq!(policies.version(), 2);
    assert!(policies.decide(&officer, Action::ReadPolicies, &Resource::Region).is_err());
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
    for action in Action::ALL {
        assert_eq!(Action::from_name(action.name()), Some(action));
    }
    let schema = crate::bundled::POLICY_FILES.iter().find(|(n, _)| n.ends_with(".cedarschema")).unwrap().1;
    for action in Action::ALL {
        assert!(schema.contains(action.name()), "{} is not in the schema", action.name());
    }
}
