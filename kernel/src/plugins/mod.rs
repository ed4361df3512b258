//! The plugin host: runs each county's WebAssembly component in a sandbox and
//! speaks to it in the kernel's own types.
//!
//! Owns compiling, validating and calling components, the limits on every
//! call (fuel, memory, wall-clock deadline) and the checks on every answer
//! (no negative amounts, splits that add up). It must not touch the database
//! or decide who may call it: callers pass plain facts in and get plain
//! values out. Each published WIT version has its own module (`v0_1_0`) that
//! translates between generated bindings and the types below, so the rest of
//! the kernel never sees a WIT type.

mod sandbox;
mod v0_1_0;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use thiserror::Error;
use utoipa::ToSchema;
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

use crate::residents::{Sex, Tags};
pub use sandbox::Limits;

/// Money in fen (分). Integer always.
pub type Fen = i64;

/// Basic (基础, free, by population group) or personalised (个性化, paid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PackageKind {
    Basic,
    Personalised,
}

impl PackageKind {
    pub fn name(self) -> &'static str {
        match self {
            PackageKind::Basic => "basic",
            PackageKind::Personalised => "personalised",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [PackageKind::Basic, PackageKind::Personalised].into_iter().find(|k| k.name() == name)
    }
}

/// A service item (服务项目) and how often a year it is owed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Item {
    pub code: String,
    pub name: String,
    pub times_per_year: u32,
}

/// A service package (服务包) from a county's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Package {
    pub code: String,
    pub name: String,
    pub kind: PackageKind,
    /// Who may choose it; empty means everyone.
    #[schema(value_type = Vec<crate::residents::Tag>)]
    pub target_groups: Tags,
    /// For a personalised package, the basic package it comes with.
    pub bundled_with: Option<String>,
    pub items: Vec<Item>,
    /// Approved list price for a year (物价核定价格), fen.
    pub list_price: Fen,
}

/// Who a plugin says it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PluginInfo {
    pub county_code: String,
    pub county_name: String,
    pub version: String,
}

/// The facts pricing may depend on; never a name or an ID number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentFacts {
    pub age: u8,
    pub sex: Sex,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRequest {
    pub package_code: String,
    pub resident: ResidentFacts,
    pub list_price: Fen,
}

/// A package's price for one resident, split by payer. Checked by the kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct Quote {
    pub discount: Fen,
    pub public_health_fund: Fen,
    pub insurance_fund: Fen,
    pub self_pay: Fen,
    /// The plugin's one-line explanation.
    pub rule: String,
}

/// A plugin's reasoned refusal to price: a business answer, not a failure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    #[error("package `{0}` is not in the county's catalogue")]
    UnknownPackage(String),
    #[error("not eligible: {0}")]
    NotEligible(String),
    #[error("the plugin refused the request: {0}")]
    InvalidRequest(String),
}

/// A plugin could not be loaded or did not answer properly.
#[derive(Debug, Error)]
pub enum PluginError {
    #[error("no plugin is loaded for county `{0}`")]
    NoPlugin(String),
    #[error("`{source_name}` is not a usable county plugin: {message}")]
    Invalid { source_name: String, message: String },
    #[error("the plugin of county {county} ran out of fuel ({fuel} units) in `{call}`")]
    OutOfFuel { county: String, call: &'static str, fuel: u64 },
    #[error("the plugin of county {county} passed its deadline of {millis} ms in `{call}`")]
    Deadline { county: String, call: &'static str, millis: u128 },
    #[error("the plugin of county {county} went over its memory limit of {bytes} bytes in `{call}`")]
    Memory { county: String, call: &'static str, bytes: usize },
    #[error("the plugin of county {county} crashed in `{call}`: {message}")]
    Trap { county: String, call: &'static str, message: String },
    #[error("the plugin of county {county} gave a wrong answer to `{call}`: {reason}")]
    WrongAnswer { county: String, call: &'static str, reason: String },
    #[error("the plugin host could not start: {0}")]
    Host(String),
}

/// One compiled, validated plugin version.
pub struct Plugin {
    pub info: PluginInfo,
    /// Lower-case hex SHA-256 of the component bytes: the version's identity.
    pub hash: String,
    pub catalogue: Vec<Package>,
    runner: v0_1_0::Runner,
}

impl Plugin {
    pub fn package(&self, code: &str) -> Option<&Package> {
        self.catalogue.iter().find(|p| p.code == code)
    }

    /// Prices one package for one resident.
    pub fn price(&self, request: &PriceRequest) -> Result<Result<Quote, Refusal>, PluginError> {
        let answer = self.runner.price(request).map_err(|f| f.into_error(&self.info.county_code))?;
        self.checked(request, answer)
    }

    /// Prices many requests crossing the sandbox boundary once.
    pub fn price_batch(&self, requests: &[PriceRequest]) -> Result<Vec<Result<Quote, Refusal>>, PluginError> {
        let answers = self.runner.price_batch(requests).map_err(|f| f.into_error(&self.info.county_code))?;
        if answers.len() != requests.len() {
            return Err(self.wrong("price-batch", format!("{} answers to {} requests", answers.len(), requests.len())));
        }
        requests.iter().zip(answers).map(|(r, a)| self.checked(r, a)).collect()
    }

    fn checked(
        &self,
        request: &PriceRequest,
        answer: Result<Quote, Refusal>,
    ) -> Result<Result<Quote, Refusal>, PluginError> {
        if let Ok(quote) = &answer {
            check_quote(request.list_price, quote).map_err(|reason| self.wrong("price", reason))?;
        }
        Ok(answer)
    }

    fn wrong(&self, call: &'static str, reason: String) -> PluginError {
        PluginError::WrongAnswer { county: self.info.county_code.clone(), call, reason }
    }
}

/// The kernel never stores a price that does not add up.
fn check_quote(list_price: Fen, q: &Quote) -> Result<(), String> {
    let amounts = [
        ("discount", q.discount),
        ("public-health-fund", q.public_health_fund),
        ("insurance-fund", q.insurance_fund),
        ("self-pay", q.self_pay),
    ];
    if let Some((name, value)) = amounts.iter().find(|(_, v)| *v < 0) {
        return Err(format!("{name} is negative ({value} fen)"));
    }
    let paid = q.public_health_fund.checked_add(q.insurance_fund).and_then(|s| s.checked_add(q.self_pay));
    let due = list_price.checked_sub(q.discount);
    match (paid, due) {
        (Some(paid), Some(due)) if paid == due => Ok(()),
        _ => Err(format!(
            "the payers' shares ({} + {} + {} fen) do not add up to list price {list_price} minus discount {} fen",
            q.public_health_fund, q.insurance_fund, q.self_pay, q.discount
        )),
    }
}

/// Every loaded plugin, one active version per county.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<sandbox::Sandbox>,
    limits: Limits,
    by_county: RwLock<HashMap<String, Arc<Plugin>>>,
}

impl PluginHost {
    pub fn new(limits: Limits) -> Result<Self, PluginError> {
        let host_error = |e: wasmtime::Error| PluginError::Host(e.to_string());
        let engine = sandbox::engine().map_err(host_error)?;
        let linker = sandbox::linker(&engine).map_err(host_error)?;
        sandbox::start_epoch_ticker(&engine);
        Ok(PluginHost { engine, linker, limits, by_county: RwLock::default() })
    }

    /// Compiles and validates a component, then makes it its county's plugin.
    /// `source_name` names it in errors (a file name or a bundled folder).
    pub fn load(&self, source_name: &str, bytes: &[u8]) -> Result<Arc<Plugin>, PluginError> {
        let invalid = |message: String| PluginError::Invalid { source_name: source_name.to_owned(), message };
        let component = Component::new(&self.engine, bytes).map_err(|e| invalid(format!("{e:#}")))?;
        let runner = v0_1_0::Runner::new(&self.linker, &component, self.limits.clone()).map_err(invalid)?;
        let info = runner.info().map_err(|f| invalid(f.into_error("?").to_string()))?;
        let catalogue = runner.packages().map_err(|f| invalid(f.into_error(&info.county_code).to_string()))?;
        check_catalogue(&catalogue).map_err(invalid)?;
        let plugin = Arc::new(Plugin { info, hash: hex::encode(Sha256::digest(bytes)), catalogue, runner });
        self.by_county
            .write()
            .map_err(|_| PluginError::Host("plugin table poisoned".into()))?
            .insert(plugin.info.county_code.clone(), plugin.clone());
        Ok(plugin)
    }

    /// The active plugin of a county.
    pub fn for_county(&self, county_code: &str) -> Result<Arc<Plugin>, PluginError> {
        self.by_county
            .read()
            .map_err(|_| PluginError::Host("plugin table poisoned".into()))?
            .get(county_code)
            .cloned()
            .ok_or_else(|| PluginError::NoPlugin(county_code.to_owned()))
    }
}

/// A catalogue the kernel can rely on: unique codes, no negative prices, and
/// every personalised package bundled with a basic one that exists.
fn check_catalogue(packages: &[Package]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for p in packages {
        if !seen.insert(p.code.as_str()) {
            return Err(format!("package code `{}` appears twice in the catalogue", p.code));
        }
        if p.list_price < 0 {
            return Err(format!("package `{}` has a negative list price", p.code));
        }
    }
    for p in packages {
        match (p.kind, &p.bundled_with) {
            (PackageKind::Basic, Some(_)) => {
                return Err(format!("basic package `{}` cannot be bundled with another", p.code));
            }
            (PackageKind::Personalised, None) => {
                return Err(format!("personalised package `{}` names no basic package to bundle with", p.code));
            }
            (PackageKind::Personalised, Some(basic)) => {
                let is_basic = packages.iter().any(|b| &b.code == basic && b.kind == PackageKind::Basic);
                if !is_basic {
                    return Err(format!(
                        "package `{}` is bundled with `{basic}`, which is not a basic package of the catalogue",
                        p.code
                    ));
                }
            }
            (PackageKind::Basic, None) => {}
        }
    }
    Ok(())
}

/// What went wrong inside one call, before it is told whose plugin it was.
#[derive(Debug)]
enum CallFailure {
    OutOfFuel { call: &'static str, fuel: u64 },
    Deadline { call: &'static str, deadline: Duration },
    Memory { call: &'static str, bytes: usize },
    Trap { call: &'static str, message: String },
}

impl CallFailure {
    fn into_error(self, county: &str) -> PluginError {
        let county = county.to_owned();
        match self {
            CallFailure::OutOfFuel { call, fuel } => PluginError::OutOfFuel { county, call, fuel },
            CallFailure::Deadline { call, deadline } => {
                PluginError::Deadline { county, call, millis: deadline.as_millis() }
            }
            CallFailure::Memory { call, bytes } => PluginError::Memory { county, call, bytes },
            CallFailure::Trap { call, message } => PluginError::Trap { county, call, message },
        }
    }
}

#[cfg(test)]
mod tests;
