//! Gulin County (古蔺县, Luzhou, Sichuan, GB/T 2260 `510525`) county plugin for
//! the Qianyue kernel: a poverty-focus county applying the 2018 national
//! plan for registered-poor residents' chronic-disease family-doctor
//! contracts (建档立卡贫困人口慢病家庭医生签约服务工作方案), as a WebAssembly
//! component of the world `county-plugin` of `qianyue:county@1.0.0`
//! (`wit/v1.0.0/county.wit`).
//!
//! This file is glue: it keeps the configuration between calls and hands
//! every call to [`rules`]. The rules use the types wit-bindgen generates
//! from the WIT, so nothing needs converting.

pub mod rules;

use std::cell::RefCell;

wit_bindgen::generate!({
    path: "../../wit/v1.0.0",
    world: "county-plugin",
    // Tests compare answers and refusals whole.
    additional_derives: [PartialEq],
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
        // The one import exists only inside the kernel, not in native tests.
        #[cfg(target_arch = "wasm32")]
        if let Err(message) = &answer {
            use qianyue::county::logging::{Level, log};
            log(Level::Warning, &format!("configuration refused: {message}"));
        }
        answer
    }
}

impl catalogue::Guest for County {
    /// Empty before a configuration is accepted: `packages` cannot refuse.
    fn packages() -> Vec<Package> {
        with_config(|config| Ok(rules::packages(config))).unwrap_or_default()
    }

    fn basic_package(resident: ResidentFacts) -> Result<String, Refusal> {
        with_config(|config| rules::basic_package(config, &resident))
    }

    fn basic_package_batch(residents: Vec<ResidentFacts>) -> Vec<Result<String, Refusal>> {
        residents.into_iter().map(Self::basic_package).collect()
    }

    fn eligible(request: catalogue::EligibilityRequest) -> Result<(), Refusal> {
        with_config(|config| rules::eligible(config, &request.package_code, &request.resident).map(|_| ()))
    }

    fn eligible_batch(requests: Vec<catalogue::EligibilityRequest>) -> Vec<Result<(), Refusal>> {
        requests.into_iter().map(Self::eligible).collect()
    }
}

impl pricing::Guest for County {
    fn price(request: pricing::PriceRequest) -> Result<pricing::Quote, Refusal> {
        with_config(|config| rules::price(config, &request))
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
    #![allow(clippy::unwrap_used)]

    use super::*;
    use catalogue::Guest as _;
    use pricing::Guest as _;
    use qianyue::county::types::{Date, PopulationTags, Sex};
    use setup::Guest as _;

    // One test, because the configuration is per thread and tests of one
    // module may share a thread.
    #[test]
    fn a_refused_document_leaves_the_plugin_unconfigured() {
        let info = County::info();
        assert_eq!((info.county_code.as_str(), info.county_name.as_str()), ("510525", "古蔺县"));
        assert_eq!((info.version.as_str(), info.periods.first, info.periods.last), ("2018.1.1", 2018, None));

        let shipped = include_str!("../config.json");
        assert_eq!(County::configure(shipped.to_string()), Ok(()));
        assert_eq!(County::packages().len(), 7);
        let bad = shipped.replace("\"fee_compensation_percent\": 100", "\"fee_compensation_percent\": 150");
        assert_ne!(bad, shipped);
        assert_eq!(
            County::configure(bad),
            Err("poverty.fee_compensation_percent: must be between 0 and 100, got 150".to_string())
        );
        assert!(County::packages().is_empty());
        let request = pricing::PriceRequest {
            package_code: rules::BASIC.to_string(),
            resident: ResidentFacts { age: 40, sex: Sex::Male, tags: PopulationTags::empty() },
            starts_on: Date { year: 2018, month: 1, day: 1 },
        };
        assert!(matches!(County::price(request), Err(Refusal::InvalidRequest(text)) if text == "not configured"));
    }
}
