//! `qianyue plugin …` as a county programmer runs it: a built component,
//! its configuration and its golden cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::Path;

/// The bundled Pei component written to a file, as a county's build leaves it.
fn pei_component(dir: &Path) -> (std::path::PathBuf, &'static qianyue::bundled::BundledPlugin) {
    let pei = qianyue::bundled::PLUGINS.iter().find(|p| p.name == "pei-county").unwrap();
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
    assert!(stdout.contains("golden cases of 320322 2024.1.0 (qianyue:county/county-plugin@1.0.0"), "{stdout}");
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
