//! Runs every golden case in `golden/` against the rules with the shipped
//! `config.json`, natively, so that the files stay honest before the
//! kernel's `qianyue plugin test` runs them against the built component.
//!
//! The inputs are read into this file's own serde types (snake_case, unknown
//! fields refused, as the kernel reads them) and mapped to the rules' types;
//! each answer is turned back into the files' JSON and compared whole.

// All of this file is a test: a malformed golden file should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;

use pei_county::rules::incentive::{self, ItemDelivery, PackageSignings, SettlementKind, TeamActivity};
use pei_county::rules::insurance::{self, CareKind, CareLevel, Claim, Payer, ShareKind, YearToDate};
use pei_county::rules::{self, AdjustmentKind, Config, Date, PriceRequest, Refusal, Resident, Sex, Tag, Tags};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GoldenFile {
    #[allow(dead_code)]
    description: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// The rule the case tests and its arithmetic, for the people reading
    /// the file. Optional in the kernel's format; required here, because
    /// issue 7 wants every Pei case documented.
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

fn tag(name: &str) -> Tag {
    let found = Tag::ALL.into_iter().find(|tag| tag.en().replace('-', "_") == name);
    found.unwrap_or_else(|| panic!("unknown tag `{name}`"))
}

fn resident(input: ResidentIn) -> Resident {
    let sex = match input.sex.as_str() {
        "male" => Sex::Male,
        "female" => Sex::Female,
        other => panic!("unknown sex `{other}`"),
    };
    let tags = input.tags.iter().fold(Tags::EMPTY, |tags, name| tags.with(tag(name)));
    Resident { age: input.age, sex, tags }
}

fn date(text: &str) -> Date {
    let parts: Vec<&str> = text.split('-').collect();
    match parts[..] {
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

fn adjustment_kind(kind: AdjustmentKind) -> &'static str {
    match kind {
        AdjustmentKind::Discount => "discount",
        AdjustmentKind::Waiver => "waiver",
    }
}

fn share_kind(kind: ShareKind) -> &'static str {
    match kind {
        ShareKind::Deductible => "deductible",
        ShareKind::Reimbursement => "reimbursement",
        ShareKind::CoPayment => "co_payment",
        ShareKind::OverCap => "over_cap",
        ShareKind::TopUp => "top_up",
        ShareKind::Compensation => "compensation",
    }
}

fn payer(payer: Payer) -> &'static str {
    match payer {
        Payer::InsuranceFund => "insurance_fund",
        Payer::HealthCentre => "health_centre",
        Payer::MedicalAssistance => "medical_assistance",
        Payer::Resident => "resident",
    }
}

fn settlement_kind(kind: SettlementKind) -> &'static str {
    match kind {
        SettlementKind::PerSigning => "per_signing",
        SettlementKind::Fulfilment => "fulfilment",
        SettlementKind::Capitation => "capitation",
        SettlementKind::SurplusReward => "surplus_reward",
        SettlementKind::Subsidy => "subsidy",
    }
}

fn answer<T>(result: Result<T, Refusal>, ok: impl FnOnce(T) -> Value) -> Value {
    match result {
        Ok(value) => json!({ "ok": ok(value) }),
        Err(Refusal::UnknownPackage(text)) => json!({ "refused": { "unknown_package": text } }),
        Err(Refusal::NotEligible(text)) => json!({ "refused": { "not_eligible": text } }),
        Err(Refusal::InvalidRequest(text)) => json!({ "refused": { "invalid_request": text } }),
    }
}

fn parse<T: serde::de::DeserializeOwned>(case: &Case) -> T {
    serde_json::from_value(case.input.clone()).unwrap_or_else(|e| panic!("{}: bad input: {e}", case.name))
}

fn run(config: &Config, case: &Case) -> Value {
    match case.call.as_str() {
        "basic_package" => answer(rules::basic_package(&resident(parse(case))), Value::from),
        "eligible" => {
            let input: EligibleIn = parse(case);
            answer(rules::eligible(&input.package_code, &resident(input.resident)), |_| Value::Null)
        }
        "price" => {
            let input: PriceIn = parse(case);
            let request = PriceRequest {
                package_code: input.package_code,
                resident: resident(input.resident),
                starts_on: date(&input.starts_on),
            };
            answer(rules::price(config, &request), |q| {
                let adjustments: Vec<Value> = q
                    .adjustments
                    .into_iter()
                    .map(|a| json!({ "kind": adjustment_kind(a.kind), "amount": a.amount, "reason": a.reason }))
                    .collect();
                json!({
                    "list_price": q.list_price,
                    "adjustments": adjustments,
                    "public_health_fund": q.public_health_fund,
                    "insurance_fund": q.insurance_fund,
                    "self_pay": q.self_pay,
                    "rule": q.rule,
                })
            })
        }
        "adjudicate" => {
            let input: ClaimIn = parse(case);
            let claim = Claim {
                resident: resident(input.resident),
                signed_packages: input.signed_packages,
                kind: care_kind(&input.kind),
                level: care_level(&input.level),
                referred: input.referred,
                on: date(&input.on),
                amount: input.amount,
                year_to_date: YearToDate {
                    deductible_paid: input.year_to_date.deductible_paid,
                    outpatient_reimbursed: input.year_to_date.outpatient_reimbursed,
                    inpatient_reimbursed: input.year_to_date.inpatient_reimbursed,
                },
            };
            answer(insurance::adjudicate(config, &claim), |a| {
                let shares: Vec<Value> = a
                    .shares
                    .into_iter()
                    .map(|s| {
                        json!({ "kind": share_kind(s.kind), "payer": payer(s.payer), "amount": s.amount, "reason": s.reason })
                    })
                    .collect();
                json!({ "shares": shares })
            })
        }
        "settle" => {
            let input: ActivityIn = parse(case);
            let activity = TeamActivity {
                period: input.period,
                residents_signed: input.residents_signed,
                households_signed: input.households_signed,
                signings: input
                    .signings
                    .into_iter()
                    .map(|s| PackageSignings { package_code: s.package_code, signings: s.signings })
                    .collect(),
                deliveries: input
                    .deliveries
                    .into_iter()
                    .map(|d| ItemDelivery {
                        package_code: d.package_code,
                        item_code: d.item_code,
                        owed: d.owed,
                        delivered: d.delivered,
                    })
                    .collect(),
                assessment_score: input.assessment_score,
                care_spent: input.care_spent,
            };
            answer(incentive::settle(config, &activity), |s| {
                let lines: Vec<Value> = s
                    .lines
                    .into_iter()
                    .map(|l| json!({ "kind": settlement_kind(l.kind), "amount": l.amount, "reason": l.reason }))
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
    let config = Config::parse(&fs::read_to_string(root.join("config.json")).unwrap()).unwrap();
    let mut files: Vec<_> = fs::read_dir(root.join("golden")).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    let mut count = 0;
    let mut calls = std::collections::HashSet::new();
    let mut failures = Vec::new();
    for path in &files {
        assert_eq!(path.extension().and_then(|e| e.to_str()), Some("json"), "{}", path.display());
        let file: GoldenFile = serde_json::from_str(&fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // A case is reported by file and name, so names are unique per file.
        let mut names = std::collections::HashSet::new();
        for case in &file.cases {
            assert!(names.insert(&case.name), "{}: case name `{}` is used twice", path.display(), case.name);
            count += 1;
            calls.insert(case.call.clone());
            let file = path.file_name().unwrap().to_string_lossy();
            if case.comment.as_deref().is_none_or(|comment| comment.trim().is_empty()) {
                failures.push(format!("{file} / {}\n  no comment: state the rule and its arithmetic", case.name));
            }
            let actual = run(&config, case);
            if actual != case.expect {
                failures.push(format!("{file} / {}\n  expected: {}\n  actual:   {}", case.name, case.expect, actual));
            }
        }
    }
    assert!(failures.is_empty(), "{} golden case(s) failed:\n{}", failures.len(), failures.join("\n"));
    assert!(count >= 30, "only {count} golden cases");
    let mut calls: Vec<_> = calls.into_iter().collect();
    calls.sort();
    assert_eq!(calls, ["adjudicate", "basic_package", "eligible", "price", "settle"]);
}
