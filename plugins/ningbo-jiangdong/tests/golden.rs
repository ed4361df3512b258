//! Runs every case of `golden/*.json` natively against the plugin with the
//! shipped `config.json`, through the same `County` calls the component
//! exports, so that `cargo test` catches the golden files and the rules
//! drifting apart before `qianyue plugin test` runs them on the component.
//!
//! The kit's runner reads the files as the kernel reads them
//! (kernel/src/plugins/golden.rs) and adds this plugin's own rule on top:
//! every case carries a comment stating the rule and its arithmetic. The
//! kit's `exports_v1_answer!` maps each case to the `County` calls.

use std::fs;
use std::path::Path;

use county_kit::golden;
use ningbo_jiangdong::County;
use ningbo_jiangdong::exports::qianyue::county::setup::Guest as _;

#[test]
fn golden_cases_answer_as_expected() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    County::configure(fs::read_to_string(root.join("config.json")).unwrap()).unwrap();
    let answer = county_kit::exports_v1_answer!(ningbo_jiangdong);
    let summary = golden::run(&root.join("golden"), answer).unwrap_or_else(|e| panic!("{e}"));
    assert!(summary.cases() >= 30, "only {} golden cases", summary.cases());
}
