//! Plugins built against `qianyue:county@0.1.0`: the generated bindings and
//! their translation to the kernel's types. This file changes only to follow
//! the kernel's types; the WIT it binds is frozen.

use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

use super::model::{Item, Package, PackageKind, Periods, PluginInfo, PriceRequest, Quote, Refusal};
use super::sandbox::{self, Sandbox, SharedLimits};
use super::{CallFailure, flags_of, tags_of};
use crate::residents::{Sex, Tag, Tags};

wasmtime::component::bindgen!({
    path: "../wit/v0.1.0",
    world: "county-plugin",
});

use self::exports::qianyue::county::pricing as wit_pricing;
use self::qianyue::county::types as wit;

/// The world's name as counties see it in error messages.
pub(super) const WORLD: &str = "qianyue:county/county-plugin@0.1.0";

/// A compiled component ready to be instantiated for each call.
pub(super) struct Runner {
    engine: Engine,
    pre: CountyPluginPre<Sandbox>,
    limits: SharedLimits,
}

impl Runner {
    pub(super) fn new(linker: &Linker<Sandbox>, component: &Component, limits: SharedLimits) -> Result<Self, String> {
        let pre = linker
            .instantiate_pre(component)
            .map_err(|e| format!("it needs an import the sandbox does not offer ({e})"))?;
        let pre = CountyPluginPre::new(pre).map_err(|e| format!("it does not export the world {WORLD} ({e})"))?;
        Ok(Runner { engine: component.engine().clone(), pre, limits })
    }

    /// Runs `f` in a fresh instance: a trap can never leak into the next call.
    fn call<R>(
        &self,
        call: &'static str,
        items: usize,
        f: impl FnOnce(&CountyPlugin, &mut Store<Sandbox>) -> wasmtime::Result<R>,
    ) -> Result<R, CallFailure> {
        let limits = sandbox::current(&self.limits).for_items(items);
        let mut store = sandbox::store(&self.engine, &limits, WORLD)
            .map_err(|e| CallFailure::Trap { call, message: e.to_string() })?;
        let result = self.pre.instantiate(&mut store).and_then(|plugin| f(&plugin, &mut store));
        result.map_err(|e| sandbox::classify(call, items, &store, &limits, e))
    }

    /// Gives the plugin its county's limits once it has said who it is.
    pub(super) fn identified(&mut self, limits: SharedLimits) {
        self.limits = limits;
    }

    pub(super) fn info(&self) -> Result<PluginInfo, CallFailure> {
        let info = self.call("info", 1, |p, s| p.qianyue_county_catalogue().call_info(s))?;
        Ok(PluginInfo {
            county_code: info.county_code,
            county_name: info.county_name,
            version: info.version,
            periods: Periods::ALWAYS,
        })
    }

    pub(super) fn packages(&self) -> Result<Vec<Package>, CallFailure> {
        let packages = self.call("packages", 1, |p, s| p.qianyue_county_catalogue().call_packages(s))?;
        Ok(packages.into_iter().map(package).collect())
    }

    pub(super) fn price_batch(&self, requests: &[PriceRequest]) -> Result<Vec<Result<Quote, Refusal>>, CallFailure> {
        let requests: Vec<_> = requests.iter().map(price_request).collect();
        let answers =
            self.call("price-batch", requests.len(), |p, s| p.qianyue_county_pricing().call_price_batch(s, &requests))?;
        Ok(answers.into_iter().map(|a| a.map(quote).map_err(refusal)).collect())
    }
}

const TAG_FLAGS: [(Tag, wit::PopulationTags); 16] = super::tag_table!(wit::PopulationTags);

fn flags(tags: &Tags) -> wit::PopulationTags {
    flags_of(&TAG_FLAGS, wit::PopulationTags::empty(), tags)
}

fn tags(flags: wit::PopulationTags) -> Tags {
    tags_of(&TAG_FLAGS, |flag| flags.contains(flag))
}

fn package(p: wit::Package) -> Package {
    Package {
        code: p.code,
        name: p.name,
        kind: match p.kind {
            wit::PackageKind::Basic => PackageKind::Basic,
            wit::PackageKind::Personalised => PackageKind::Personalised,
        },
        target_groups: tags(p.target_groups),
        bundled_with: p.bundled_with,
        items: p
            .items
            .into_iter()
            .map(|i| Item { code: i.code, name: i.name, times_per_year: i.times_per_year, price_cap: None })
            .collect(),
        list_price: p.list_price,
    }
}

fn price_request(r: &PriceRequest) -> wit_pricing::PriceRequest {
    wit_pricing::PriceRequest {
        package_code: r.package_code.clone(),
        resident: wit::ResidentFacts {
            age: r.resident.age,
            sex: match r.resident.sex {
                Sex::Male => wit::Sex::Male,
                Sex::Female => wit::Sex::Female,
            },
            tags: flags(&r.resident.tags),
        },
        list_price: r.list_price,
    }
}

fn quote(q: wit_pricing::Quote) -> Quote {
    Quote {
        discount: q.discount,
        adjustments: vec![],
        public_health_fund: q.public_health_fund,
        insurance_fund: q.insurance_fund,
        self_pay: q.self_pay,
        rule: q.rule,
    }
}

fn refusal(e: wit_pricing::PricingError) -> Refusal {
    match e {
        wit_pricing::PricingError::UnknownPackage(code) => Refusal::UnknownPackage(code),
        wit_pricing::PricingError::NotEligible(why) => Refusal::NotEligible(why),
        wit_pricing::PricingError::InvalidRequest(why) => Refusal::InvalidRequest(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_maps_to_a_distinct_flag_and_back() {
        let all: Tags = Tag::ALL.into_iter().collect();
        assert_eq!(tags(flags(&all)), all);
        for tag in Tag::ALL {
            let one: Tags = [tag].into();
            assert_eq!(tags(flags(&one)), one, "{tag:?}");
        }
    }
}
