//! Runs every case of `golden/*.json` natively against the plugin with the
//! shipped `config.json`, as the kernel's `qianyue plugin test` runs them
//! against the built component, so that `cargo test` catches a golden file
//! and the rules drifting apart. Add cases to `golden/`, not code here,
//! each with a `comment` stating the rule it tests and its arithmetic: the
//! kit's runner fails a case without one, and any field the kernel would
//! refuse; the kit's `exports_v1_answer!` maps each case to the `County`
//! calls.

use std::fs;
use std::path::Path;

use county_kit::golden;
use poverty_county::County;
use poverty_county::exports::qianyue::county::setup::Guest as _;

#[test]
fn golden_cases_answer_as_expected() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    County::configure(fs::read_to_string(root.join("config.json")).unwrap()).unwrap();
    let answer = county_kit::exports_v1_answer!(poverty_county);
    let summary = golden::run(&root.join("golden"), answer).unwrap_or_else(|e| panic!("{e}"));
    assert!(summary.cases() > 0, "no golden cases");
}
