//! Jinzhai County (金寨县, Lu'an, Anhui, GB/T 2260 `341524`) county plugin for
//! the Qianyue kernel: the family-doctor contract rules of a 2024 Anhui county
//! plan (seed 004) as a WebAssembly component of the world `county-plugin`
//! of `qianyue:county@1.0.0` (`wit/v1.0.0/county.wit`).
//!
//! This file is glue: it keeps the configuration between calls and hands
//! every call to [`rules`]. The rules use the types wit-bindgen generates, so
//! nothing is converted.

pub mod rules;

use std::cell::RefCell;

wit_bindgen::generate!({
    path: "../../wit/v1.0.0",
    world: "county-plugin",
    // Native tests compare whole answers.
    additional_derives: [PartialEq, Eq],
});

use exports::qianyue::county::{catalogue, incentive, insurance, pricing, setup};
use qianyue::county::types::{Package, Refusal, ResidentFacts};

thread_local! {
    /// The accepted configuration: `None` until `configure` accepts a
    /// document, and again after it refuses one.
    static CONFIG: RefCell<Option<rules::Config>> = const { RefCell::new(None) };
}

/// Runs a rule with the configuration; before one is accepted every call
/// but `info` is refused, as the WIT asks.
fn with_config<T>(rule: impl FnOnce(&rules::Config) -> Result<T, Refusal>) -> Result<T, Refusal> {
    CONFIG.with_borrow(|config| match config {
        Some(config) => rule(config),
        None => Err(Refusal::InvalidRequest("not configured".to_string())),
    })
}

/// The component. Public so that `tests/golden.rs` calls exactly what the
/// kernel calls.
pub struct County;

impl setup::Guest for County {
    fn info() -> setup::PluginInfo {
        setup::PluginInfo {
            county_code: rules::COUNTY_CODE.to_string(),
            county_name: rules::COUNTY_NAME.to_string(),
            version: rules::VERSION.to_string(),
            periods: setup::Periods { first: rules::FIRST_PERIOD, last: rules::LAST_PERIOD },
        }
    }

    fn configure(document: String) -> Result<(), String> {
        let (config, answer) = match rules::Config::parse(&document) {
            Ok(config) => (Some(config), Ok(())),
            Err(message) => (None, Err(message)),
        };
        CONFIG.set(config);
        // Only a refusal is logged: configure runs on every fresh instance
        // that is not snapshotted, and successes would flood the log. The
        // import exists only inside the kernel.
        #[cfg(target_arch = "wasm32")]
        if let Err(message) = &answer {
            use qianyue::county::logging::{Level, log};
            log(Level::Warning, &format!("configuration refused: {message}"));
        }
        answer
    }
}

impl catalogue::Guest for County {
    /// Empty before a configuration is accepted: `packages` cannot refuse,
    /// and a catalogue without prices would be wrong.
    fn packages() -> Vec<Package> {
        with_config(|config| Ok(rules::catalogue::packages(config))).unwrap_or_default()
    }

    fn basic_package(resident: ResidentFacts) -> Result<String, Refusal> {
        with_config(|_| rules::catalogue::basic_package(&resident))
    }

    fn basic_package_batch(residents: Vec<ResidentFacts>) -> Vec<Result<String, Refusal>> {
        residents.into_iter().map(Self::basic_package).collect()
    }

    fn eligible(request: catalogue::EligibilityRequest) -> Result<(), Refusal> {
        with_config(|_| rules::catalogue::eligible(&request.package_code, &request.resident).map(|_| ()))
    }

    fn eligible_batch(requests: Vec<catalogue::EligibilityRequest>) -> Vec<Result<(), Refusal>> {
        requests.into_iter().map(Self::eligible).collect()
    }
}

impl pricing::Guest for County {
    fn price(request: pricing::PriceRequest) -> Result<pricing::Quote, Refusal> {
        with_config(|config| rules::pricing::price(config, &request))
    }

    fn price_batch(requests: Vec<pricing::PriceRequest>) -> Vec<Result<pricing::Quote, Refusal>> {
        requests.into_iter().map(Self::price).collect()
    }
}

impl insurance::Guest for County {
    fn adjudicate(claim: insurance::Claim) -> Result<insurance::Adjudication, Refusal> {
        with_config(|config| rules::insurance::adjudicate(config, &claim))
    }

    fn adjudicate_batch(claims: Vec<insurance::Claim>) -> Vec<Result<insurance::Adjudication, Refusal>> {
        claims.into_iter().map(Self::adjudicate).collect()
    }
}

impl incentive::Guest for County {
    fn settle(activity: incentive::TeamActivity) -> Result<incentive::Settlement, Refusal> {
        with_config(|config| rules::incentive::settle(config, &activity))
    }

    fn settle_batch(activities: Vec<incentive::TeamActivity>) -> Vec<Result<incentive::Settlement, Refusal>> {
        activities.into_iter().map(Self::settle).collect()
    }
}

// Export names such as `qianyue:county/pricing@1.0.0#price` break native
// linkers, so only the WebAssembly build exports the component.
#[cfg(target_arch = "wasm32")]
export!(County);

#[cfg(test)]
mod tests {
    use super::*;
    use catalogue::Guest as _;
    use incentive::Guest as _;
    use insurance::Guest as _;
    use pricing::Guest as _;
    use qianyue::county::types::{Date, PackageKind, PopulationTags, Sex};
    use setup::Guest as _;

    const SHIPPED: &str = include_str!("../config.json");

    fn not_configured<T>() -> Result<T, Refusal> {
        Err(Refusal::InvalidRequest("not configured".to_string()))
    }

    fn resident(age: u8, tags: PopulationTags) -> ResidentFacts {
        ResidentFacts { age, sex: Sex::Female, tags }
    }

    fn price_request(code: &str, age: u8, tags: PopulationTags) -> pricing::PriceRequest {
        pricing::PriceRequest {
            package_code: code.to_string(),
            resident: resident(age, tags),
            starts_on: Date { year: 2024, month: 1, day: 1 },
        }
    }

    #[test]
    fn info_needs_no_configuration_and_matches_cargo() {
        let info = County::info();
        assert_eq!(
            (info.county_code.as_str(), info.county_name.as_str(), info.version.as_str()),
            ("341524", "金寨县", "2024.1.0")
        );
        assert_eq!((info.periods.first, info.periods.last), (2024, None));
    }

    // One test, because the configuration is per thread and the order of
    // the steps matters.
    #[test]
    fn configure_refuse_and_configure_again() {
        CONFIG.set(None);
        assert!(County::packages().is_empty());
        assert_eq!(County::basic_package(resident(40, PopulationTags::empty())), not_configured());
        assert_eq!(County::price(price_request("AH-JC-YB", 40, PopulationTags::empty())), not_configured());

        assert_eq!(County::configure(SHIPPED.to_string()), Ok(()));
        let packages = County::packages();
        let listed: Vec<_> = packages.iter().map(|p| (p.code.as_str(), p.kind, p.list_price)).collect();
        assert_eq!(listed.len(), 19);
        assert_eq!(listed[0], ("AH-JC-ET", PackageKind::Basic, 3000));
        assert_eq!(listed[8], ("AH-GX-LN", PackageKind::Personalised, 12000));
        assert!(packages.iter().all(|p| p.items.iter().all(|i| i.price_cap.is_none())));

        let bad = SHIPPED.replace("\"pass_mark\": 60", "\"pass_mark\": 160");
        assert_eq!(County::configure(bad), Err("incentive.pass_mark: must be between 0 and 100, got 160".to_string()));
        assert!(County::packages().is_empty());
        assert_eq!(County::basic_package(resident(40, PopulationTags::empty())), not_configured());

        let dearer = SHIPPED.replace("\"AH-JC-YB\": 2000", "\"AH-JC-YB\": 2500");
        assert_eq!(County::configure(dearer), Ok(()));
        let quote = County::price(price_request("AH-JC-YB", 40, PopulationTags::empty()));
        assert_eq!(quote.map(|q| (q.list_price, q.public_health_fund)), Ok((2500, 2500)));
    }

    #[test]
    fn batches_answer_in_order_as_the_single_calls_do() {
        assert_eq!(County::configure(SHIPPED.to_string()), Ok(()));
        let residents = vec![
            resident(70, PopulationTags::ELDERLY | PopulationTags::HYPERTENSION),
            resident(3, PopulationTags::CHILD),
            resident(30, PopulationTags::ELDERLY),
        ];
        let single: Vec<_> = residents.iter().copied().map(County::basic_package).collect();
        assert_eq!(County::basic_package_batch(residents), single);
        assert_eq!(single[0], Ok("AH-JC-GXY".to_string()));
        assert!(matches!(single[2], Err(Refusal::InvalidRequest(_))));

        let requests: Vec<_> = [
            ("AH-GX-LN", 70, PopulationTags::ELDERLY),
            ("AH-GX-LN", 40, PopulationTags::empty()),
            ("AH-XX", 40, PopulationTags::empty()),
        ]
        .into_iter()
        .map(|(code, age, tags)| catalogue::EligibilityRequest {
            package_code: code.into(),
            resident: resident(age, tags),
        })
        .collect();
        let single: Vec<_> = requests.iter().cloned().map(County::eligible).collect();
        assert_eq!(County::eligible_batch(requests), single);
        assert!(matches!(&single[..], [Ok(()), Err(Refusal::NotEligible(_)), Err(Refusal::UnknownPackage(_))]));

        let requests = vec![
            price_request("AH-GX-LN", 70, PopulationTags::ELDERLY | PopulationTags::REGISTERED_POOR),
            price_request("AH-JC-ET", 3, PopulationTags::CHILD),
            price_request("AH-XX", 40, PopulationTags::empty()),
        ];
        let single: Vec<_> = requests.iter().cloned().map(County::price).collect();
        assert_eq!(County::price_batch(requests), single);
        assert!(matches!(&single[0], Ok(q) if q.self_pay == 0 && q.adjustments.len() == 1));

        let claim = |amount| insurance::Claim {
            resident: resident(70, PopulationTags::ELDERLY),
            signed_packages: vec!["AH-JC-LN".into()],
            kind: insurance::CareKind::Outpatient,
            level: insurance::CareLevel::TownshipCentre,
            referred: false,
            on: Date { year: 2024, month: 6, day: 1 },
            amount,
            year_to_date: insurance::YearToDate {
                deductible_paid: 0,
                outpatient_reimbursed: 0,
                inpatient_reimbursed: 0,
            },
        };
        let claims = vec![claim(1001), claim(-1)];
        let single: Vec<_> = claims.iter().cloned().map(County::adjudicate).collect();
        assert_eq!(County::adjudicate_batch(claims), single);
        assert!(matches!(&single[..], [Ok(_), Err(Refusal::InvalidRequest(_))]));

        let activity = |score| incentive::TeamActivity {
            period: 2024,
            residents_signed: 10,
            households_signed: 4,
            signings: vec![],
            deliveries: vec![incentive::ItemDelivery {
                package_code: "AH-JC-GXY".into(),
                item_code: "follow-up".into(),
                owed: 8,
                delivered: 8,
            }],
            assessment_score: score,
            care_spent: 0,
        };
        let activities = vec![activity(90), activity(101)];
        let single: Vec<_> = activities.iter().cloned().map(County::settle).collect();
        assert_eq!(County::settle_batch(activities), single);
        assert!(matches!(&single[0], Ok(s) if s.total == 7200));
    }
}
