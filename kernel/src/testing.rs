//! Builders the domain modules' unit tests share: packages, contracts and
//! service records with everything but what a test is about filled in.

use time::Date;

use crate::contracts::{Contract, ContractLine, ContractStatus, Period};
use crate::fulfilment::{Measurements, ServiceMode, ServiceRecord};
use crate::plugins::{Item, Package, PackageKind, Quote};

/// A package of `items` (code, times a year) with no price.
pub fn package(code: &str, items: &[(&str, u32)]) -> Package {
    Package {
        code: code.into(),
        name: code.into(),
        kind: PackageKind::Basic,
        target_groups: Default::default(),
        bundled_with: None,
        items: items
            .iter()
            .map(|(code, times)| Item {
                code: (*code).into(),
                name: format!("{code} name"),
                times_per_year: *times,
                price_cap: None,
            })
            .collect(),
        list_price: 0,
    }
}

fn line(code: &str) -> ContractLine {
    ContractLine {
        package_code: code.into(),
        package_name: code.into(),
        kind: PackageKind::Basic,
        list_price: 0,
        quote: Quote {
            discount: 0,
            adjustments: Vec::new(),
            public_health_fund: 0,
            insurance_fund: 0,
            self_pay: 0,
            rule: String::new(),
        },
        priced_age: 50,
        priced_tags: Default::default(),
    }
}

/// An active contract of `team` in Pei for the period of `signed_on`.
pub fn contract(id: &str, resident: &str, team: &str, signed_on: Date, packages: &[&Package]) -> Contract {
    Contract {
        id: id.into(),
        resident_id: resident.into(),
        household_id: None,
        team_id: team.into(),
        institution_id: "inst".into(),
        county_code: "320322".into(),
        period: Period::containing(signed_on),
        status: ContractStatus::Active,
        ended_on: None,
        end_reason: None,
        renewal_objected: false,
        renewed_from: None,
        group_id: None,
        signed_on,
        signed_by: "doctor".into(),
        plugin_hash: "h".into(),
        plugin_version: "1".into(),
        lines: packages.iter().map(|p| line(&p.code)).collect(),
    }
}

/// A record of `item` of `package` delivered on `on`, recorded that morning.
pub fn record(
    id: &str,
    (contract, resident): (&str, &str),
    (package, item): (&str, &str),
    on: Date,
    measurements: Measurements,
) -> ServiceRecord {
    ServiceRecord {
        id: id.into(),
        contract_id: contract.into(),
        resident_id: resident.into(),
        team_id: "t1".into(),
        county_code: "320322".into(),
        package_code: package.into(),
        item_code: item.into(),
        delivered_on: on,
        place: "卫生院".into(),
        mode: ServiceMode::Individual,
        measurements,
        corrects: None,
        recorded_by: "doctor".into(),
        recorded_at: format!("{on}T09:00:00Z"),
    }
}
