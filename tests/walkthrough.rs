//! The README's walkthrough against the real binary, on SQLite and (when
//! `QIANYUE_TEST_DATABASE_URL` is set) PostgreSQL: issue tokens, list
//! packages, sign, read the priced contract, and see every refusal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{Server, databases, qianyue, request};
use serde_json::{Value, json};

#[tokio::test]
async fn the_readme_walkthrough_works_on_every_database() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let server = Server::start(data.path(), &database, &["--demo"]);
        walkthrough(&server).await;
        drop(server);

        // Everything signed survives a restart, and the demo is not loaded twice.
        let again = Server::start(data.path(), &database, &["--demo"]);
        let admin = again.token(&["--role", "county_admin", "--county", "320322"]);
        let history =
            request("GET", &format!("{}/v1/residents/res-pei-002/contracts", again.base), Some(&admin), None).await;
        assert_eq!(history.ok(200).as_array().unwrap().len(), 1, "{}", database.name);
        let residents =
            request("GET", &format!("{}/v1/counties/320322/residents", again.base), Some(&admin), None).await;
        assert_eq!(
            residents.ok(200).as_array().unwrap().len(),
            7,
            "{}: 6 demo residents + 1 registered",
            database.name
        );
    }
}

async fn walkthrough(server: &Server) {
    let url = |path: &str| format!("{}{path}", server.base);
    let doctor = server.token(&[
        "--role",
        "team_member",
        "--county",
        "320322",
        "--team",
        "team-anguo-1",
        "--subject",
        "doctor-li",
    ]);
    let pei_admin = server.token(&["--role", "county_admin", "--county", "320322"]);
    let feng_admin = server.token(&["--role", "county_admin", "--county", "320321"]);

    assert_eq!(request("GET", &url("/healthz"), None, None).await.ok(200)["status"], "ok");

    // The catalogue comes from the Pei plugin.
    let catalogue = request("GET", &url("/v1/counties/320322/packages"), Some(&doctor), None).await;
    let catalogue = catalogue.ok(200).clone();
    assert_eq!(catalogue["plugin"]["county_code"], "320322");
    assert_eq!(catalogue["packages"].as_array().unwrap().len(), 8);

    // Sign the kindergarten child with the basic, child-care and checkup packages.
    let signed = request(
        "POST",
        &url("/v1/contracts"),
        Some(&doctor),
        Some(json!({"resident_id": "res-pei-002", "team_id": "team-anguo-1", "packages": ["PEI-GW", "PEI-ET", "PEI-TJ"]})),
    )
    .await;
    let contract = signed.ok(201).clone();
    assert_eq!(contract["plugin_hash"], catalogue["plugin_hash"]);
    assert_eq!(contract["signed_by"], "doctor-li");
    let line = |code: &str| -> Value {
        contract["lines"].as_array().unwrap().iter().find(|l| l["package_code"] == code).unwrap().clone()
    };
    assert_eq!(line("PEI-GW")["public_health_fund"], 1000, "basic package paid by the public-health fund");
    assert_eq!(line("PEI-ET")["self_pay"], 6000, "child care at 60% for a kindergarten child");
    assert_eq!(line("PEI-TJ")["self_pay"], 8000, "checkup at 40% of the list price");
    assert_eq!(line("PEI-TJ")["discount"], 12000);

    // The signing team now sees the child's citizen ID in full; another team does not.
    let child = request("GET", &url("/v1/residents/res-pei-002"), Some(&doctor), None).await;
    assert_eq!(child.ok(200)["unmasked"], json!(["citizen_id", "phone", "address"]));
    assert_eq!(child.body["address"], "安国镇湖西村2组3号");
    assert_eq!(child.body["citizen_id"].as_str().unwrap().len(), 18);
    let other_doctor = server.token(&["--role", "team_member", "--county", "320322", "--team", "team-anguo-2"]);
    let masked = request("GET", &url("/v1/residents/res-pei-002"), Some(&other_doctor), None).await;
    assert_eq!(masked.ok(200)["unmasked"], json!([]));
    assert!(masked.body["citizen_id"].as_str().unwrap().contains("********"));
    assert_eq!(masked.body["address"], "安国镇湖西**");

    // Reading it back gives the same priced contract.
    let id = contract["id"].as_str().unwrap();
    let read = request("GET", &url(&format!("/v1/contracts/{id}")), Some(&doctor), None).await;
    assert_eq!(read.ok(200), &contract);

    // Refusals, each with its status and a message.
    let again = request(
        "POST",
        &url("/v1/contracts"),
        Some(&doctor),
        Some(json!({"resident_id": "res-pei-002", "team_id": "team-anguo-1", "packages": ["PEI-GW"]})),
    )
    .await;
    assert!(again.problem(409, "already-signed").contains("already has an active contract"));

    let other_team = request(
        "POST",
        &url("/v1/contracts"),
        Some(&doctor),
        Some(json!({"resident_id": "res-pei-005", "team_id": "team-anguo-2", "packages": ["PEI-GW"]})),
    )
    .await;
    assert!(other_team.problem(403, "forbidden").contains("SignContract"));

    let cross_county = request("GET", &url("/v1/residents/res-pei-001"), Some(&feng_admin), None).await;
    assert!(cross_county.problem(403, "forbidden").contains("ReadResident"));
    let cross_county = request("GET", &url("/v1/residents/res-feng-001"), Some(&pei_admin), None).await;
    cross_county.problem(403, "forbidden");

    let not_eligible = request(
        "POST",
        &url("/v1/contracts"),
        Some(&doctor),
        Some(json!({"resident_id": "res-pei-005", "team_id": "team-anguo-1", "packages": ["PEI-GW", "PEI-YY"]})),
    )
    .await;
    assert!(not_eligible.problem(422, "signing-rule").contains("PEI-YY"));

    let no_basic = request(
        "POST",
        &url("/v1/contracts"),
        Some(&doctor),
        Some(json!({"resident_id": "res-pei-005", "team_id": "team-anguo-1", "packages": ["PEI-TJ"]})),
    )
    .await;
    assert!(no_basic.problem(422, "signing-rule").contains("exactly one basic package"));

    request("GET", &url("/v1/counties/320322/packages"), None, None).await.problem(401, "unauthenticated");
    request("GET", &url("/v1/counties/320322/packages"), Some("not-a-token"), None)
        .await
        .problem(401, "unauthenticated");
    // A missing id is refused to a county's admin as another county's is: only 404 to the region.
    request("GET", &url("/v1/residents/nobody"), Some(&pei_admin), None).await.problem(403, "forbidden");
    request("GET", &url("/v1/no-such-thing"), Some(&pei_admin), None).await.problem(404, "not-found");

    let malformed = reqwest::Client::new()
        .post(url("/v1/contracts"))
        .bearer_auth(&doctor)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status().as_u16(), 400);
    assert_eq!(malformed.headers()["content-type"], "application/problem+json");

    // Registering: a mistyped citizen ID is refused; a good one is stored and shown masked.
    let typo = request(
        "POST",
        &url("/v1/counties/320322/residents"),
        Some(&pei_admin),
        Some(json!({"name": "周敏", "citizen_id": "320322198807070021", "tags": ["diabetes"]})),
    )
    .await;
    assert!(typo.problem(422, "invalid-resident").contains("check character"));
    let registered = request(
        "POST",
        &url("/v1/counties/320322/residents"),
        Some(&pei_admin),
        Some(json!({"name": "周敏", "citizen_id": "320322198807070022", "tags": ["diabetes"]})),
    )
    .await;
    let resident = registered.ok(201);
    assert_eq!(resident["citizen_id"], "320322********0022");
    assert_eq!(resident["birth_date"], "1988-07-07");
    assert_eq!(resident["sex"], "female");
    let duplicate = request(
        "POST",
        &url("/v1/counties/320322/residents"),
        Some(&pei_admin),
        Some(json!({"name": "周敏", "citizen_id": "320322198807070022"})),
    )
    .await;
    duplicate.problem(409, "duplicate-resident");

    let openapi = request("GET", &url("/openapi.json"), None, None).await;
    let openapi = openapi.ok(200);
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(openapi["paths"]["/v1/contracts"]["post"].is_object());
}

#[test]
fn an_invalid_policy_stops_the_start_and_names_the_policy() {
    let policies = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        // The schema and policies; `tests/` holds the policy cases.
        if path.is_file() {
            std::fs::copy(&path, policies.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(
        policies.path().join("mistake.cedar"),
        r#"@id("admins-read-their-county")
permit (principal is Qianyue::CountyAdmin, action in Qianyue::Action::"read", resource)
when { resource in principal.countyy };"#,
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let output = qianyue()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .arg("--policy-dir")
        .arg(policies.path())
        .env_remove("QIANYUE_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("policy `mistake.cedar#admins-read-their-county` is invalid"), "{stderr}");
    assert!(stderr.contains("countyy"), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).is_empty(), "it never listened");
}

#[test]
fn token_issue_refuses_an_incomplete_principal_in_one_line() {
    let data = tempfile::tempdir().unwrap();
    let output = qianyue()
        .args(["token", "issue", "--role", "team_member", "--county", "320322", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "error: a token for role `team_member` needs --team\n");
}
