//! The mapping of the golden calls to a plugin's own component exports, for
//! the plugins that implement `qianyue:county@1.0.0` on the types
//! wit-bindgen generates (Jinzhai, Gulin and Ningbo Jiangdong).

/// The answer function [`run`](crate::golden::run) takes, for a plugin crate
/// `$plugin` that generates the world `county-plugin` of
/// `qianyue:county@1.0.0` with wit-bindgen at its root and exports it as
/// `pub struct County`: each case is answered by the very `County` calls the
/// kernel makes of the component, configured beforehand by the test.
///
/// A macro, not a function: wit-bindgen generates the request and answer
/// types inside each plugin crate, alike in every field but distinct types,
/// which no function of the kit can name. The mapping is the same for every
/// such plugin, so it is written once, here. A plugin with rule types of its
/// own (Pei) writes its mapping in its `tests/golden.rs` instead.
///
/// ```text
/// let summary = golden::run(&dir, county_kit::exports_v1_answer!(anhui_county))?;
/// ```
#[macro_export]
macro_rules! exports_v1_answer {
    ($plugin:ident) => {{
        use $crate::golden::__serde_json::{Value, json};
        use $crate::golden::{self as golden, Call, snake_name};
        use $plugin::County;
        use $plugin::exports::qianyue::county::catalogue::{EligibilityRequest, Guest as _};
        use $plugin::exports::qianyue::county::incentive::{Guest as _, ItemDelivery, PackageSignings, TeamActivity};
        use $plugin::exports::qianyue::county::insurance::{CareKind, CareLevel, Claim, Guest as _, YearToDate};
        use $plugin::exports::qianyue::county::pricing::{Guest as _, PriceRequest};
        use $plugin::qianyue::county::types::{Date, PopulationTags, Refusal, ResidentFacts, Sex};

        fn resident(input: golden::Resident) -> Result<ResidentFacts, String> {
            let sex = match input.sex {
                golden::Sex::Male => Sex::Male,
                golden::Sex::Female => Sex::Female,
            };
            // The files write `severe_mental_disorder`; bitflags names the
            // flag `SEVERE_MENTAL_DISORDER`.
            let mut tags = PopulationTags::empty();
            for name in &input.tags {
                let tag = PopulationTags::from_name(&name.to_uppercase());
                tags |= tag.ok_or_else(|| format!("unknown tag `{name}`"))?;
            }
            Ok(ResidentFacts { age: input.age, sex, tags })
        }

        fn date(input: golden::Date) -> Date {
            Date { year: input.year, month: input.month, day: input.day }
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

        fn run(call: Call) -> Result<Value, String> {
            Ok(match call {
                Call::BasicPackage(input) => answer(County::basic_package(resident(input)?), Value::from),
                Call::Eligible(input) => {
                    let request =
                        EligibilityRequest { package_code: input.package_code, resident: resident(input.resident)? };
                    answer(County::eligible(request), |()| Value::Null)
                }
                Call::Price(input) => {
                    let request = PriceRequest {
                        package_code: input.package_code,
                        resident: resident(input.resident)?,
                        starts_on: date(input.starts_on),
                    };
                    answer(County::price(request), |q| {
                        let adjustments: Vec<Value> = (q.adjustments.iter())
                            .map(|a| json!({ "kind": snake_name(&a.kind), "amount": a.amount, "reason": a.reason }))
                            .collect();
                        json!({
                            "list_price": q.list_price, "adjustments": adjustments,
                            "public_health_fund": q.public_health_fund, "insurance_fund": q.insurance_fund,
                            "self_pay": q.self_pay, "rule": q.rule,
                        })
                    })
                }
                Call::Adjudicate(input) => {
                    let ytd = input.year_to_date;
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
                            deductible_paid: ytd.deductible_paid,
                            outpatient_reimbursed: ytd.outpatient_reimbursed,
                            inpatient_reimbursed: ytd.inpatient_reimbursed,
                        },
                    };
                    answer(County::adjudicate(claim), |a| {
                        let shares: Vec<Value> = (a.shares.iter())
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
                        signings: (input.signings.into_iter())
                            .map(|s| PackageSignings { package_code: s.package_code, signings: s.signings })
                            .collect(),
                        deliveries: (input.deliveries.into_iter())
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
                    answer(County::settle(activity), |s| {
                        let lines: Vec<Value> = (s.lines.iter())
                            .map(|l| json!({ "kind": snake_name(&l.kind), "amount": l.amount, "reason": l.reason }))
                            .collect();
                        json!({ "lines": lines, "total": s.total })
                    })
                }
            })
        }

        run
    }};
}
