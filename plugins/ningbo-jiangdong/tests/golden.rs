//! Runs every case of `golden/*.json` natively against the plugin with the
//! shipped `config.json`, through the same `County` calls the component
//! exports, so that `cargo test` catches the golden files and the rules
//! drifting apart before `qianyue plugin test` runs them on the component.
//!
//! Files are read as the kernel reads them (kernel/src/plugins/golden.rs):
//! `description` optional; each case `name`, `call`, `input`, `expect` and
//! an optional `comment`; nothing else. This plugin's own rule on top: every
//! case carries a comment stating the rule and its arithmetic.

// A malformed golden file should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use ningbo_jiangdong::County;
use ningbo_jiangdong::exports::qianyue::county::catalogue::{EligibilityRequest, Guest as _};
use ningbo_jiangdong::exports::qianyue::county::incentive::{
    Guest as _, ItemDelivery, PackageSignings, SettlementKind, TeamActivity,
};
use ningbo_jiangdong::exports::qianyue::county::insurance::{
    CareKind, CareLevel, Claim, Guest as _, Payer, ShareKind, YearToDate,
};
use ningbo_jiangdong::exports::qianyue::county::pricing::{AdjustmentKind, Guest as _, PriceRequest};
use ningbo_jiangdong::exports::qianyue::county::setup::Guest as _;
use ningbo_jiangdong::qianyue::county::types::{Date, PopulationTags, Refusal, ResidentFacts, Sex};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GoldenFile {
    #[allow(dead_code)]
    description: Option<String>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    comment: Option<String>,
    call: String,
    input: Value,
    expect: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResidentIn {
    age: u8,
    sex: String,
    tags: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EligibleIn {
    package_code: String,
    resident: ResidentIn,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceIn {
    package_code: String,
    resident: ResidentIn,
    starts_on: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearToDateIn {
    deductible_paid: i64,
    outpatient_reimbursed: i64,
    inpatient_reimbursed: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimIn {
    resident: ResidentIn,
    signed_packages: Vec<String>,
    kind: String,
    level: String,
    referred: bool,
    on: String,
    amount: i64,
    year_to_date: YearToDateIn,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SigningsIn {
    package_code: String,
    signings: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveryIn {
    package_code: String,
    item_code: String,
    owed: u32,
    delivered: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivityIn {
    period: u16,
    residents_signed: u32,
    households_signed: u32,
    signings: Vec<SigningsIn>,
    deliveries: Vec<DeliveryIn>,
    assessment_score: u8,
    care_spent: i64,
}

fn resident(input: ResidentIn) -> ResidentFacts {
    let sex = match input.sex.as_str() {
        "male" => Sex::Male,
        "female" => Sex::Female,
        other => panic!("unknown sex `{other}`"),
    };
    // The files write `severe_mental_disorder`; bitflags names the flag
    // `SEVERE_MENTAL_DISORDER`.
    let tags = input.tags.iter().fold(PopulationTags::empty(), |tags, name| {
        tags | PopulationTags::from_name(&name.to_uppercase()).unwrap_or_else(|| panic!("unknown tag `{name}`"))
    });
    ResidentFacts { age: input.age, sex, tags }
}

fn date(text: &str) -> Date {
    match text.split('-').collect::<Vec<_>>()[..] {
        [year, month, day] if year.len() == 4 && month.len() == 2 && day.len() == 2 => {
            Date { year: year.parse().unwrap(), month: month.parse().unwrap(), day: day.parse().unwrap() }
        }
        _ => panic!("`{text}` is not YYYY-MM-DD"),
    }
}

fn care_kind(name: &str) -> CareKind {
    match name {
        "outpatient" => CareKind::Outpatient,
        "inpatient" => CareKind::Inpatient,
        "rehabilitation" => CareKind::Rehabilitation,
        other => panic!("unknown care kind `{other}`"),
    }
}

fn care_level(name: &str) -> CareLevel {
    match name {
        "village_clinic" => CareLevel::VillageClinic,
        "township_centre" => CareLevel::TownshipCentre,
        "county_hospital" => CareLevel::CountyHospital,
        "above_county" => CareLevel::AboveCounty,
        other => panic!("unknown care level `{other}`"),
    }
}

fn adjustment_name(kind: AdjustmentKind) -> &'static str {
    match kind {
        AdjustmentKind::Discount => "discount",
        AdjustmentKind::Waiver => "waiver",
    }
}

fn share_name(kind: ShareKind) -> &'static str {
    match kind {
        ShareKind::Deductible => "deductible",
        ShareKind::Reimbursement => "reimbursement",
        ShareKind::CoPayment => "co_payment",
        ShareKind::OverCap => "over_cap",
        ShareKind::TopUp => "top_up",
        ShareKind::Compensation => "compensation",
    }
}

fn payer_name(payer: Payer) -> &'static str {
    match payer {
        Payer::InsuranceFund => "insurance_fund",
        Payer::HealthCentre => "health_centre",
        Payer::MedicalAssistance => "medical_assistance",
        Payer::Resident => "resident",
    }
}

fn line_name(kind: SettlementKind) -> &'static str {
    match kind {
        SettlementKind::PerSigning => "per_signing",
        SettlementKind::Fulfilment => "fulfilment",
        SettlementKind::Capitation => "capitation",
        SettlementKind::SurplusReward => "surplus_reward",
        SettlementKind::Subsidy => "subsidy",
    }
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

fn input<T: serde::de::DeserializeOwned>(case: &Case) -> T {
    serde_json::from_value(case.input.clone()).unwrap_or_else(|e| panic!("{}: bad input: {e}", case.name))
}

fn run(case: &Case) -> Value {
    match case.call.as_str() {
        "basic_package" => answer(County::basic_package(resident(input(case))), Value::from),
        "eligible" => {
            let i: EligibleIn = input(case);
            let request = EligibilityRequest { package_code: i.package_code, resident: resident(i.resident) };
            answer(County::eligible(request), |()| Value::Null)
        }
        "price" => {
            let i: PriceIn = input(case);
            let request = PriceRequest {
                package_code: i.package_code,
                resident: resident(i.resident),
                starts_on: date(&i.starts_on),
            };
            answer(County::price(request), |q| {
                let adjustments: Vec<Value> = (q.adjustments.into_iter())
                    .map(|a| json!({ "kind": adjustment_name(a.kind), "amount": a.amount, "reason": a.reason }))
                    .collect();
                json!({
                    "list_price": q.list_price, "adjustments": adjustments, "public_health_fund": q.public_health_fund,
                    "insurance_fund": q.insurance_fund, "self_pay": q.self_pay, "rule": q.rule,
                })
            })
        }
        "adjudicate" => {
            let i: ClaimIn = input(case);
            let claim = Claim {
                resident: resident(i.resident),
                signed_packages: i.signed_packages,
                kind: care_kind(&i.kind),
                level: care_level(&i.level),
                referred: i.referred,
                on: date(&i.on),
                amount: i.amount,
                year_to_date: YearToDate {
                    deductible_paid: i.year_to_date.deductible_paid,
                    outpatient_reimbursed: i.year_to_date.outpatient_reimbursed,
                    inpatient_reimbursed: i.year_to_date.inpatient_reimbursed,
                },
            };
            answer(County::adjudicate(claim), |a| {
                let shares: Vec<Value> = (a.shares.into_iter())
                    .map(|s| {
                        json!({ "kind": share_name(s.kind), "payer": payer_name(s.payer), "amount": s.amount, "reason": s.reason })
                    })
                    .collect();
                json!({ "shares": shares })
            })
        }
        "settle" => {
            let i: ActivityIn = input(case);
            let activity = TeamActivity {
                period: i.period,
                residents_signed: i.residents_signed,
                households_signed: i.households_signed,
                signings: (i.signings.into_iter())
                    .map(|s| PackageSignings { package_code: s.package_code, signings: s.signings })
                    .collect(),
                deliveries: (i.deliveries.into_iter())
                    .map(|d| ItemDelivery {
                        package_code: d.package_code,
                        item_code: d.item_code,
                        owed: d.owed,
                        delivered: d.delivered,
                    })
                    .collect(),
                assessment_score: i.assessment_score,
                care_spent: i.care_spent,
            };
            answer(County::settle(activity), |s| {
                let lines: Vec<Value> = (s.lines.into_iter())
                    .map(|l| json!({ "kind": line_name(l.kind), "amount": l.amount, "reason": l.reason }))
                    .collect();
                json!({ "lines": lines, "total": s.total })
            })
        }
        other => panic!("{}: unknown call `{other}`", case.name),
    }
}

#[test]
fn golden_cases_answer_as_expected() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    County::configure(fs::read_to_string(root.join("config.json")).unwrap()).unwrap();
    let mut paths: Vec<_> = fs::read_dir(root.join("golden")).unwrap().map(|entry| entry.unwrap().path()).collect();
    paths.sort();
    let (mut count, mut calls, mut failures) = (0, BTreeSet::new(), Vec::new());
    for path in &paths {
        assert_eq!(path.extension().and_then(|e| e.to_str()), Some("json"), "{}", path.display());
        let file: GoldenFile = serde_json::from_str(&fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut names = BTreeSet::new();
        for case in &file.cases {
            let where_ = format!("{} / {}", path.file_name().unwrap().to_string_lossy(), case.name);
            assert!(names.insert(case.name.as_str()), "{where_}: the name is used twice in the file");
            assert!(case.comment.as_deref().is_some_and(|c| !c.trim().is_empty()), "{where_}: no comment");
            count += 1;
            calls.insert(case.call.clone());
            let actual = run(case);
            if actual != case.expect {
                failures.push(format!("{where_}\n  expected: {}\n  actual:   {actual}", case.expect));
            }
        }
    }
    assert!(failures.is_empty(), "{} golden case(s) failed:\n{}", failures.len(), failures.join("\n"));
    assert!(count >= 30, "only {count} golden cases");
    assert_eq!(calls.into_iter().collect::<Vec<_>>(), ["adjudicate", "basic_package", "eligible", "price", "settle"]);
}

/// The comment is optional in the format: a file without one still runs.
#[test]
fn a_case_without_comment_is_read() {
    let text = r#"{"cases": [{"name": "n", "call": "basic_package", "input": {"age": 1, "sex": "male", "tags": ["child"]}, "expect": {"ok": "NBJD-JC"}}]}"#;
    let file: GoldenFile = serde_json::from_str(text).unwrap();
    assert!(file.cases[0].comment.is_none());
    let unknown = r#"{"cases": [{"name": "n", "note": "x", "call": "basic_package", "input": {}, "expect": {}}]}"#;
    assert!(serde_json::from_str::<GoldenFile>(unknown).is_err(), "fields outside the format are refused");
}
