//! Runs every case of `golden/*.json` natively against the plugin with the
//! shipped `config.json`, as the kernel's `qianyue plugin test` runs them
//! against the built component, so that `cargo test` catches a golden file
//! and the rules drifting apart. Nothing here is county-specific: add cases
//! to `golden/`, not code here, each with a `comment` stating the rule it
//! tests and its arithmetic (a case without one fails).

// A malformed golden file should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::fmt::Debug;
use std::fs;
use std::path::Path;

use poverty_county::County;
use poverty_county::exports::qianyue::county::catalogue::{EligibilityRequest, Guest as _};
use poverty_county::exports::qianyue::county::incentive::{Guest as _, ItemDelivery, PackageSignings, TeamActivity};
use poverty_county::exports::qianyue::county::insurance::{CareKind, CareLevel, Claim, Guest as _, YearToDate};
use poverty_county::exports::qianyue::county::pricing::{Guest as _, PriceRequest};
use poverty_county::exports::qianyue::county::setup::Guest as _;
use poverty_county::qianyue::county::types::{Date, PopulationTags, Refusal, ResidentFacts, Sex};
use serde_json::{Value, json};

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}")).to_string()
}

fn int<T: TryFrom<i64>>(value: &Value) -> T {
    value.as_i64().and_then(|n| T::try_from(n).ok()).unwrap_or_else(|| panic!("not a fitting integer: {value}"))
}

fn list(value: &Value) -> &Vec<Value> {
    value.as_array().unwrap_or_else(|| panic!("not a list: {value}"))
}

/// A WIT enum case as the files name it: `ShareKind::CoPayment` is `co_payment`.
fn name(case: &impl Debug) -> String {
    let debug = format!("{case:?}");
    let mut name = String::new();
    for (i, c) in debug.rsplit("::").next().unwrap_or_default().chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

/// The case of `cases` the file names.
fn pick<T: Debug>(cases: impl IntoIterator<Item = T>, value: &Value) -> T {
    let wanted = text(value);
    cases.into_iter().find(|case| name(case) == wanted).unwrap_or_else(|| panic!("unknown case `{wanted}`"))
}

fn resident(value: &Value) -> ResidentFacts {
    let tag = |t: &Value| PopulationTags::from_name(&text(t).to_uppercase()).unwrap_or_else(|| panic!("tag {t}"));
    ResidentFacts {
        age: int(&value["age"]),
        sex: pick([Sex::Male, Sex::Female], &value["sex"]),
        tags: list(&value["tags"]).iter().fold(PopulationTags::empty(), |tags, t| tags | tag(t)),
    }
}

fn date(value: &Value) -> Date {
    let text = text(value);
    let part = |i: usize| text.split('-').nth(i).unwrap_or_else(|| panic!("`{text}` is not YYYY-MM-DD"));
    Date { year: part(0).parse().unwrap(), month: part(1).parse().unwrap(), day: part(2).parse().unwrap() }
}

/// An answer in the files' shape: `{"ok": …}` or `{"refused": {…}}`.
fn answer<T>(result: Result<T, Refusal>, ok: impl FnOnce(T) -> Value) -> Value {
    match result {
        Ok(value) => json!({ "ok": ok(value) }),
        Err(Refusal::UnknownPackage(text)) => json!({ "refused": { "unknown_package": text } }),
        Err(Refusal::NotEligible(text)) => json!({ "refused": { "not_eligible": text } }),
        Err(Refusal::InvalidRequest(text)) => json!({ "refused": { "invalid_request": text } }),
    }
}

fn run(call: &str, input: &Value) -> Value {
    match call {
        "basic_package" => answer(County::basic_package(resident(input)), Value::from),
        "eligible" => {
            let request = EligibilityRequest {
                package_code: text(&input["package_code"]),
                resident: resident(&input["resident"]),
            };
            answer(County::eligible(request), |()| Value::Null)
        }
        "price" => {
            let request = PriceRequest {
                package_code: text(&input["package_code"]),
                resident: resident(&input["resident"]),
                starts_on: date(&input["starts_on"]),
            };
            answer(County::price(request), |q| {
                let adjustments: Vec<Value> = (q.adjustments.iter())
                    .map(|a| json!({ "kind": name(&a.kind), "amount": a.amount, "reason": a.reason }))
                    .collect();
                json!({
                    "list_price": q.list_price, "adjustments": adjustments, "public_health_fund": q.public_health_fund,
                    "insurance_fund": q.insurance_fund, "self_pay": q.self_pay, "rule": q.rule,
                })
            })
        }
        "adjudicate" => {
            let ytd = &input["year_to_date"];
            let claim = Claim {
                resident: resident(&input["resident"]),
                signed_packages: list(&input["signed_packages"]).iter().map(text).collect(),
                kind: pick([CareKind::Outpatient, CareKind::Inpatient, CareKind::Rehabilitation], &input["kind"]),
                level: pick(
                    [
                        CareLevel::VillageClinic,
                        CareLevel::TownshipCentre,
                        CareLevel::CountyHospital,
                        CareLevel::AboveCounty,
                    ],
                    &input["level"],
                ),
                referred: input["referred"].as_bool().unwrap(),
                on: date(&input["on"]),
                amount: int(&input["amount"]),
                year_to_date: YearToDate {
                    deductible_paid: int(&ytd["deductible_paid"]),
                    outpatient_reimbursed: int(&ytd["outpatient_reimbursed"]),
                    inpatient_reimbursed: int(&ytd["inpatient_reimbursed"]),
                },
            };
            answer(County::adjudicate(claim), |a| {
                let shares: Vec<Value> = (a.shares.iter())
                    .map(|s| json!({ "kind": name(&s.kind), "payer": name(&s.payer), "amount": s.amount, "reason": s.reason }))
                    .collect();
                json!({ "shares": shares })
            })
        }
        "settle" => {
            let activity = TeamActivity {
                period: int(&input["period"]),
                residents_signed: int(&input["residents_signed"]),
                households_signed: int(&input["households_signed"]),
                signings: (list(&input["signings"]).iter())
                    .map(|s| PackageSignings { package_code: text(&s["package_code"]), signings: int(&s["signings"]) })
                    .collect(),
                deliveries: (list(&input["deliveries"]).iter())
                    .map(|d| ItemDelivery {
                        package_code: text(&d["package_code"]),
                        item_code: text(&d["item_code"]),
                        owed: int(&d["owed"]),
                        delivered: int(&d["delivered"]),
                    })
                    .collect(),
                assessment_score: int(&input["assessment_score"]),
                care_spent: int(&input["care_spent"]),
            };
            answer(County::settle(activity), |s| {
                let lines: Vec<Value> = (s.lines.iter())
                    .map(|l| json!({ "kind": name(&l.kind), "amount": l.amount, "reason": l.reason }))
                    .collect();
                json!({ "lines": lines, "total": s.total })
            })
        }
        other => panic!("unknown call `{other}`"),
    }
}

/// A case's fields, as the kernel reads them. `comment` is optional there;
/// here every case must say which rule it tests and its arithmetic.
const CASE_FIELDS: [&str; 5] = ["name", "comment", "call", "input", "expect"];

#[test]
fn golden_cases_answer_as_expected() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    County::configure(fs::read_to_string(root.join("config.json")).unwrap()).unwrap();
    let mut paths: Vec<_> = fs::read_dir(root.join("golden")).unwrap().map(|entry| entry.unwrap().path()).collect();
    paths.sort();
    let (mut count, mut failures) = (0, Vec::new());
    for path in paths.iter().filter(|path| path.extension().is_some_and(|ext| ext == "json")) {
        let file: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
        for case in list(&file["cases"]) {
            count += 1;
            let (file, name) = (path.display(), text(&case["name"]));
            // The kernel refuses any other field of a case.
            let fields = case.as_object().unwrap_or_else(|| panic!("{file} / {name}: not an object"));
            if let Some(field) = fields.keys().find(|field| !CASE_FIELDS.contains(&field.as_str())) {
                failures.push(format!("{file} / {name}\n  unknown field `{field}` (known: {CASE_FIELDS:?})"));
            }
            if case["comment"].as_str().is_none_or(|comment| comment.trim().is_empty()) {
                failures.push(format!("{file} / {name}\n  no comment: state the rule and its arithmetic"));
            }
            let actual = run(&text(&case["call"]), &case["input"]);
            if actual != case["expect"] {
                let expected = &case["expect"];
                failures.push(format!("{file} / {name}\n  expected: {expected}\n  actual:   {actual}"));
            }
        }
    }
    assert!(count > 0, "no golden cases");
    assert!(failures.is_empty(), "{} golden case(s) failed:\n{}", failures.len(), failures.join("\n"));
}
