//! The native runner of golden cases (黄金用例): `cargo test` runs a
//! plugin's `golden/*.json` against its rules, so that the files and the
//! code cannot drift apart before the kernel's `qianyue plugin test` runs
//! the same files against the built component.
//!
//! The files are read as the kernel reads them (`kernel/src/plugins/golden.rs`,
//! format in `plugins/README.md`): `{"description"?, "cases": [{"name",
//! "comment"?, "call", "input", "expect"}]}`, any other field refused. On top
//! of the format, the bundled plugins hold every case to more than the
//! kernel does, and so does this runner:
//!
//! - every file of `golden/` is a `*.json` file (the kernel would skip any
//!   other, so a misnamed file would silently never run);
//! - a case's name is unique in its file (failures are reported by file and
//!   name);
//! - every case has a non-empty `comment` stating the rule it tests and its
//!   arithmetic, for the county staff who check the numbers;
//! - each of the five calls has at least one case.
//!
//! A plugin supplies only its mapping: a [`Call`] (the case's input, read
//! into plain types) to its own rule types, and its answer back to the
//! file's JSON. Every case runs; every failure is reported, by file and name.
//! A plugin whose rules work on the types wit-bindgen generates for
//! `qianyue:county@1.0.0` takes the kit's mapping,
//! [`exports_v1_answer!`](crate::exports_v1_answer), instead of writing one.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

mod exports_v1;

// For the expansion of `exports_v1_answer!` in a plugin's test, so that the
// plugin need not name serde_json itself.
#[doc(hidden)]
pub use serde_json as __serde_json;

/// The calls a case may make, as the files write them, in name order.
pub const CALLS: [&str; 5] = ["adjudicate", "basic_package", "eligible", "price", "settle"];

/// One file of cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoldenFile {
    description: Option<String>,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    comment: Option<String>,
    call: String,
    input: Value,
    expect: Value,
}

/// A case's call with its input, read as the kernel reads it: snake_case
/// names, every field required, unknown fields refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    BasicPackage(Resident),
    Eligible(EligibilityRequest),
    Price(PriceRequest),
    Adjudicate(Claim),
    Settle(TeamActivity),
}

impl Call {
    /// The call a case names, with its input; `Err` says why it does not fit.
    pub fn parse(call: &str, input: Value) -> Result<Call, String> {
        fn read<T: DeserializeOwned>(call: &str, input: Value) -> Result<T, String> {
            serde_json::from_value(input).map_err(|e| format!("the input of `{call}` does not fit: {e}"))
        }
        match call {
            "basic_package" => read(call, input).map(Call::BasicPackage),
            "eligible" => read(call, input).map(Call::Eligible),
            "price" => read(call, input).map(Call::Price),
            "adjudicate" => read(call, input).map(Call::Adjudicate),
            "settle" => read(call, input).map(Call::Settle),
            other => Err(format!("unknown call `{other}` (the calls: {})", CALLS.join(", "))),
        }
    }
}

/// `resident-facts`: `{"age": 70, "sex": "female", "tags": ["elderly"]}`.
/// The tags stay names: each plugin has its own flags type to map them to.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resident {
    pub age: u8,
    pub sex: Sex,
    pub tags: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

/// A date, written `"YYYY-MM-DD"`. Read as written, not checked against the
/// calendar: refusing a day that does not exist is the plugin's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl TryFrom<String> for Date {
    type Error = String;

    fn try_from(text: String) -> Result<Date, String> {
        let wrong = || format!("`{text}` is not YYYY-MM-DD");
        let parts: Vec<&str> = text.split('-').collect();
        let [year, month, day] = parts[..] else { return Err(wrong()) };
        let digits = |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
        if !(digits(year, 4) && digits(month, 2) && digits(day, 2)) {
            return Err(wrong());
        }
        match (year.parse(), month.parse(), day.parse()) {
            (Ok(year), Ok(month), Ok(day)) => Ok(Date { year, month, day }),
            _ => Err(wrong()),
        }
    }
}

/// The input of `eligible`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityRequest {
    pub package_code: String,
    pub resident: Resident,
}

/// The input of `price`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceRequest {
    pub package_code: String,
    pub resident: Resident,
    pub starts_on: Date,
}

/// The input of `adjudicate`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub resident: Resident,
    pub signed_packages: Vec<String>,
    pub kind: CareKind,
    pub level: CareLevel,
    pub referred: bool,
    pub on: Date,
    pub amount: i64,
    pub year_to_date: YearToDate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareKind {
    Outpatient,
    Inpatient,
    Rehabilitation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareLevel {
    VillageClinic,
    TownshipCentre,
    CountyHospital,
    AboveCounty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearToDate {
    pub deductible_paid: i64,
    pub outpatient_reimbursed: i64,
    pub inpatient_reimbursed: i64,
}

/// The input of `settle`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamActivity {
    pub period: u16,
    pub residents_signed: u32,
    pub households_signed: u32,
    pub signings: Vec<PackageSignings>,
    pub deliveries: Vec<ItemDelivery>,
    pub assessment_score: u8,
    pub care_spent: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageSignings {
    pub package_code: String,
    pub signings: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDelivery {
    pub package_code: String,
    pub item_code: String,
    pub owed: u32,
    pub delivered: u32,
}

/// An enum case as the files name it, from its `Debug` form: a
/// wit-bindgen `ShareKind::CoPayment` or a plain `CoPayment` is
/// `co_payment`. Both derive their `Debug` from the variant's name, so an
/// answer's kinds and payers need no table of names in each plugin.
pub fn snake_name(case: &impl fmt::Debug) -> String {
    let debug = format!("{case:?}");
    let variant = debug.rsplit("::").next().unwrap_or_default();
    let mut name = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

/// What the files held, when every case passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// In name order.
    pub files: Vec<FileSummary>,
}

impl Summary {
    /// How many cases ran, in every file.
    pub fn cases(&self) -> usize {
        self.files.iter().map(|file| file.cases).sum()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSummary {
    /// The file's name in the folder, such as `pricing.json`.
    pub name: String,
    pub description: Option<String>,
    pub cases: usize,
}

/// Every failure of a run, each naming its file and case, the expected and
/// the actual answer where there are two. Shown whole by `Display`, so that
/// one `cargo test` lists everything to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failures(pub Vec<String>);

impl fmt::Display for Failures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} golden failure(s):\n{}", self.0.len(), self.0.join("\n"))
    }
}

impl std::error::Error for Failures {}

/// Runs every case of the golden folder `dir` (a plugin's `golden/`, its
/// files in name order) through `answer`, which gives the plugin's answer
/// in the files' shape (`{"ok": …}` or `{"refused": {…}}`) or says why the
/// input cannot be mapped to the plugin's types. Each answer is compared
/// with the case's `expect` whole.
pub fn run(dir: &Path, answer: impl FnMut(Call) -> Result<Value, String>) -> Result<Summary, Failures> {
    let (files, mut failures) = read_dir(dir);
    let (summary, more) = check(&files, answer);
    failures.extend(more);
    if files.is_empty() {
        failures.insert(0, format!("{}: no golden case file (*.json)", dir.display()));
    }
    if failures.is_empty() { Ok(summary) } else { Err(Failures(failures)) }
}

/// The folder's files in name order, as (name, text); what cannot be read
/// or is not a `*.json` file is a failure.
fn read_dir(dir: &Path) -> (Vec<(String, String)>, Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return (Vec::new(), vec![format!("{}: {e}", dir.display())]),
    };
    let (mut paths, mut failures) = (Vec::new(), Vec::new());
    for entry in entries {
        match entry {
            Ok(entry) => paths.push(entry.path()),
            Err(e) => failures.push(format!("{}: {e}", dir.display())),
        }
    }
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        if path.extension().is_none_or(|ext| ext != "json") {
            failures.push(format!(
                "{name}: not a golden case file (*.json), which neither this runner nor the kernel reads"
            ));
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push((name, text)),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    (files, failures)
}

/// Runs the cases of `files`, (name, text) in order.
fn check(files: &[(String, String)], mut answer: impl FnMut(Call) -> Result<Value, String>) -> (Summary, Vec<String>) {
    let (mut summary, mut failures) = (Summary { files: Vec::new() }, Vec::new());
    let mut calls = BTreeSet::new();
    for (file, text) in files {
        let golden: GoldenFile = match serde_json::from_str(text) {
            Ok(golden) => golden,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        let cases = golden.cases.len();
        let mut names = BTreeSet::new();
        for case in golden.cases {
            let at = format!("{file} / {}", case.name);
            if !names.insert(case.name) {
                failures.push(format!("{at}\n  the name is used twice in the file"));
            }
            if case.comment.as_deref().is_none_or(|comment| comment.trim().is_empty()) {
                failures.push(format!("{at}\n  no comment: state the rule and its arithmetic"));
            }
            let actual = Call::parse(&case.call, case.input).and_then(&mut answer);
            calls.insert(case.call);
            match actual {
                Ok(actual) if actual == case.expect => {}
                Ok(actual) => failures.push(format!("{at}\n  expected: {}\n  actual:   {actual}", case.expect)),
                Err(message) => failures.push(format!("{at}\n  {message}")),
            }
        }
        summary.files.push(FileSummary { name: file.clone(), description: golden.description, cases });
    }
    for call in CALLS.iter().filter(|call| !calls.contains(**call)) {
        failures.push(format!("no case calls `{call}`: write at least one case a call, refusals included"));
    }
    (summary, failures)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A stand-in plugin: every basic package is `B` (an unknown tag is an
    /// input it cannot map), every other call is refused with its name.
    fn answer(call: Call) -> Result<Value, String> {
        let refused = |call: &str| Ok(json!({"refused": {"invalid_request": call}}));
        match call {
            Call::BasicPackage(resident) if resident.tags.iter().any(|tag| tag == "unknown") => {
                Err("unknown tag `unknown`".to_string())
            }
            Call::BasicPackage(_) => Ok(json!({"ok": "B"})),
            Call::Eligible(_) => refused("eligible"),
            Call::Price(_) => refused("price"),
            Call::Adjudicate(_) => refused("adjudicate"),
            Call::Settle(_) => refused("settle"),
        }
    }

    fn case(name: &str, call: &str, input: Value, expect: Value) -> Value {
        json!({"name": name, "comment": "why", "call": call, "input": input, "expect": expect})
    }

    fn resident() -> Value {
        json!({"age": 70, "sex": "female", "tags": ["elderly"]})
    }

    /// One passing case of every call, in one file.
    fn all_calls() -> Vec<Value> {
        let refused = |call: &str| json!({"refused": {"invalid_request": call}});
        let year = json!({"deductible_paid": 0, "outpatient_reimbursed": 0, "inpatient_reimbursed": 0});
        vec![
            case("basic", "basic_package", resident(), json!({"ok": "B"})),
            case("eligible", "eligible", json!({"package_code": "P", "resident": resident()}), refused("eligible")),
            case(
                "price",
                "price",
                json!({"package_code": "P", "resident": resident(), "starts_on": "2025-01-01"}),
                refused("price"),
            ),
            case(
                "claim",
                "adjudicate",
                json!({"resident": resident(), "signed_packages": ["P"], "kind": "outpatient", "level": "village_clinic",
                       "referred": false, "on": "2025-06-30", "amount": 100, "year_to_date": year}),
                refused("adjudicate"),
            ),
            case(
                "settle",
                "settle",
                json!({"period": 2025, "residents_signed": 1, "households_signed": 1,
                       "signings": [{"package_code": "P", "signings": 1}],
                       "deliveries": [{"package_code": "P", "item_code": "I", "owed": 2, "delivered": 1}],
                       "assessment_score": 90, "care_spent": 0}),
                refused("settle"),
            ),
        ]
    }

    fn file(name: &str, cases: Vec<Value>) -> (String, String) {
        (name.to_string(), json!({"description": "d", "cases": cases}).to_string())
    }

    #[test]
    fn every_call_reads_its_input_and_passing_cases_are_counted() {
        let (summary, failures) = check(&[file("a.json", all_calls())], answer);
        assert_eq!(failures, Vec::<String>::new());
        let described = FileSummary { name: "a.json".into(), description: Some("d".into()), cases: 5 };
        assert_eq!(summary, Summary { files: vec![described] });
        assert_eq!(summary.cases(), 5);
    }

    #[test]
    fn inputs_are_read_into_plain_types() {
        let Call::Price(request) = Call::parse("price", all_calls()[2]["input"].clone()).unwrap() else { panic!() };
        let date = Date { year: 2025, month: 1, day: 1 };
        assert_eq!(
            (request.resident.sex, request.resident.tags, request.starts_on),
            (Sex::Female, vec!["elderly".into()], date)
        );
        let Call::Adjudicate(claim) = Call::parse("adjudicate", all_calls()[3]["input"].clone()).unwrap() else {
            panic!()
        };
        assert_eq!((claim.kind, claim.level, claim.on.day), (CareKind::Outpatient, CareLevel::VillageClinic, 30));
    }

    #[test]
    fn a_wrong_input_or_call_is_a_failure_of_its_case() {
        let unknown_field = json!({"age": 70, "sex": "female", "tags": [], "name": "x"});
        let error = Call::parse("basic_package", unknown_field).unwrap_err();
        assert!(error.starts_with("the input of `basic_package` does not fit: unknown field `name`"), "{error}");
        let error =
            Call::parse("eligible", json!({"package_code": "P", "resident": {"age": 7, "sex": "x", "tags": []}}))
                .unwrap_err();
        assert!(error.contains("unknown variant `x`"), "{error}");
        let error = Call::parse("basic_packages", resident()).unwrap_err();
        assert_eq!(
            error,
            "unknown call `basic_packages` (the calls: adjudicate, basic_package, eligible, price, settle)"
        );
        for text in ["2025-1-01", "25-01-01", "2025-01-01-01", "2025/01/01", "２０２５-01-01", "2025-+1-01"] {
            let input = json!({"package_code": "P", "resident": resident(), "starts_on": text});
            let error = Call::parse("price", input).unwrap_err();
            assert!(error.contains(&format!("`{text}` is not YYYY-MM-DD")), "{error}");
        }
    }

    #[test]
    fn every_failure_is_reported_by_file_and_name() {
        let mut cases = all_calls();
        cases.push(case("basic", "basic_package", resident(), json!({"ok": "C"})));
        cases.push(json!({"name": "bare", "call": "basic_package", "input": resident(), "expect": {"ok": "B"}}));
        cases.push(json!({"name": "blank", "comment": " ", "call": "basic_package", "input": resident(), "expect": {"ok": "B"}}));
        let tagged = json!({"age": 70, "sex": "female", "tags": ["unknown"]});
        cases.push(case("tag", "basic_package", tagged, json!({"ok": "B"})));
        cases.push(case("call", "basic_packages", resident(), json!({"ok": "B"})));
        let (summary, failures) = check(&[file("a.json", cases), ("b.json".into(), "{".into())], answer);
        assert_eq!(
            failures,
            [
                "a.json / basic\n  the name is used twice in the file",
                "a.json / basic\n  expected: {\"ok\":\"C\"}\n  actual:   {\"ok\":\"B\"}",
                "a.json / bare\n  no comment: state the rule and its arithmetic",
                "a.json / blank\n  no comment: state the rule and its arithmetic",
                "a.json / tag\n  unknown tag `unknown`",
                "a.json / call\n  unknown call `basic_packages` (the calls: adjudicate, basic_package, eligible, price, settle)",
                "b.json: EOF while parsing an object at line 1 column 1",
            ]
        );
        assert_eq!(summary.cases(), 10);
        let shown = Failures(failures).to_string();
        assert!(shown.starts_with("7 golden failure(s):\na.json / basic\n"), "{shown}");
    }

    #[test]
    fn every_call_needs_a_case() {
        let cases: Vec<Value> = all_calls().into_iter().filter(|case| case["call"] != "settle").collect();
        let (_, failures) = check(&[file("a.json", cases)], answer);
        assert_eq!(failures, ["no case calls `settle`: write at least one case a call, refusals included"]);
    }

    /// `comment` and `description` are optional in the format (the runner
    /// then fails the case for its missing comment); any other field is not.
    #[test]
    fn the_files_are_read_as_the_kernel_reads_them() {
        let bare = r#"{"cases": [{"name": "n", "call": "c", "input": {}, "expect": {}}]}"#;
        let golden: GoldenFile = serde_json::from_str(bare).unwrap();
        assert!(golden.description.is_none() && golden.cases[0].comment.is_none());
        let misspelt = r#"{"cases": [{"name": "n", "call": "c", "input": {}, "expect": {}, "coment": "x"}]}"#;
        let error = serde_json::from_str::<GoldenFile>(misspelt).unwrap_err().to_string();
        assert!(error.starts_with("unknown field `coment`"), "{error}");
        let extra = r#"{"descripton": "d", "cases": []}"#;
        assert!(serde_json::from_str::<GoldenFile>(extra).is_err());
    }

    #[test]
    fn the_folder_is_read_in_name_order_and_holds_only_json_files() {
        let dir = std::env::temp_dir().join(format!("county-kit-golden-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cases = all_calls();
        let last = cases.split_off(3);
        for (name, cases) in [("b.json", last), ("a.json", cases)] {
            std::fs::write(dir.join(name), json!({"cases": cases}).to_string()).unwrap();
        }
        let summary = run(&dir, answer).unwrap();
        let names: Vec<_> = summary.files.iter().map(|file| (file.name.as_str(), file.cases)).collect();
        assert_eq!(names, [("a.json", 3), ("b.json", 2)]);

        std::fs::write(dir.join("c.jsn"), "{}").unwrap();
        let failures = run(&dir, answer).unwrap_err();
        assert_eq!(
            failures.0,
            ["c.jsn: not a golden case file (*.json), which neither this runner nor the kernel reads"]
        );
        std::fs::remove_dir_all(&dir).unwrap();

        let failures = run(&dir, answer).unwrap_err();
        assert!(failures.0[0].starts_with(&format!("{}: no golden case file (*.json)", dir.display())));
        assert!(failures.0.iter().any(|failure| failure.starts_with("no case calls `adjudicate`")));
    }

    #[test]
    fn enum_cases_are_named_as_the_files_name_them() {
        #[derive(Debug)]
        enum ShareKind {
            CoPayment,
            Deductible,
        }
        assert_eq!(
            (snake_name(&ShareKind::CoPayment), snake_name(&ShareKind::Deductible)),
            ("co_payment".into(), "deductible".into())
        );
        assert_eq!(snake_name(&CareLevel::AboveCounty), "above_county");
        /// wit-bindgen's `Debug` of an enum names its type too.
        struct Generated;
        impl fmt::Debug for Generated {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("SettlementKind::SurplusReward")
            }
        }
        assert_eq!(snake_name(&Generated), "surplus_reward");
    }
}
