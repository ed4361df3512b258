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
        assert!(refused.problem(422).contains("attribute `agee`"), "{:#}", refused.body);
        let validated = request(
            "POST",
            &format!("{}/v1/policies/validate", first.base),
            Some(&officer),
            Some(json!({ "files": invalid })),
        )
        .await;
        assert!(validated.problem(422).contains("did you mean"));
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
        assert!(stale.problem(409).contains("start again from version 2"));

        // A set without the officers' own right to publish would lock the region out.
        let mut lockout = bundled.clone();
        lockout.remove("policy-officers.cedar");
        let locked =
            request("POST", &format!("{}/v1/policies", second.base), Some(&officer), Some(publish(&lockout, 2, "x")))
                .await;
        assert!(locked.problem(422).contains("right to publish"));
        // Nor may a county admin publish anything.
        let forbidden =
            request("POST", &format!("{}/v1/policies", second.base), Some(&admin), Some(publish(&bundled, 2, "x")))
                .await;
        forbidden.problem(403);

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
