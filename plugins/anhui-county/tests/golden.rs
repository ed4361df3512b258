//! Runs every case of `golden/*.json` natively against the component's own
//! exports with the shipped `config.json`, as the kernel's `qianyue plugin
//! test` runs them against the built component, so that `cargo test` catches
//! a golden file and the rules drifting apart.
//!
//! The kit's runner reads the files as the kernel does and holds every case
//! of this plugin to a `comment` (the rule and the arithmetic, which the
//! county reads to check the numbers); the kit's `exports_v1_answer!` maps
//! each case to the `County` calls, as for every plugin on the generated
//! types.

use std::fs;
use std::path::Path;

use anhui_county::County;
use anhui_county::exports::qianyue::county::setup::Guest as _;
use county_kit::golden;

#[test]
fn golden_cases_answer_as_expected() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    County::configure(fs::read_to_string(root.join("config.json")).unwrap()).unwrap();
    let answer = county_kit::exports_v1_answer!(anhui_county);
    let summary = golden::run(&root.join("golden"), answer).unwrap_or_else(|e| panic!("{e}"));
    assert!(summary.cases() >= 40, "only {} golden cases", summary.cases());
}
