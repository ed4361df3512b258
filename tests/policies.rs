//! Policies as data: a policy officer's publish and rollback reach a second
//! kernel process on the same database without a restart; an invalid set, a
//! stale one and one that would lock its publisher out are refused, and the
//! set in force is untouched.

mod common;

use std::time::{Duration, Instant};

use common::{Server, request};
use serde_json::{Value, json};

/// Waits until `url` answers `status` for `token`, for at most 10 s (kernels
/// look for new policies every 2 s); the last status seen otherwise.
async fn status_becomes(url: &str, token: &str, status: u16) -> u16 {
    let started = Instant::now();
    loop {
        let seen = request("GET", url, Some(token), None).await.status;
        if seen == status || started.elapsed() > Duration::from_secs(10) {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_publish_and_a_rollback_reach_a_second_kernel_without_restart() {
    for database in common::databases().await {
        let data = tempfile::tempdir().unwrap();
        let first = Server::start(data.path(), &database, &["--demo"]);
        let second = Server::start(data.path(), &database, &[]);
        let officer = first.token(&["--role", "policy_officer"]);
        let admin = first.token(&["--role", "county_admin", "--county", "320322"]);
        let county_on = |server: &Server| format!("{}/v1/counties/320322", server.base);

        // The first start published the bundled set as version 1.
        let versions = request("GET", &format!("{}/v1/policies", second.base), Some(&officer), None).await;
        let versions = versions.ok(200).as_array().unwrap().clone();
        assert_eq!(versions.len(), 1, "{versions:#?}");
        assert_eq!(versions[0]["version"], 1);
        let bundled = versions[0]["files"].as_object().unwrap().clone();
        assert!(bundled.contains_key("county.cedar"));
        assert_eq!(request("GET", &county_on(&second), Some(&admin), None).await.status, 200);

        // An invalid set: Cedar's message, nothing stored, nothing changed.
        let mut invalid = bundled.clone();
        invalid.insert(
            "typo.cedar".into(),
            json!(
                r#"permit (principal is Qianyue::TeamMember, action == Qianyue::Action::"ReadCounty", resource) when { principal.agee > 3 };"#
            ),
        );
        let publish = |files: &serde_json::Map<String, Value>, based_on: i64, reason: &str| json!({ "files": files, "based_on": based_on, "reason": reason });
        let refused =
            request("POST", &format!("{}/v1/policies", first.base), Some(&officer), Some(publish(&invalid, 1, "typo")))
                .await;
        assert!(refused.problem(422, "policies-rejected").contains("attribute `agee`"), "{:#}", refused.body);
        let validated = request(
            "POST",
            &format!("{}/v1/policies/validate", first.base),
            Some(&officer),
            Some(json!({ "files": invalid })),
        )
        .await;
        assert!(validated.problem(422, "policies-rejected").contains("did you mean"));
        let versions = request("GET", &format!("{}/v1/policies", first.base), Some(&officer), None).await;
        assert_eq!(versions.ok(200).as_array().unwrap().len(), 1);
        assert_eq!(request("GET", &county_on(&first), Some(&admin), None).await.status, 200);

        // County admins lose their county's reads on the first kernel; the second follows.
        let mut narrower = bundled.clone();
        narrower.remove("county.cedar");
        let published = request(
            "POST",
            &format!("{}/v1/policies", first.base),
            Some(&officer),
            Some(publish(&narrower, 1, "county admins read through the region for now")),
        )
        .await;
        assert_eq!(published.ok(201)["version"], 2);
        assert_eq!(request("GET", &county_on(&first), Some(&admin), None).await.status, 403);
        assert_eq!(status_becomes(&county_on(&second), &admin, 403).await, 403, "{}", database.name);

        // An officer who edited version 1 is told to start from version 2.
        let stale =
            request("POST", &format!("{}/v1/policies", second.base), Some(&officer), Some(publish(&bundled, 1, "x")))
                .await;
        assert!(stale.problem(409, "policies-superseded").contains("start again from version 2"));

        // A set without the officers' own right to publish would lock the region out.
        let mut lockout = bundled.clone();
        lockout.remove("policy-officers.cedar");
        let locked =
            request("POST", &format!("{}/v1/policies", second.base), Some(&officer), Some(publish(&lockout, 2, "x")))
                .await;
        assert!(locked.problem(422, "policies-rejected").contains("right to publish"));
        // Nor may a county admin publish anything.
        let forbidden =
            request("POST", &format!("{}/v1/policies", second.base), Some(&admin), Some(publish(&bundled, 2, "x")))
                .await;
        forbidden.problem(403, "forbidden");

        // Rolled back on the second kernel; the first follows.
        let rollback = request(
            "POST",
            &format!("{}/v1/policies/rollback", second.base),
            Some(&officer),
            Some(json!({ "to_version": 1, "reason": "the county bureaus need their reads" })),
        )
        .await;
        let rollback = rollback.ok(201);
        assert_eq!((rollback["version"].as_i64(), rollback["restores"].as_i64()), (Some(3), Some(1)));
        assert_eq!(request("GET", &county_on(&second), Some(&admin), None).await.status, 200);
        assert_eq!(status_becomes(&county_on(&first), &admin, 200).await, 200, "{}", database.name);
        let history = request("GET", &format!("{}/v1/policies/2", first.base), Some(&officer), None).await;
        assert_eq!(history.ok(200)["reason"], "county admins read through the region for now");
    }
}

#[tokio::test]
async fn the_audit_log_says_who_read_a_resident_and_what_changed_on_a_day() {
    let database = common::databases().await.remove(0);
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &database, &["--demo"]);
    let officer = server.token(&["--role", "policy_officer", "--subject", "officer-zhou"]);
    let bureau = server.token(&["--role", "county_admin", "--county", "320322", "--subject", "pei-bureau"]);
    let feng = server.token(&["--role", "county_admin", "--county", "320321", "--subject", "feng-admin"]);
    let resident = format!("{}/v1/residents/res-pei-001", server.base);

    // The resident's county bureau reads the record, the citizen ID unmasked; another county is refused.
    let read = request("GET", &resident, Some(&bureau), None).await;
    let citizen_id = read.ok(200)["citizen_id"].as_str().unwrap().to_owned();
    assert!(!citizen_id.contains('*'), "the county bureau sees it unmasked: {citizen_id}");
    request("GET", &resident, Some(&feng), None).await.problem(403, "forbidden");

    // A policy change today.
    let versions = request("GET", &format!("{}/v1/policies", server.base), Some(&officer), None).await;
    let files = versions.ok(200)[0]["files"].clone();
    let published = request(
        "POST",
        &format!("{}/v1/policies", server.base),
        Some(&officer),
        Some(json!({ "files": files, "based_on": 1, "reason": "republished unchanged, for the audit test" })),
    )
    .await;
    published.ok(201);

    let audit = request("GET", &format!("{}/v1/audit/residents/res-pei-001", server.base), Some(&officer), None).await;
    let entries = audit.ok(200).as_array().unwrap().clone();
    let by = |who: &str, action: &str| {
        entries.iter().find(|e| e["principal"] == who && e["action"] == action).cloned().unwrap_or(Value::Null)
    };
    let bureau_read = by("pei-bureau", "ReadResident");
    assert_eq!(bureau_read["allowed"], true, "{entries:#?}");
    assert_eq!(bureau_read["resource"], "Resident::res-pei-001");
    assert_eq!(
        bureau_read["policies"],
        json!(["county.cedar#county-admin-reads-own-county"]),
        "the permitting policy is named"
    );
    assert_eq!(by("pei-bureau", "ReadCitizenId")["allowed"], true, "unmasking is a decision of its own");
    assert_eq!(by("pei-bureau", "ReadAddress")["allowed"], true, "each field is decided on its own");
    let refused = by("feng-admin", "ReadResident");
    assert_eq!((refused["allowed"].as_bool(), refused["county"].as_str()), (Some(false), Some("320322")));
    assert!(!audit.body.to_string().contains(&citizen_id), "the log records no citizen ID");

    // The region's day (China's), which `on` means.
    let today = qianyue::kernel::Clock::System.today();
    let changes = request("GET", &format!("{}/v1/audit/changes?on={today}", server.base), Some(&officer), None).await;
    let changes = changes.ok(200).as_array().unwrap().clone();
    let publication = changes.iter().find(|e| e["kind"] == "policy.published" && e["actor"] == "officer-zhou");
    assert_eq!(publication.unwrap()["reason"], "republished unchanged, for the audit test");
    let yesterday = today.previous_day().unwrap();
    let none = request("GET", &format!("{}/v1/audit/changes?on={yesterday}", server.base), Some(&officer), None).await;
    assert_eq!(none.ok(200).as_array().unwrap().len(), 0);

    // Before a change takes effect: which of these real decisions would it flip?
    let mut narrower = files.as_object().unwrap().clone();
    narrower.remove("county.cedar");
    let report = request(
        "POST",
        &format!("{}/v1/policies/flips", server.base),
        Some(&officer),
        Some(json!({ "files": narrower })),
    )
    .await;
    let report = report.ok(200);
    assert!(report["checked"].as_u64().unwrap() >= 3, "{report:#}");
    let flips = report["flips"].as_array().unwrap();
    let flipped = |action: &str| {
        flips.iter().any(|f| f["decision"]["principal"] == "pei-bureau" && f["decision"]["action"] == action)
    };
    assert!(flipped("ReadResident") && flipped("ReadCitizenId") && flipped("ReadPhone"), "{report:#}");
    assert!(flips.iter().all(|f| f["decision"]["allowed"] == true), "only the bureau's reads change: {report:#}");
    assert!(!flips.iter().any(|f| f["decision"]["principal"] == "feng-admin"), "a refusal stays a refusal");

    // A county audits its own residents only; what changed region-wide is the region's.
    request("GET", &format!("{}/v1/audit/residents/res-pei-001", server.base), Some(&feng), None)
        .await
        .problem(403, "forbidden");
    request("GET", &format!("{}/v1/audit/residents/res-pei-001", server.base), Some(&bureau), None).await.ok(200);
    request("GET", &format!("{}/v1/audit/changes?on={today}", server.base), Some(&bureau), None)
        .await
        .problem(403, "forbidden");
}

/// Each role sees the personal data its policies grant, field by field, and
/// a plugin is called only while the policies let it be told the facts its
/// interface carries.
#[tokio::test]
async fn each_role_sees_the_fields_granted_and_plugins_the_facts_granted() {
    let database = common::databases().await.remove(0);
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &database, &["--demo"]);
    let token = |args: &[&str]| server.token(args);
    let officer = token(&["--role", "policy_officer"]);
    let bureau = token(&["--role", "county_admin", "--county", "320322"]);
    let inspector = token(&["--role", "inspector", "--county", "320322"]);
    let village_doctor = token(&["--role", "village_doctor", "--county", "320322", "--team", "team-anguo-1"]);
    let doctor =
        token(&["--role", "team_member", "--county", "320322", "--team", "team-anguo-1", "--duty", "gp_leader"]);
    let specialist =
        token(&["--role", "team_member", "--county", "320322", "--team", "team-anguo-1", "--duty", "specialist"]);
    let myself = token(&["--role", "resident", "--county", "320322", "--subject", "res-pei-003"]);
    let resident = |id: &str| format!("{}/v1/residents/{id}", server.base);
    let sign = |id: &str| json!({ "resident_id": id, "team_id": "team-anguo-1", "packages": ["PEI-GW"] });
    let contracts = format!("{}/v1/contracts", server.base);

    let full = request("GET", &resident("res-pei-003"), Some(&bureau), None).await.ok(200).clone();
    assert_eq!(full["unmasked"], json!(["citizen_id", "phone", "address"]));
    let address = full["address"].as_str().unwrap().to_owned();
    assert!(address.chars().count() > 6, "the demo household has a full address: {address}");

    // The inspector phones residents: the phone in full, nothing else.
    let seen = request("GET", &resident("res-pei-003"), Some(&inspector), None).await.ok(200).clone();
    assert_eq!(seen["unmasked"], json!(["phone"]));
    assert!(seen["citizen_id"].as_str().unwrap().contains('*'));
    assert_ne!(seen["address"], address.as_str(), "the address is masked");
    assert!(seen["address"].as_str().unwrap().ends_with("**"));

    // A resident sees themself in full and no one else.
    let me = request("GET", &resident("res-pei-003"), Some(&myself), None).await.ok(200).clone();
    assert_eq!((me["unmasked"].clone(), me["address"].clone()), (full["unmasked"].clone(), json!(address)));
    request("GET", &resident("res-pei-004"), Some(&myself), None).await.problem(403, "forbidden");

    // A specialist does not sign; the team's GP does, and then the village
    // doctor of the team sees the phone and address, not the citizen ID.
    assert_eq!(
        request("GET", &resident("res-pei-003"), Some(&village_doctor), None).await.ok(200)["unmasked"],
        json!([])
    );
    request("POST", &contracts, Some(&specialist), Some(sign("res-pei-003"))).await.problem(403, "forbidden");
    request("POST", &contracts, Some(&doctor), Some(sign("res-pei-003"))).await.ok(201);
    let seen = request("GET", &resident("res-pei-003"), Some(&village_doctor), None).await.ok(200).clone();
    assert_eq!(seen["unmasked"], json!(["phone", "address"]));

    // Withhold the population tags from Pei's plugin: signing there stops,
    // naming the fact, and nothing is written; granting it again restores it.
    let versions = request("GET", &format!("{}/v1/policies", server.base), Some(&officer), None).await;
    let mut files = versions.ok(200)[0]["files"].as_object().unwrap().clone();
    let plugins = files["plugins.cedar"].as_str().unwrap().replace(",\n    Qianyue::Action::\"DiscloseTags\"", "");
    assert!(!plugins.contains("DiscloseTags"), "{plugins}");
    files.insert("plugins.cedar".into(), json!(plugins));
    let publish =
        json!({ "files": files, "based_on": 1, "reason": "tags withheld while the county reviews its plugin" });
    request("POST", &format!("{}/v1/policies", server.base), Some(&officer), Some(publish)).await.ok(201);
    let withheld = request("POST", &contracts, Some(&doctor), Some(sign("res-pei-004"))).await;
    assert!(withheld.problem(403, "withheld-from-plugin").contains("population tags"), "{:#}", withheld.body);
    assert_eq!(withheld.body["type"].as_str().unwrap().rsplit('/').next(), Some("withheld-from-plugin"));
    let history = format!("{}/v1/residents/res-pei-004/contracts", server.base);
    assert_eq!(request("GET", &history, Some(&bureau), None).await.ok(200), &json!([]));
    let rollback = json!({ "to_version": 1, "reason": "the plugin was reviewed" });
    request("POST", &format!("{}/v1/policies/rollback", server.base), Some(&officer), Some(rollback)).await.ok(201);
    request("POST", &contracts, Some(&doctor), Some(sign("res-pei-004"))).await.ok(201);
}
