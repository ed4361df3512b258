//! What authorization adds to a request, with the shipped policy set and
//! 100,000 residents' facts in memory: `cargo bench --bench authz`. Each
//! iteration looks up the facts of a different resident, builds the Cedar
//! request and its entities, and decides. Results are in BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use qianyue::authz::{Action, Authorizer, Policies, Principal, Resource, Role};
use qianyue::org::MemberRole;

const RESIDENTS: usize = 100_000;
const COUNTIES: [&str; 4] = ["320321", "320322", "320323", "320324"];

/// What the kernel loads before it asks: a resident's county, household
/// and team this period, and their contract.
struct Facts {
    id: String,
    county: &'static str,
    household: String,
    team: Option<String>,
    contract: String,
}

impl Facts {
    fn resident(&self) -> Resource<'_> {
        Resource::Resident {
            id: &self.id,
            county: self.county,
            household: Some(&self.household),
            team: self.team.as_deref(),
        }
    }

    fn contract(&self) -> Resource<'_> {
        Resource::Contract {
            id: &self.contract,
            county: self.county,
            team: self.team.as_deref().unwrap_or("team-none"),
            institution: Some(self.county),
            resident: &self.id,
        }
    }
}

/// 100,000 residents by id, and the ids in a scattered order.
struct Store {
    by_id: HashMap<String, Facts>,
    order: Vec<String>,
}

impl Store {
    fn new() -> Self {
        let by_id: HashMap<String, Facts> = (0..RESIDENTS)
            .map(|i| {
                let county = COUNTIES[i % COUNTIES.len()];
                let id = format!("res-{i:06}");
                let facts = Facts {
                    id: id.clone(),
                    county,
                    household: format!("hh-{:06}", i / 3),
                    team: (i % 5 != 0).then(|| format!("team-{county}-{}", i % 40)),
                    contract: format!("contract-{i:06}"),
                };
                (id, facts)
            })
            .collect();
        let order = (0..RESIDENTS).map(|i| format!("res-{:06}", (i * 7919) % RESIDENTS)).collect();
        Store { by_id, order }
    }

    /// The facts of the `n`th resident of the scattered order.
    fn facts(&self, n: usize) -> &Facts {
        &self.by_id[&self.order[n % RESIDENTS]]
    }
}

fn person(role: Role, county: Option<&str>, team: Option<&str>, duty: Option<MemberRole>) -> Principal {
    Principal {
        subject: "bench".into(),
        role,
        county: county.map(Into::into),
        team: team.map(Into::into),
        duty,
        institution: None,
    }
}

fn deciding(c: &mut Criterion) {
    let authorizer = Authorizer::bundled().unwrap();
    assert!(authorizer.policy_count() >= 50, "the shipped set has {} policies", authorizer.policy_count());
    let store = Store::new();
    let member = person(Role::TeamMember, Some("320322"), Some("team-320322-2"), Some(MemberRole::GpLeader));
    let admin = person(Role::CountyAdmin, Some("320322"), None, None);
    let inspector = person(Role::Inspector, Some("320322"), None, None);

    let mut group = c.benchmark_group("authz");
    let mut n = 0;
    group.bench_function("county admin reads a resident", |b| {
        b.iter(|| {
            n += 1;
            black_box(authorizer.decide(&admin, Action::ReadResident, &store.facts(n).resident()).is_ok())
        })
    });
    group.bench_function("team member reads a citizen id", |b| {
        b.iter(|| {
            n += 1;
            black_box(authorizer.decide(&member, Action::ReadCitizenId, &store.facts(n).resident()).is_ok())
        })
    });
    group.bench_function("team member signs a contract", |b| {
        b.iter(|| {
            n += 1;
            black_box(authorizer.decide(&member, Action::SignContract, &store.facts(n).contract()).is_ok())
        })
    });
    group.bench_function("inspector reads a phone", |b| {
        b.iter(|| {
            n += 1;
            black_box(authorizer.decide(&inspector, Action::ReadPhone, &store.facts(n).resident()).is_ok())
        })
    });
    group.bench_function("plugin is told ages", |b| {
        let plugin = Principal::plugin("320322");
        b.iter(|| black_box(authorizer.decide(&plugin, Action::DiscloseAge, &Resource::County { code: "320322" })))
    });

    // As the kernel decides: with the audit record of the decision kept for
    // the log (the records are drained outside the timed loop).
    let policies = Policies::new(Authorizer::bundled().unwrap());
    group.bench_function("team member reads a resident, audited", |b| {
        b.iter_custom(|iterations| {
            let started = Instant::now();
            for _ in 0..iterations {
                n += 1;
                black_box(policies.decide(&member, Action::ReadResident, &store.facts(n).resident()).is_ok());
            }
            let took = started.elapsed();
            drop(policies.take_audit());
            took
        })
    });
    group.finish();
}

criterion_group!(benches, deciding);
criterion_main!(benches);
