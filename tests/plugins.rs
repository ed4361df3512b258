//! `qianyue plugin …` as a county programmer runs it: a built component,
//! its configuration and its golden cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::Path;

fn pei() -> &'static qianyue::bundled::BundledPlugin {
    qianyue::bundled::plugin("pei-county").unwrap()
}

/// The bundled Pei component written to a file, as a county's build leaves it.
fn pei_component(dir: &Path) -> (std::path::PathBuf, &'static qianyue::bundled::BundledPlugin) {
    let pei = pei();
    let path = dir.join("pei_county.wasm");
    std::fs::write(&path, pei.component).unwrap();
    (path, pei)
}

fn plugin_test(component: &Path, config: &Path, golden: &Path) -> std::process::Output {
    common::qianyue()
        .args(["plugin", "test"])
        .arg(component)
        .arg("--config")
        .arg(config)
        .arg("--golden")
        .arg(golden)
        .output()
        .unwrap()
}

#[test]
fn plugin_test_passes_the_bundled_golden_cases() {
    let dir = tempfile::tempdir().unwrap();
    let (component, pei) = pei_component(dir.path());
    let config = Path::new(pei.golden).with_file_name("config.json");
    let out = plugin_test(&component, &config, Path::new(pei.golden));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("golden cases of 320322 2024.1.1 (qianyue:county/county-plugin@1.0.0"), "{stdout}");
    assert!(stdout.contains("instances start configured"), "Pei is snapshotted after `configure`: {stdout}");
    assert!(stdout.trim_end().ends_with(", 0 failed"), "{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
}

#[test]
fn plugin_test_shows_a_differing_answer_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let (component, pei) = pei_component(dir.path());
    let golden = dir.path().join("golden");
    std::fs::create_dir(&golden).unwrap();
    std::fs::write(
        golden.join("wrong.json"),
        r#"{"description": "a case that expects the wrong price", "cases": [
            {"name": "checkup at full price (wrong)", "call": "price",
             "input": {"package_code": "PEI-TJ", "resident": {"age": 40, "sex": "female", "tags": []},
                       "starts_on": "2026-01-01"},
             "expect": {"ok": {"self_pay": 20000}}}]}"#,
    )
    .unwrap();
    let config = Path::new(pei.golden).with_file_name("config.json");
    let out = plugin_test(&component, &config, &golden);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("FAIL wrong.json: checkup at full price (wrong)"), "{stdout}");
    assert!(stdout.contains(r#""self_pay":8000"#), "the actual answer is shown: {stdout}");
    assert_eq!(stderr.trim(), "error: 1 golden cases failed");
}

#[test]
fn plugin_test_refuses_a_file_that_is_not_a_component_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.wasm");
    std::fs::write(&bogus, b"\0asm but not really").unwrap();
    let out = plugin_test(&bogus, &bogus, dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.starts_with(&format!("error: `{}` is not a usable county plugin", bogus.display())), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn plugin_test_refuses_a_component_an_upload_would_refuse_for_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let (component, pei) = pei_component(dir.path());
    let config = Path::new(pei.golden).with_file_name("config.json");
    let out = common::qianyue()
        .args(["plugin", "test"])
        .arg(&component)
        .arg("--config")
        .arg(&config)
        .arg("--golden")
        .arg(pei.golden)
        .args(["--component-kib", "100"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "Pei's 263 KB is over 100 KiB: {stderr}");
    assert!(stderr.contains("over the county's limit of 102400 bytes"), "{stderr}");
    assert!(stderr.contains("--component-kib"), "it says how to test against a raised limit: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

/// An upload body: the bundled Pei component with `config` and the named
/// golden files of Pei.
fn upload_body(config: &str, golden: &[&str]) -> serde_json::Value {
    use base64::Engine as _;
    let pei = pei();
    let golden: Vec<_> = golden
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(Path::new(pei.golden).join(name)).unwrap();
            serde_json::json!({ "name": name, "text": text })
        })
        .collect();
    serde_json::json!({
        "component_base64": base64::engine::general_purpose::STANDARD.encode(pei.component),
        "config": config,
        "golden": golden,
    })
}

/// Pei's configuration with the checkup package at 30% instead of 40%.
fn cheaper_checkup() -> String {
    let pei = pei();
    let mut config: serde_json::Value = serde_json::from_str(pei.config).unwrap();
    config["checkup_percent"] = 30.into();
    config.to_string()
}

/// Upload → refusals → shadow → activate → sign at the new price → reproduce
/// the old price → roll back → activate again and restart: all through one
/// running kernel (no restart until the last step), on every database.
#[tokio::test]
async fn a_plugin_version_goes_from_upload_to_rollback_without_a_restart() {
    use common::{Server, databases, request};
    use serde_json::json;
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let server = Server::start(data.path(), &database, &["--demo"]);
        let url = |path: &str| format!("{}{path}", server.base);
        let admin = server.token(&["--role", "county_admin", "--county", "320322"]);
        let feng_admin = server.token(&["--role", "county_admin", "--county", "320321"]);
        let region = server.token(&["--role", "regional_admin"]);
        let doctor = server.token(&["--role", "team_member", "--county", "320322", "--team", "team-anguo-1"]);
        let sign = |resident: &str| json!({ "resident_id": resident, "team_id": "team-anguo-1", "packages": ["PEI-GW", "PEI-TJ"] });
        let checkup_self_pay = |contract: &serde_json::Value| contract["lines"][1]["self_pay"].clone();
        let bundled_hash = request("GET", &url("/v1/counties/320322/packages"), Some(&admin), None).await;
        let bundled_hash = bundled_hash.ok(200)["plugin_hash"].as_str().unwrap().to_owned();

        let before = request("POST", &url("/v1/contracts"), Some(&doctor), Some(sign("res-pei-005"))).await;
        let before = before.ok(201).clone();
        assert_eq!(checkup_self_pay(&before), 8_000, "{}: 40% of 200 yuan", database.name);
        assert_eq!(before["plugin_hash"], bundled_hash.as_str());

        // Refused uploads store nothing.
        let plugins = url("/v1/counties/320322/plugins");
        let failing = upload_body(&cheaper_checkup(), &["pricing.json"]);
        let detail =
            request("POST", &plugins, Some(&admin), Some(failing)).await.problem(422, "plugin-rejected").to_owned();
        assert!(detail.contains("golden case") && detail.contains("pricing.json"), "{detail}");
        let garbage = json!({ "component_base64": "AGFzbQ==", "config": "{}", "golden": [] });
        let detail =
            request("POST", &plugins, Some(&admin), Some(garbage)).await.problem(422, "plugin-rejected").to_owned();
        assert!(detail.contains("needs its golden cases"), "{detail}");
        let mut garbage = upload_body("{}", &["catalogue.json"]);
        garbage["component_base64"] = "AGFzbQEAAAA=".into();
        let detail =
            request("POST", &plugins, Some(&admin), Some(garbage)).await.problem(422, "plugin-rejected").to_owned();
        assert!(detail.starts_with("the plugin version was refused: "), "{detail}");
        let bad_config = upload_body("{\"checkup_percent\": 140}", &["catalogue.json"]);
        let detail =
            request("POST", &plugins, Some(&admin), Some(bad_config)).await.problem(422, "plugin-rejected").to_owned();
        assert!(detail.contains("refused its configuration"), "{detail}");
        let elsewhere = upload_body(&cheaper_checkup(), &["catalogue.json"]);
        let detail = request("POST", &url("/v1/counties/320321/plugins"), Some(&region), Some(elsewhere)).await;
        assert!(
            detail.problem(422, "plugin-rejected").contains("plugin of county 320322, not of 320321"),
            "{detail:?}"
        );
        let other_county = upload_body(&cheaper_checkup(), &["catalogue.json"]);
        request("POST", &plugins, Some(&feng_admin), Some(other_county)).await.problem(403, "forbidden");
        let listed = request("GET", &plugins, Some(&admin), None).await;
        assert_eq!(listed.ok(200)["versions"].as_array().unwrap().len(), 1, "only the bundled version");

        // A valid upload: another configuration of the same component.
        let golden = ["catalogue.json", "insurance.json", "incentive.json"];
        let uploaded = request("POST", &plugins, Some(&admin), Some(upload_body(&cheaper_checkup(), &golden))).await;
        let uploaded = uploaded.ok(201).clone();
        let hash = uploaded["version"]["hash"].as_str().unwrap().to_owned();
        assert_ne!(hash, bundled_hash);
        assert!(uploaded["golden_cases_passed"].as_u64().unwrap() > 20, "{uploaded:#}");
        let again = request("POST", &plugins, Some(&admin), Some(upload_body(&cheaper_checkup(), &golden))).await;
        assert_eq!(again.ok(201)["new"], false, "the same version twice changes nothing");

        // The shadow run shows the one price that would change.
        let shadow = url(&format!("/v1/counties/320322/plugins/{hash}/shadow"));
        let shadow = request("POST", &shadow, Some(&admin), None).await.ok(200).clone();
        assert_eq!((shadow["contracts"].as_u64(), shadow["changed"].as_u64()), (Some(1), Some(1)), "{shadow:#}");
        let difference = &shadow["differences"][0];
        assert_eq!(difference["package_code"], "PEI-TJ");
        assert_eq!(difference["stored"]["quote"]["self_pay"], 8_000);
        assert_eq!(difference["recomputed"]["quote"]["self_pay"], 6_000);

        // Activated without a restart: the next signing uses it.
        let activate = url(&format!("/v1/counties/320322/plugins/{hash}/activate"));
        let body = json!({ "effective_from": "2016-01-01" });
        let activation = request("POST", &activate, Some(&admin), Some(body.clone())).await;
        assert_eq!(activation.ok(201)["version_hash"], hash.as_str());
        let after = request("POST", &url("/v1/contracts"), Some(&doctor), Some(sign("res-pei-006"))).await;
        let after = after.ok(201).clone();
        assert_eq!((checkup_self_pay(&after), after["plugin_hash"].as_str()), (6_000.into(), Some(hash.as_str())));

        // The old contract keeps its price, and its version reproduces it exactly.
        let id = before["id"].as_str().unwrap();
        let kept = request("GET", &url(&format!("/v1/contracts/{id}")), Some(&admin), None).await;
        assert_eq!(checkup_self_pay(kept.ok(200)), 8_000);
        let reproduced = request("POST", &url(&format!("/v1/contracts/{id}/reproduce")), Some(&admin), None).await;
        let reproduced = reproduced.ok(200);
        assert_eq!(reproduced["identical"], true, "{reproduced:#}");
        assert_eq!(reproduced["recomputed_by"], bundled_hash.as_str());

        // Rolled back without a restart; a second rollback has nothing to undo.
        let rollback = url("/v1/counties/320322/plugins/rollback");
        let undone = request("POST", &rollback, Some(&admin), Some(json!({ "reason": "wrong percentage" }))).await;
        assert_eq!(undone.ok(200)["version_hash"], hash.as_str());
        let catalogue = request("GET", &url("/v1/counties/320322/packages"), Some(&admin), None).await;
        assert_eq!(catalogue.ok(200)["plugin_hash"], bundled_hash.as_str());
        request("POST", &rollback, Some(&admin), Some(json!({ "reason": "again" }))).await.problem(404, "not-found");

        // An activation survives a restart (compiled again from the database).
        request("POST", &activate, Some(&admin), Some(body)).await.ok(201);
        drop(server);
        let server = Server::start(data.path(), &database, &[]);
        let admin = server.token(&["--role", "county_admin", "--county", "320322"]);
        let catalogue =
            request("GET", &format!("{}/v1/counties/320322/packages", server.base), Some(&admin), None).await;
        assert_eq!(catalogue.ok(200)["plugin_hash"], hash.as_str(), "{}", database.name);
        let cached = walk(&data.path().join("plugin-cache"));
        assert!(cached > 0, "compiled code is kept across restarts");
    }
}

/// The same lifecycle from the command line, as the region's operator runs it.
#[tokio::test]
async fn the_plugin_lifecycle_runs_from_the_command_line() {
    let database = common::databases().await.remove(0);
    let data = tempfile::tempdir().unwrap();
    drop(common::Server::start(data.path(), &database, &["--demo"]));
    let pei = pei();
    let dir = tempfile::tempdir().unwrap();
    let (component, _) = pei_component(dir.path());
    let config = dir.path().join("config.json");
    std::fs::write(&config, cheaper_checkup()).unwrap();
    let golden = dir.path().join("golden");
    std::fs::create_dir(&golden).unwrap();
    std::fs::copy(Path::new(pei.golden).join("catalogue.json"), golden.join("catalogue.json")).unwrap();
    let run = |args: &[&str]| {
        let out = common::qianyue().args(args).arg("--data-dir").arg(data.path()).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.code(), stdout, String::from_utf8_lossy(&out.stderr).into_owned())
    };

    let (code, stdout, stderr) = run(&[
        "plugin",
        "upload",
        component.to_str().unwrap(),
        "--county",
        "320322",
        "--config",
        config.to_str().unwrap(),
        "--golden",
        golden.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let uploaded: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let hash = uploaded["version"]["hash"].as_str().unwrap().to_owned();

    let (code, _, stderr) = run(&["plugin", "activate", &hash, "--county", "320322", "--from", "2026-13-01"]);
    assert_eq!(code, Some(2), "clap refuses the date");
    assert!(stderr.contains("`2026-13-01` is not a date like 2026-11-23"), "{stderr}");
    let (code, stdout, stderr) = run(&["plugin", "activate", &hash, "--county", "320322", "--from", "2026-01-01"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains(&hash));
    let (_, stdout, _) = run(&["plugin", "list", "--county", "320322"]);
    let listed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(listed["versions"].as_array().unwrap().len(), 2, "bundled and uploaded");
    assert_eq!(listed["activations"][0]["version_hash"], hash.as_str());
    let (code, stdout, stderr) = run(&["plugin", "rollback", "--county", "320322", "--reason", "test"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("rolled_back_at"));
    let (code, _, stderr) = run(&["plugin", "rollback", "--county", "320322", "--reason", "test"]);
    assert_eq!(code, Some(1));
    assert_eq!(stderr.trim(), "error: plugin activation in force for county `320322` does not exist");
}

/// Files under `dir`, at any depth.
fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}

/// `qianyue plugin new` gives a folder that builds and passes its golden
/// cases as it is: the afternoon starts from something that works.
#[test]
fn a_new_plugin_from_the_template_builds_and_passes_its_golden_cases() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("dongtai");
    let new = |args: &[&str]| common::qianyue().args(["plugin", "new"]).args(args).output().unwrap();
    let out = new(&["32098", "--name", "东台市", "--dir", plugin.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("six-digit GB/T 2260 code"));
    let out = new(&["320981", "--name", "东台市", "--prefix", "DT", "--dir", plugin.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = new(&["320981", "--name", "东台市", "--dir", plugin.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty"), "nothing is overwritten");
    let rules = std::fs::read_to_string(plugin.join("src/rules.rs")).unwrap();
    assert!(rules.contains("\"DT-JC\"") && !rules.contains("TPL-"), "{rules}");

    // Built beside the bundled plugins, whose dependencies are compiled already.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("wasm-plugins");
    let built = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet", "--target", "wasm32-wasip2", "--manifest-path"])
        .arg(plugin.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let component = target.join("wasm32-wasip2/release/county_320981.wasm");
    let out = plugin_test(&component, &plugin.join("config.json"), &plugin.join("golden"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("golden cases of 320981 0.1.0") && stdout.trim_end().ends_with(", 0 failed"), "{stdout}");
}

/// The region bounds a county's plugin; the next call runs under the new
/// limits, in the running kernel, and a restart keeps them.
#[tokio::test]
async fn a_countys_plugin_limits_apply_to_its_next_call() {
    use qianyue::KernelError;
    use qianyue::plugins::PluginError;
    use qianyue::store::StoredLimits;
    for database in common::databases().await {
        let data = tempfile::tempdir().unwrap();
        let kernel = common::kernel(&database, data.path(), &[]).await;
        let region = common::regional_admin();
        let defaults = kernel.plugin_limits(&region, "320322").await.unwrap();
        let expected =
            StoredLimits { fuel: 10_000_000, memory_bytes: 16 << 20, deadline_ms: 50, component_bytes: 1 << 20 };
        assert_eq!(defaults, expected);

        let denied = kernel.set_plugin_limits(&common::county_admin("320322"), "320322", defaults.clone()).await;
        assert!(matches!(denied, Err(KernelError::Denied(_))), "a county does not raise its own limits");
        let too_big = StoredLimits { memory_bytes: 1 << 30, ..defaults.clone() };
        let refused = kernel.set_plugin_limits(&region, "320322", too_big).await.unwrap_err();
        assert!(refused.to_string().contains("over the host's ceiling of 64 MiB"), "{refused}");
        let unstorable = StoredLimits { fuel: u64::MAX, ..defaults.clone() };
        let refused = kernel.set_plugin_limits(&region, "320322", unstorable).await.unwrap_err();
        assert!(refused.to_string().contains("at most 9223372036854775807"), "{refused}");

        let starved = StoredLimits { fuel: 1_000, ..defaults.clone() };
        kernel.set_plugin_limits(&region, "320322", starved).await.unwrap();
        let doctor = common::member("320322", "team-anguo-1");
        let failed = kernel.sign(&doctor, common::sign("res-pei-005", "team-anguo-1", &["PEI-GW"])).await;
        assert!(
            matches!(failed, Err(KernelError::Plugin(PluginError::OutOfFuel { fuel: 1_000, .. }))),
            "{}: {failed:?}",
            database.name
        );
        let other_county = kernel.plugin_limits(&region, "320321").await.unwrap();
        assert_eq!(other_county.fuel, 10_000_000, "only Pei's plugin is bounded");

        // Components are bounded too: Pei's 263 KB is over a 100 KB limit.
        let small = StoredLimits { component_bytes: 100 << 10, ..defaults.clone() };
        kernel.set_plugin_limits(&region, "320322", small).await.unwrap();
        let pei = pei();
        let golden = [qianyue::kernel::GoldenUpload { name: "none.json".into(), text: "{\"cases\": []}".into() }];
        let refused = kernel.upload_plugin(&region, "320322", pei.component, pei.config, &golden).await.unwrap_err();
        assert!(refused.to_string().contains("over the county's limit of 102400 bytes"), "{refused}");

        // Stored: a kernel started on the same database applies them.
        let restarted = common::kernel(&database, data.path(), &[]).await;
        assert_eq!(restarted.plugin_limits(&region, "320322").await.unwrap().component_bytes, 100 << 10);
        kernel.set_plugin_limits(&region, "320322", defaults).await.unwrap();
        kernel.sign(&doctor, common::sign("res-pei-005", "team-anguo-1", &["PEI-GW"])).await.unwrap();
    }
}

/// A component exporting the world `county-plugin` of the WIT text `wit`,
/// every function a trap: it has the types, never the behaviour.
fn component_of(wit: &str) -> Vec<u8> {
    use wit_component::{ComponentEncoder, StringEncoding, dummy_module, embed_component_metadata};
    let mut resolve = wit_parser::Resolve::default();
    let package = resolve.push_str("county.wit", wit).unwrap();
    let world = resolve.select_world(&[package], Some("county-plugin")).unwrap();
    let mut module = dummy_module(&resolve, world, wit_parser::ManglingAndAbi::Standard32);
    embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8).unwrap();
    ComponentEncoder::default().module(&module).unwrap().validate(true).encode().unwrap()
}

fn published(version: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit").join(version).join("county.wit"))
        .unwrap()
}

/// The published world with `from` replaced by `to` in its text.
fn changed(from: &str, to: &str) -> Vec<u8> {
    let wit = published("v1.0.0");
    assert!(wit.contains(from), "the edit applies to the published text");
    component_of(&wit.replacen(from, to, 1))
}

#[test]
fn a_component_is_checked_against_its_published_world_function_by_function() {
    use qianyue::plugins::world_of;
    assert_eq!(world_of(&component_of(&published("v1.0.0"))), Ok("qianyue:county/county-plugin@1.0.0"));
    assert_eq!(world_of(&component_of(&published("v0.1.0"))), Ok("qianyue:county/county-plugin@0.1.0"));

    let rule = "        rule: string,\n    }\n\n    /// Price one package for one resident.";
    let bonus = world_of(&changed(rule, &rule.replace("rule: string,", "rule: string,\n        bonus: fen,")));
    let bonus = bonus.unwrap_err();
    assert!(bonus.starts_with("it does not match qianyue:county/county-plugin@1.0.0: "), "{bonus}");
    for function in ["`pricing.price`", "`pricing.price-batch`"] {
        assert!(
            bonus.contains(&format!(
                "{function}: in its result, record `quote` has a field `bonus` the world does not have"
            )),
            "both functions that return a quote are named: {bonus}"
        );
    }
    assert!(!bonus.contains("catalogue"), "nothing else differs: {bonus}");

    let narrower = world_of(&changed("        self-pay: fen,", "        self-pay: s32,")).unwrap_err();
    assert!(
        narrower.contains("in field `self-pay` of record `quote`, it has s32 where the world has s64"),
        "{narrower}"
    );
    let renamed = world_of(&changed(
        "package-code: string,\n        /// The resident",
        "code: string,\n        /// The resident",
    ));
    assert!(renamed.unwrap_err().contains("in its parameter `request`, record `price-request` has a field `code`"));
    let missing = world_of(&changed("    price-batch: func(", "    price-many: func(")).unwrap_err();
    assert!(missing.contains("`pricing.price-batch` is missing"), "{missing}");

    let unknown =
        world_of(&component_of(&published("v1.0.0").replacen("qianyue:county@1.0.0", "qianyue:county@9.0.0", 1)));
    assert!(unknown.unwrap_err().starts_with("it is built for qianyue:county@9.0.0, which this kernel does not know"));
    let core = world_of(b"\0asm\x01\0\0\0").unwrap_err();
    assert!(core.starts_with("it is a core WebAssembly module, not a component"), "{core}");
    let garbage = world_of(b"\0asm but not really").unwrap_err();
    assert!(garbage.starts_with("it is not a WebAssembly component"), "{garbage}");
}

/// Changed types are refused at upload, before compiling, with the function
/// and the type that differ, and nothing is stored.
#[tokio::test]
async fn an_upload_whose_types_differ_from_the_world_is_refused_naming_them() {
    use base64::Engine as _;
    let database = common::databases().await.remove(0);
    let data = tempfile::tempdir().unwrap();
    let kernel = common::kernel(&database, data.path(), &[]).await;
    let app = qianyue::api::router(kernel.clone());
    let admin = common::token_of(&kernel, &common::county_admin("320322"));
    let rule = "        rule: string,\n    }\n\n    /// Price one package for one resident.";
    let component = changed(rule, &rule.replace("rule: string,", "rule: string,\n        bonus: fen,"));
    let text = std::fs::read_to_string(Path::new(pei().golden).join("catalogue.json")).unwrap();
    let body = serde_json::json!({
        "component_base64": base64::engine::general_purpose::STANDARD.encode(&component),
        "config": "{}",
        "golden": [{ "name": "catalogue.json", "text": text }],
    });
    let answer = common::call(&app, "POST", "/v1/counties/320322/plugins", Some(&admin), Some(body)).await;
    let detail = answer.problem(422, "plugin-rejected");
    assert!(detail.contains("`pricing.price-batch`: in its result, record `quote` has a field `bonus`"), "{detail}");
    let (versions, _) = kernel.plugin_versions(&common::county_admin("320322"), "320322").await.unwrap();
    assert_eq!(versions.len(), 1, "only the bundled version is stored");
}

/// Files in a folder and their bytes.
fn folder_size(dir: &Path) -> (usize, u64) {
    let files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).collect();
    (files.len(), files.iter().sum())
}

/// A county that uploads a refused version twenty times leaves the kernel
/// holding what it held: no compiled code in memory, no file in the cache.
/// Valid versions no county uses stay at most [`SPARE_VERSIONS`] in memory,
/// and the cache folder keeps to its bound.
#[tokio::test]
async fn refused_and_unused_versions_do_not_pile_up() {
    use qianyue::plugins::{Limits, PluginHost, SPARE_VERSIONS};
    let database = common::databases().await.remove(0);
    let data = tempfile::tempdir().unwrap();
    let cache = data.path().join("plugin-cache");
    // A bound below the bundled plugins' own code: only what is held stays.
    let host = PluginHost::cached(Limits::default(), &cache, 1).unwrap();
    let kernel = common::kernel_hosting(&database, data.path(), &[], qianyue::kernel::Clock::System, host).await;
    let admin = common::county_admin("320322");
    let (held, files) = (kernel.plugins.held().unwrap(), folder_size(&cache));
    assert_eq!(held.versions, 4, "the four bundled plugins");

    let pei = pei();
    let pricing = std::fs::read_to_string(Path::new(pei.golden).join("pricing.json")).unwrap();
    let golden = [qianyue::kernel::GoldenUpload { name: "pricing.json".into(), text: pricing }];
    for i in 0..20 {
        // Another configuration each time: another version, compiled and snapshotted anew.
        let config = format!("{}{}", cheaper_checkup(), " ".repeat(i));
        let refused = kernel.upload_plugin(&admin, "320322", pei.component, &config, &golden).await.unwrap_err();
        assert!(refused.to_string().contains("golden case"), "{refused}");
        assert_eq!(kernel.plugins.held().unwrap(), held, "after refusal {i}");
        assert_eq!(folder_size(&cache), files, "after refusal {i}");
    }

    for i in 0..SPARE_VERSIONS + 2 {
        let config = format!("{}{}", pei.config, " ".repeat(i));
        let version = kernel.compile_plugin("a candidate", pei.component, &config).await.unwrap();
        assert_eq!(version.info.county_code, "320322");
    }
    let now = kernel.plugins.held().unwrap();
    assert_eq!(now.versions, held.versions + SPARE_VERSIONS, "the spare versions used last stay");
    assert_eq!(now.components, held.components + SPARE_VERSIONS, "each holds its snapshot alone");
    let cwasm = std::fs::read_dir(&cache)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "cwasm"));
    assert_eq!(cwasm.count(), now.components, "the folder over its bound keeps only the code held");
}
