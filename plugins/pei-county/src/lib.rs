//! Pei County (沛县, Xuzhou, GB/T 2260 `320322`) county plugin for the Qianyue
//! kernel: its family-doctor service packages and their pricing rules, as a
//! WebAssembly component exporting the `qianyue:county@0.1.0` world
//! `county-plugin`.
//!
//! The rules live in [`rules`], plain Rust tested natively; this file only
//! converts between them and the types wit-bindgen generates.

pub mod rules;

wit_bindgen::generate!({
    path: "../../wit/v0.1.0",
    world: "county-plugin",
});

use exports::qianyue::county::{catalogue, pricing};
use qianyue::county::types::{Item, Package, PackageKind, PopulationTags};

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
    (
        rules::Tag::SevereMentalDisorder,
        PopulationTags::SEVERE_MENTAL_DISORDER,
    ),
    (rules::Tag::Disabled, PopulationTags::DISABLED),
    (rules::Tag::Copd, PopulationTags::COPD),
    (rules::Tag::Stroke, PopulationTags::STROKE),
    (rules::Tag::Tumour, PopulationTags::TUMOUR),
    (rules::Tag::RegisteredPoor, PopulationTags::REGISTERED_POOR),
    (
        rules::Tag::LiftedOutOfPoverty,
        PopulationTags::LIFTED_OUT_OF_POVERTY,
    ),
    (
        rules::Tag::PovertyMonitoring,
        PopulationTags::POVERTY_MONITORING,
    ),
    (
        rules::Tag::SpecialFamilyPlanning,
        PopulationTags::SPECIAL_FAMILY_PLANNING,
    ),
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

fn package_to_wit(package: &rules::Package) -> Package {
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
            })
            .collect(),
        list_price: package.list_price,
    }
}

fn request_from_wit(request: pricing::PriceRequest) -> rules::PriceRequest {
    rules::PriceRequest {
        package_code: request.package_code,
        tags: tags_from_wit(request.resident.tags),
        list_price: request.list_price,
    }
}

fn answer_to_wit(
    answer: Result<rules::Quote, rules::PricingError>,
) -> Result<pricing::Quote, pricing::PricingError> {
    match answer {
        Ok(quote) => Ok(pricing::Quote {
            discount: quote.discount,
            public_health_fund: quote.public_health_fund,
            insurance_fund: quote.insurance_fund,
            self_pay: quote.self_pay,
            rule: quote.rule,
        }),
        Err(rules::PricingError::UnknownPackage(code)) => {
            Err(pricing::PricingError::UnknownPackage(code))
        }
        Err(rules::PricingError::NotEligible(reason)) => {
            Err(pricing::PricingError::NotEligible(reason))
        }
        Err(rules::PricingError::InvalidRequest(reason)) => {
            Err(pricing::PricingError::InvalidRequest(reason))
        }
    }
}

/// The component. Public so that native tests reach the very code the
/// component exports.
pub struct PeiCounty;

impl catalogue::Guest for PeiCounty {
    fn info() -> catalogue::PluginInfo {
        catalogue::PluginInfo {
            county_code: rules::INFO.county_code.to_string(),
            county_name: rules::INFO.county_name.to_string(),
            version: rules::INFO.version.to_string(),
        }
    }

    fn packages() -> Vec<Package> {
        rules::CATALOGUE.iter().map(package_to_wit).collect()
    }
}

impl pricing::Guest for PeiCounty {
    fn price(request: pricing::PriceRequest) -> Result<pricing::Quote, pricing::PricingError> {
        answer_to_wit(rules::price(&request_from_wit(request)))
    }

    fn price_batch(
        requests: Vec<pricing::PriceRequest>,
    ) -> Vec<Result<pricing::Quote, pricing::PricingError>> {
        let requests: Vec<_> = requests.into_iter().map(request_from_wit).collect();
        rules::price_batch(&requests)
            .into_iter()
            .map(answer_to_wit)
            .collect()
    }
}

// Export names such as `qianyue:county/pricing@0.1.0#price` break native
// linker version scripts, so the host build (for `cargo test`) leaves them out.
#[cfg(target_arch = "wasm32")]
export!(PeiCounty);

#[cfg(test)]
mod tests {
    use super::*;
    use qianyue::county::types::{ResidentFacts, Sex};

    #[test]
    fn every_flag_converts_both_ways() {
        for (tag, flag) in TAG_FLAGS {
            assert_eq!(tags_from_wit(flag), rules::Tags::of(&[tag]));
            assert_eq!(tags_to_wit(rules::Tags::of(&[tag])), flag);
        }
        assert_eq!(
            tags_to_wit(rules::Tags::of(&rules::Tag::ALL)),
            PopulationTags::all()
        );
    }

    fn wit_request(code: &str, tags: PopulationTags, list_price: i64) -> pricing::PriceRequest {
        pricing::PriceRequest {
            package_code: code.to_string(),
            resident: ResidentFacts {
                age: 5,
                sex: Sex::Female,
                tags,
            },
            list_price,
        }
    }

    #[test]
    fn exported_functions_answer_as_the_rules_do() {
        let info = <PeiCounty as catalogue::Guest>::info();
        assert_eq!(
            (info.county_code.as_str(), info.county_name.as_str()),
            ("320322", "沛县")
        );
        let packages = <PeiCounty as catalogue::Guest>::packages();
        assert_eq!(packages.len(), rules::CATALOGUE.len());
        let child_care = packages.iter().find(|p| p.code == "PEI-ET");
        assert!(matches!(
            child_care,
            Some(p) if p.target_groups == PopulationTags::CHILD
                && p.bundled_with.as_deref() == Some("PEI-GW")
                && p.kind == PackageKind::Personalised
        ));

        let requests = vec![
            wit_request(
                "PEI-ET",
                PopulationTags::CHILD | PopulationTags::KINDERGARTEN,
                10000,
            ),
            wit_request("PEI-ET", PopulationTags::ELDERLY, 10000),
            wit_request("PEI-XX", PopulationTags::empty(), 10000),
            wit_request("PEI-GW", PopulationTags::empty(), -1),
        ];
        let batch = <PeiCounty as pricing::Guest>::price_batch(requests.clone());
        assert!(matches!(&batch[0], Ok(q) if q.self_pay == 6000 && q.discount == 4000));
        assert!(matches!(
            &batch[1],
            Err(pricing::PricingError::NotEligible(_))
        ));
        assert!(
            matches!(&batch[2], Err(pricing::PricingError::UnknownPackage(c)) if c == "PEI-XX")
        );
        assert!(matches!(
            &batch[3],
            Err(pricing::PricingError::InvalidRequest(_))
        ));
        let single: Vec<_> = requests
            .into_iter()
            .map(<PeiCounty as pricing::Guest>::price)
            .collect();
        assert_eq!(format!("{batch:?}"), format!("{single:?}"));
    }
}
