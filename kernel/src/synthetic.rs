//! Synthetic registries for benchmarks and crash tests: a poverty list of any
//! length whose citizen IDs are all valid and distinct, and contracts for
//! every resident it created. The running kernel never uses this.

use std::fmt::Write;

use crate::residents::CitizenId;

/// Days from 1940-01-01 on that serve as birth dates; with 1,000 sequence
/// numbers a day this gives about 29 million distinct citizen IDs per county.
const BIRTH_DAYS: usize = 29_000;

/// A poverty list of `rows` people of `county` in households of three,
/// cycling through the four poverty statuses.
pub fn poverty_list(county: &str, rows: usize) -> String {
    let statuses = ["registered_poor", "lifted_out_of_poverty", "poverty_monitoring", "special_family_planning"];
    let first_day = time::macros::date!(1940 - 01 - 01);
    let mut csv = String::with_capacity(rows * 80 + 64);
    csv.push_str("household_no,name,citizen_id,poverty_status,address,phone\n");
    for i in 0..rows {
        let birth = first_day + time::Duration::days((i % BIRTH_DAYS) as i64);
        let sequence = i / BIRTH_DAYS;
        let first_17 = format!("{county}{:04}{:02}{:02}{sequence:03}", birth.year(), birth.month() as u8, birth.day());
        let Ok(id) = CitizenId::from_first_17(&first_17) else { continue };
        let household = i / 3;
        let _ = writeln!(
            csv,
            "H{county}-{household:08},居民{i},{},{},第{}组{}号,",
            id.expose(),
            statuses[household % statuses.len()],
            household / 100,
            household % 100
        );
    }
    csv
}

/// The line every seeded contract carries: Pei's basic package, paid by the
/// public-health fund, as its plugin prices it for a resident of 60.
pub fn basic_line() -> crate::contracts::ContractLine {
    crate::contracts::ContractLine {
        package_code: "PEI-GW".into(),
        package_name: "公卫包".into(),
        kind: crate::plugins::PackageKind::Basic,
        list_price: 1000,
        quote: crate::plugins::Quote {
            discount: 0,
            adjustments: vec![],
            public_health_fund: 1000,
            insurance_fund: 0,
            self_pay: 0,
            rule: "synthetic".into(),
        },
        priced_age: 60,
        priced_tags: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_a_distinct_valid_citizen_id() {
        let csv = poverty_list("320322", 30_000);
        let ids: std::collections::HashSet<&str> = csv.lines().skip(1).map(|l| l.split(',').nth(2).unwrap()).collect();
        assert_eq!(ids.len(), 30_000);
        assert!(ids.iter().all(|id| CitizenId::parse(id).is_ok()));
    }
}
