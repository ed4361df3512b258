//! Runs every golden case in `golden/` against the rules with the shipped
//! `config.json`, natively, so that the files stay honest before the
//! kernel's `qianyue plugin test` runs them against the built component.
//!
//! The kit's runner reads the files and their inputs as the kernel does and
//! holds every case to a comment (issue 7 wants every Pei case documented);
//! this file maps each input to the rules' types and each answer back to the
//! files' JSON, which the runner compares whole.

use std::fs;
use std::path::Path;

use county_kit::golden::{self, Call, snake_name};
use pei_county::rules::incentive::{self, ItemDelivery, PackageSignings, TeamActivity};
use pei_county::rules::insurance::{self, CareKind, CareLevel, Claim, YearToDate};
use pei_county::rules::{self, Config, Date, PriceRequest, Refusal, Resident, Sex, Tag, Tags};
use serde_json::{Value, json};

fn resident(input: golden::Resident) -> Result<Resident, String> {
    let sex = match input.sex {
        golden::Sex::Male => Sex::Male,
        golden::Sex::Female => Sex::Female,
    };
    let mut tags = Tags::EMPTY;
    for name in &input.tags {
        let tag = Tag::ALL.into_iter().find(|tag| tag.en().replace('-', "_") == *name);
        tags = tags.with(tag.ok_or_else(|| format!("unknown tag `{name}`"))?);
    }
    Ok(Resident { age: input.age, sex, tags })
}

fn date(input: golden::Date) -> Date {
    Date { year: input.year, month: input.month, day: input.day }
}

fn answer<T>(result: Result<T, Refusal>, ok: impl FnOnce(T) -> Value) -> Value {
    match result {
        Ok(value) => json!({ "ok": ok(value) }),
        Err(Refusal::UnknownPackage(text)) => json!({ "refused": { "unknown_package": text } }),
        Err(Refusal::NotEligible(text)) => json!({ "refused": { "not_eligible": text } }),
        Err(Refusal::InvalidRequest(text)) => json!({ "refused": { "invalid_request": text } }),
    }
}

fn run(config: &Config, call: Call) -> Result<Value, String> {
    Ok(match call {
        Call::BasicPackage(input) => answer(rules::basic_package(&resident(input)?), Value::from),
        Call::Eligible(input) => {
            answer(rules::eligible(&input.package_code, &resident(input.resident)?), |_| Value::Null)
        }
        Call::Price(input) => {
            let request = PriceRequest {
                package_code: input.package_code,
                resident: resident(input.resident)?,
                starts_on: date(input.starts_on),
            };
            answer(rules::price(config, &request), |q| {
                let adjustments: Vec<Value> = q
                    .adjustments
                    .into_iter()
                    .map(|a| json!({ "kind": snake_name(&a.kind), "amount": a.amount, "reason": a.reason }))
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
        Call::Adjudicate(input) => {
            let claim = Claim {
                resident: resident(input.resident)?,
                signed_packages: input.signed_packages,
                kind: match input.kind {
                    golden::CareKind::Outpatient => CareKind::Outpatient,
                    golden::CareKind::Inpatient => CareKind::Inpatient,
                    golden::CareKind::Rehabilitation => CareKind::Rehabilitation,
                },
                level: match input.level {
                    golden::CareLevel::VillageClinic => CareLevel::VillageClinic,
                    golden::CareLevel::TownshipCentre => CareLevel::TownshipCentre,
                    golden::CareLevel::CountyHospital => CareLevel::CountyHospital,
                    golden::CareLevel::AboveCounty => CareLevel::AboveCounty,
                },
                referred: input.referred,
                on: date(input.on),
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
                        let (kind, payer) = (snake_name(&s.kind), snake_name(&s.payer));
                        json!({ "kind": kind, "payer": payer, "amount": s.amount, "reason": s.reason })
                    })
                    .collect();
                json!({ "shares": shares })
            })
        }
        Call::Settle(input) => {
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
                    .map(|l| json!({ "kind": snake_name(&l.kind), "amount": l.amount, "reason": l.reason }))
                    .collect();
                json!({ "lines": lines, "total": s.total })
            })
        }
    })
}

#[test]
fn golden_cases_answer_as_expected() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::parse(&fs::read_to_string(root.join("config.json")).unwrap()).unwrap();
    let summary = golden::run(&root.join("golden"), |call| run(&config, call)).unwrap_or_else(|e| panic!("{e}"));
    assert!(summary.cases() >= 30, "only {} golden cases", summary.cases());
    // Optional in the format; Pei's files each say what they cover.
    for file in &summary.files {
        assert!(file.description.is_some(), "{}: no description", file.name);
    }
}
