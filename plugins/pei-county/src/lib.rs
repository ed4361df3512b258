//! Pei County (沛县, Xuzhou, GB/T 2260 `320322`) county plugin for the Qianyue
//! kernel: its family-doctor service packages, pricing, insurance and
//! incentive rules, as a WebAssembly component exporting the
//! `qianyue:county@1.0.0` world `county-plugin`.
//!
//! The rules live in [`rules`], plain Rust tested natively; this file keeps
//! the configuration between calls and converts between the rules and the
//! types wit-bindgen generates.

pub mod rules;

use std::cell::RefCell;

wit_bindgen::generate!({
    path: "../../wit/v1.0.0",
    world: "county-plugin",
});

use exports::qianyue::county::{catalogue, incentive, insurance, pricing, setup};
use qianyue::county::types::{Date, Item, Package, PackageKind, PopulationTags, Refusal, ResidentFacts, Sex};

thread_local! {
    /// The accepted configuration. Not a `OnceLock`: the host may configure
    /// an instance again, and a refused document must leave it unconfigured.
    static CONFIG: RefCell<Option<rules::Config>> = const { RefCell::new(None) };
}

/// Runs `f` with the configuration, or refuses as the WIT asks of any call
/// made before a successful `configure`.
fn with_config<T>(f: impl FnOnce(&rules::Config) -> Result<T, rules::Refusal>) -> Result<T, Refusal> {
    CONFIG
        .with_borrow(|config| match config {
            Some(config) => f(config),
            None => Err(rules::not_configured()),
        })
        .map_err(refusal_to_wit)
}

/// Accepts or refuses a configuration document; split from the export so
/// that native tests configure the very same way.
fn configure(document: &str) -> Result<(), String> {
    let parsed = rules::Config::parse(document);
    CONFIG.with_borrow_mut(|config| *config = parsed.as_ref().ok().cloned());
    parsed.map(|_| ())
}

/// One row per WIT flag; the conversion is a table so that a flag missing
/// on either side stands out in review.
const TAG_FLAGS: [(rules::Tag, PopulationTags); 16] = [
    (rules::Tag::Elderly, PopulationTags::ELDERLY),
    (rules::Tag::Child, PopulationTags::CHILD),
    (rules::Tag::Kindergarten, PopulationTags::KINDERGARTEN),
    (rules::Tag::Maternal, PopulationTags::MATERNAL),
    (rules::Tag::Hypertension, PopulationTags::HYPERTENSION),
    (rules::Tag::Diabetes, PopulationTags::DIABETES),
    (rules::Tag::Tuberculosis, PopulationTags::TUBERCULOSIS),
    (rules::Tag::SevereMentalDisorder, PopulationTags::SEVERE_MENTAL_DISORDER),
    (rules::Tag::Disabled, PopulationTags::DISABLED),
    (rules::Tag::Copd, PopulationTags::COPD),
    (rules::Tag::Stroke, PopulationTags::STROKE),
    (rules::Tag::Tumour, PopulationTags::TUMOUR),
    (rules::Tag::RegisteredPoor, PopulationTags::REGISTERED_POOR),
    (rules::Tag::LiftedOutOfPoverty, PopulationTags::LIFTED_OUT_OF_POVERTY),
    (rules::Tag::PovertyMonitoring, PopulationTags::POVERTY_MONITORING),
    (rules::Tag::SpecialFamilyPlanning, PopulationTags::SPECIAL_FAMILY_PLANNING),
];

fn tags_from_wit(flags: PopulationTags) -> rules::Tags {
    TAG_FLAGS
        .iter()
        .filter(|(_, flag)| flags.contains(*flag))
        .fold(rules::Tags::EMPTY, |tags, (tag, _)| tags.with(*tag))
}

fn tags_to_wit(tags: rules::Tags) -> PopulationTags {
    TAG_FLAGS
        .iter()
        .filter(|(tag, _)| tags.contains(*tag))
        .fold(PopulationTags::empty(), |flags, (_, flag)| flags | *flag)
}

fn resident_from_wit(resident: ResidentFacts) -> rules::Resident {
    rules::Resident {
        age: resident.age,
        sex: match resident.sex {
            Sex::Male => rules::Sex::Male,
            Sex::Female => rules::Sex::Female,
        },
        tags: tags_from_wit(resident.tags),
    }
}

fn date_from_wit(date: Date) -> rules::Date {
    rules::Date { year: date.year, month: date.month, day: date.day }
}

fn refusal_to_wit(refusal: rules::Refusal) -> Refusal {
    match refusal {
        rules::Refusal::UnknownPackage(code) => Refusal::UnknownPackage(code),
        rules::Refusal::NotEligible(reason) => Refusal::NotEligible(reason),
        rules::Refusal::InvalidRequest(reason) => Refusal::InvalidRequest(reason),
    }
}

fn package_to_wit(package: &rules::Package, list_price: i64) -> Package {
    Package {
        code: package.code.to_string(),
        name: package.name.to_string(),
        kind: match package.kind {
            rules::Kind::Basic => PackageKind::Basic,
            rules::Kind::Personalised => PackageKind::Personalised,
        },
        target_groups: tags_to_wit(package.target_groups),
        bundled_with: package.bundled_with.map(str::to_string),
        items: package
            .items
            .iter()
            .map(|item| Item {
                code: item.code.to_string(),
                name: item.name.to_string(),
                times_per_year: item.times_per_year,
                price_cap: item.price_cap,
            })
            .collect(),
        list_price,
    }
}

fn quote_to_wit(quote: rules::Quote) -> pricing::Quote {
    pricing::Quote {
        list_price: quote.list_price,
        adjustments: quote
            .adjustments
            .into_iter()
            .map(|adjustment| pricing::Adjustment {
                kind: match adjustment.kind {
                    rules::AdjustmentKind::Discount => pricing::AdjustmentKind::Discount,
                    rules::AdjustmentKind::Waiver => pricing::AdjustmentKind::Waiver,
                },
                amount: adjustment.amount,
                reason: adjustment.reason,
            })
            .collect(),
        public_health_fund: quote.public_health_fund,
        insurance_fund: quote.insurance_fund,
        self_pay: quote.self_pay,
        rule: quote.rule,
    }
}

fn claim_from_wit(claim: insurance::Claim) -> rules::insurance::Claim {
    use rules::insurance::{CareKind, CareLevel, Claim, YearToDate};
    Claim {
        resident: resident_from_wit(claim.resident),
        signed_packages: claim.signed_packages,
        kind: match claim.kind {
            insurance::CareKind::Outpatient => CareKind::Outpatient,
            insurance::CareKind::Inpatient => CareKind::Inpatient,
            insurance::CareKind::Rehabilitation => CareKind::Rehabilitation,
        },
        level: match claim.level {
            insurance::CareLevel::VillageClinic => CareLevel::VillageClinic,
            insurance::CareLevel::TownshipCentre => CareLevel::TownshipCentre,
            insurance::CareLevel::CountyHospital => CareLevel::CountyHospital,
            insurance::CareLevel::AboveCounty => CareLevel::AboveCounty,
        },
        referred: claim.referred,
        on: date_from_wit(claim.on),
        amount: claim.amount,
        year_to_date: YearToDate {
            deductible_paid: claim.year_to_date.deductible_paid,
            outpatient_reimbursed: claim.year_to_date.outpatient_reimbursed,
            inpatient_reimbursed: claim.year_to_date.inpatient_reimbursed,
        },
    }
}

fn adjudication_to_wit(adjudication: rules::insurance::Adjudication) -> insurance::Adjudication {
    use rules::insurance::{Payer, ShareKind};
    insurance::Adjudication {
        shares: adjudication
            .shares
            .into_iter()
            .map(|share| insurance::Share {
                kind: match share.kind {
                    ShareKind::Deductible => insurance::ShareKind::Deductible,
                    ShareKind::Reimbursement => insurance::ShareKind::Reimbursement,
                    ShareKind::CoPayment => insurance::ShareKind::CoPayment,
                    ShareKind::OverCap => insurance::ShareKind::OverCap,
                    ShareKind::TopUp => insurance::ShareKind::TopUp,
                    ShareKind::Compensation => insurance::ShareKind::Compensation,
                },
                payer: match share.payer {
                    Payer::InsuranceFund => insurance::Payer::InsuranceFund,
                    Payer::HealthCentre => insurance::Payer::HealthCentre,
                    Payer::MedicalAssistance => insurance::Payer::MedicalAssistance,
                    Payer::Resident => insurance::Payer::Resident,
                },
                amount: share.amount,
                reason: share.reason,
            })
            .collect(),
    }
}

fn activity_from_wit(activity: incentive::TeamActivity) -> rules::incentive::TeamActivity {
    use rules::incentive::{ItemDelivery, PackageSignings, TeamActivity};
    TeamActivity {
        period: activity.period,
        residents_signed: activity.residents_signed,
        households_signed: activity.households_signed,
        signings: activity
            .signings
            .into_iter()
            .map(|s| PackageSignings { package_code: s.package_code, signings: s.signings })
            .collect(),
        deliveries: activity
            .deliveries
            .into_iter()
            .map(|d| ItemDelivery {
                package_code: d.package_code,
                item_code: d.item_code,
                owed: d.owed,
                delivered: d.delivered,
            })
            .collect(),
        assessment_score: activity.assessment_score,
        care_spent: activity.care_spent,
    }
}

fn settlement_to_wit(settlement: rules::incentive::Settlement) -> incentive::Settlement {
    use rules::incentive::SettlementKind;
    incentive::Settlement {
        lines: settlement
            .lines
            .into_iter()
            .map(|line| incentive::SettlementLine {
                kind: match line.kind {
                    SettlementKind::PerSigning => incentive::SettlementKind::PerSigning,
                    SettlementKind::Fulfilment => incentive::SettlementKind::Fulfilment,
                    SettlementKind::Capitation => incentive::SettlementKind::Capitation,
                    SettlementKind::SurplusReward => incentive::SettlementKind::SurplusReward,
                    SettlementKind::Subsidy => incentive::SettlementKind::Subsidy,
                },
                amount: line.amount,
                reason: line.reason,
            })
            .collect(),
        total: settlement.total,
    }
}

/// The component. Public so that native tests reach the very code the
/// component exports.
pub struct PeiCounty;

impl setup::Guest for PeiCounty {
    fn info() -> setup::PluginInfo {
        let info = rules::INFO;
        setup::PluginInfo {
            county_code: info.county_code.to_string(),
            county_name: info.county_name.to_string(),
            version: info.version.to_string(),
            periods: setup::Periods { first: info.first_period, last: info.last_period },
        }
    }

    fn configure(document: String) -> Result<(), String> {
        let answer = configure(&document);
        // Only a refusal is logged: configure runs on every fresh instance,
        // so a line for each success would flood the kernel's log.
        #[cfg(target_arch = "wasm32")]
        if let Err(message) = &answer {
            qianyue::county::logging::log(
                qianyue::county::logging::Level::Warning,
                &format!("configuration refused: {message}"),
            );
        }
        answer
    }
}

impl catalogue::Guest for PeiCounty {
    /// Empty before a configuration is accepted: the WIT leaves no room for
    /// a refusal here, and a catalogue without prices would be wrong.
    fn packages() -> Vec<Package> {
        let priced = |config: &rules::Config| {
            Ok(rules::CATALOGUE
                .iter()
                .filter_map(|p| config.list_price(p.code).map(|price| package_to_wit(p, price)))
                .collect())
        };
        with_config(priced).unwrap_or_default()
    }

    fn basic_package(resident: ResidentFacts) -> Result<String, Refusal> {
        with_config(|_| rules::basic_package(&resident_from_wit(resident)))
    }

    fn basic_package_batch(residents: Vec<ResidentFacts>) -> Vec<Result<String, Refusal>> {
        residents.into_iter().map(Self::basic_package).collect()
    }

    fn eligible(request: catalogue::EligibilityRequest) -> Result<(), Refusal> {
        with_config(|_| rules::eligible(&request.package_code, &resident_from_wit(request.resident)).map(|_| ()))
    }

    fn eligible_batch(requests: Vec<catalogue::EligibilityRequest>) -> Vec<Result<(), Refusal>> {
        requests.into_iter().map(Self::eligible).collect()
    }
}

impl pricing::Guest for PeiCounty {
    fn price(request: pricing::PriceRequest) -> Result<pricing::Quote, Refusal> {
        let request = rules::PriceRequest {
            package_code: request.package_code,
            resident: resident_from_wit(request.resident),
            starts_on: date_from_wit(request.starts_on),
        };
        with_config(|config| rules::price(config, &request)).map(quote_to_wit)
    }

    fn price_batch(requests: Vec<pricing::PriceRequest>) -> Vec<Result<pricing::Quote, Refusal>> {
        requests.into_iter().map(Self::price).collect()
    }
}

impl insurance::Guest for PeiCounty {
    fn adjudicate(claim: insurance::Claim) -> Result<insurance::Adjudication, Refusal> {
        let claim = claim_from_wit(claim);
        with_config(|config| rules::insurance::adjudicate(config, &claim)).map(adjudication_to_wit)
    }

    fn adjudicate_batch(claims: Vec<insurance::Claim>) -> Vec<Result<insurance::Adjudication, Refusal>> {
        claims.into_iter().map(Self::adjudicate).collect()
    }
}

impl incentive::Guest for PeiCounty {
    fn settle(activity: incentive::TeamActivity) -> Result<incentive::Settlement, Refusal> {
        let activity = activity_from_wit(activity);
        with_config(|config| rules::incentive::settle(config, &activity)).map(settlement_to_wit)
    }

    fn settle_batch(activities: Vec<incentive::TeamActivity>) -> Vec<Result<incentive::Settlement, Refusal>> {
        activities.into_iter().map(Self::settle).collect()
    }
}

// Export names such as `qianyue:county/pricing@1.0.0#price` break native
// linker version scripts, so the host build (for `cargo test`) leaves them out.
#[cfg(target_arch = "wasm32")]
export!(PeiCounty);

#[cfg(test)]
mod tests {
    use super::*;
    use catalogue::Guest as _;
    use incentive::Guest as _;
    use insurance::Guest as _;
    use pricing::Guest as _;
    use setup::Guest as _;

    const SHIPPED: &str = include_str!("../config.json");

    fn resident(tags: PopulationTags) -> ResidentFacts {
        ResidentFacts { age: 5, sex: Sex::Female, tags }
    }

    const DAY: Date = Date { year: 2025, month: 1, day: 1 };

    fn price_request(code: &str, tags: PopulationTags) -> pricing::PriceRequest {
        pricing::PriceRequest { package_code: code.to_string(), resident: resident(tags), starts_on: DAY }
    }

    fn not_configured() -> Refusal {
        Refusal::InvalidRequest("not configured".to_string())
    }

    /// Generated types have no `PartialEq`; their debug forms compare.
    fn same<A: std::fmt::Debug, B: std::fmt::Debug>(a: A, b: B) {
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    #[test]
    fn every_flag_converts_both_ways() {
        for (tag, flag) in TAG_FLAGS {
            assert_eq!(tags_from_wit(flag), rules::Tags::of(&[tag]));
            assert_eq!(tags_to_wit(rules::Tags::of(&[tag])), flag);
        }
        assert_eq!(tags_to_wit(rules::Tags::of(&rules::Tag::ALL)), PopulationTags::all());
    }

    #[test]
    fn info_needs_no_configuration() {
        let info = PeiCounty::info();
        assert_eq!(
            (info.county_code.as_str(), info.county_name.as_str(), info.version.as_str()),
            ("320322", "沛县", "2024.1.1")
        );
        assert_eq!((info.periods.first, info.periods.last), (2016, None));
    }

    #[test]
    fn calls_before_configure_are_refused() {
        assert!(PeiCounty::packages().is_empty());
        same(PeiCounty::basic_package(resident(PopulationTags::empty())), Err::<String, _>(not_configured()));
        let request = catalogue::EligibilityRequest {
            package_code: "PEI-GW".into(),
            resident: resident(PopulationTags::empty()),
        };
        same(PeiCounty::eligible(request), Err::<(), _>(not_configured()));
        same(
            PeiCounty::price(price_request("PEI-GW", PopulationTags::empty())).map(|_| ()),
            Err::<(), _>(not_configured()),
        );
        assert_eq!(PeiCounty::price_batch(vec![price_request("PEI-GW", PopulationTags::empty())]).len(), 1);
    }

    #[test]
    fn a_refused_document_leaves_the_plugin_unconfigured() {
        assert_eq!(PeiCounty::configure(SHIPPED.to_string()), Ok(()));
        assert_eq!(PeiCounty::packages().len(), 8);
        let bad = SHIPPED.replace("\"checkup_percent\": 40", "\"checkup_percent\": 140");
        assert_eq!(PeiCounty::configure(bad), Err("checkup_percent: must be between 0 and 100, got 140".to_string()));
        assert!(PeiCounty::packages().is_empty());
        same(PeiCounty::basic_package(resident(PopulationTags::empty())), Err::<String, _>(not_configured()));
        // And it can be configured again.
        let cheaper = SHIPPED.replace("\"PEI-TJ\": 20000", "\"PEI-TJ\": 10000");
        assert_eq!(PeiCounty::configure(cheaper), Ok(()));
        let quote = PeiCounty::price(price_request("PEI-TJ", PopulationTags::empty()));
        assert!(matches!(quote, Ok(q) if q.list_price == 10000 && q.self_pay == 4000));
    }

    #[test]
    fn catalogue_comes_priced_from_the_configuration() {
        assert_eq!(PeiCounty::configure(SHIPPED.to_string()), Ok(()));
        let packages = PeiCounty::packages();
        let codes: Vec<_> = packages.iter().map(|p| (p.code.as_str(), p.list_price)).collect();
        assert_eq!(
            codes,
            [
                ("PEI-GW", 1000),
                ("PEI-YY", 12000),
                ("PEI-ET", 10000),
                ("PEI-LN", 12000),
                ("PEI-MB", 15000),
                ("PEI-TJ", 20000),
                ("PEI-TX", 30000),
                ("PEI-NZ", 36000),
            ]
        );
        let child_care = packages.iter().find(|p| p.code == "PEI-ET");
        assert!(matches!(
            child_care,
            Some(p) if p.target_groups == PopulationTags::CHILD
                && p.bundled_with.as_deref() == Some("PEI-GW")
                && p.kind == PackageKind::Personalised
                && p.items.iter().all(|i| i.price_cap.is_none())
        ));
    }

    #[test]
    fn batches_answer_in_order_as_the_single_calls_do() {
        assert_eq!(PeiCounty::configure(SHIPPED.to_string()), Ok(()));
        let kindergarten = PopulationTags::CHILD | PopulationTags::KINDERGARTEN;

        let residents = vec![resident(PopulationTags::empty()), resident(PopulationTags::ELDERLY)];
        let single: Vec<_> = residents.iter().cloned().map(PeiCounty::basic_package).collect();
        same(PeiCounty::basic_package_batch(residents), &single);
        same(&single[0], Ok::<_, Refusal>("PEI-GW".to_string()));

        let requests: Vec<_> =
            [("PEI-ET", kindergarten), ("PEI-ET", PopulationTags::ELDERLY), ("PEI-XX", kindergarten)]
                .into_iter()
                .map(|(code, tags)| catalogue::EligibilityRequest {
                    package_code: code.into(),
                    resident: resident(tags),
                })
                .collect();
        let single: Vec<_> = requests.iter().cloned().map(PeiCounty::eligible).collect();
        same(PeiCounty::eligible_batch(requests), &single);
        assert!(matches!(&single[..], [Ok(()), Err(Refusal::NotEligible(_)), Err(Refusal::UnknownPackage(_))]));

        let requests = vec![
            price_request("PEI-ET", kindergarten),
            price_request("PEI-ET", PopulationTags::ELDERLY),
            price_request("PEI-XX", PopulationTags::empty()),
            pricing::PriceRequest {
                starts_on: Date { year: 2015, month: 12, day: 31 },
                ..price_request("PEI-GW", PopulationTags::empty())
            },
        ];
        let batch = PeiCounty::price_batch(requests.clone());
        let single: Vec<_> = requests.into_iter().map(PeiCounty::price).collect();
        assert_eq!(format!("{batch:?}"), format!("{single:?}"));
        assert!(
            matches!(&batch[0], Ok(q) if q.self_pay == 6000 && q.adjustments.len() == 1 && q.adjustments[0].amount == 4000)
        );
        assert!(matches!(&batch[1], Err(Refusal::NotEligible(_))));
        assert!(matches!(&batch[2], Err(Refusal::UnknownPackage(c)) if c == "PEI-XX"));
        assert!(matches!(&batch[3], Err(Refusal::InvalidRequest(_))));

        let claim = |kind, signed: &[&str]| insurance::Claim {
            resident: resident(PopulationTags::STROKE),
            signed_packages: signed.iter().map(|s| s.to_string()).collect(),
            kind,
            level: insurance::CareLevel::TownshipCentre,
            referred: false,
            on: DAY,
            amount: 2010,
            year_to_date: insurance::YearToDate {
                deductible_paid: 0,
                outpatient_reimbursed: 0,
                inpatient_reimbursed: 0,
            },
        };
        let claims = vec![
            claim(insurance::CareKind::Rehabilitation, &["PEI-GW", "PEI-NZ"]),
            claim(insurance::CareKind::Outpatient, &[]),
        ];
        let batch = PeiCounty::adjudicate_batch(claims.clone());
        let single: Vec<_> = claims.into_iter().map(PeiCounty::adjudicate).collect();
        assert_eq!(format!("{batch:?}"), format!("{single:?}"));
        assert!(
            matches!(&batch[0], Ok(a) if a.shares.last().is_some_and(|s| s.payer == insurance::Payer::HealthCentre && s.amount == 101))
        );
        assert!(matches!(&batch[1], Err(Refusal::NotEligible(_))));

        let activity = |score| incentive::TeamActivity {
            period: 2024,
            residents_signed: 10,
            households_signed: 4,
            signings: vec![incentive::PackageSignings { package_code: "PEI-LN".into(), signings: 2 }],
            deliveries: vec![],
            assessment_score: score,
            care_spent: 0,
        };
        let activities = vec![activity(80), activity(101)];
        let batch = PeiCounty::settle_batch(activities.clone());
        let single: Vec<_> = activities.into_iter().map(PeiCounty::settle).collect();
        assert_eq!(format!("{batch:?}"), format!("{single:?}"));
        assert!(
            matches!(&batch[0], Ok(s) if s.total == 13000 && s.lines[1].kind == incentive::SettlementKind::Subsidy)
        );
        assert!(matches!(&batch[1], Err(Refusal::InvalidRequest(_))));
    }
}
