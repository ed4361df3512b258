//! The plugin lifecycle (插件生命周期) without a restart: upload → validate →
//! shadow → activate from a day → roll back, and the reproduction of any
//! stored price by the version that made it.
//!
//! Every version is stored (component by SHA-256, with its configuration)
//! before it can price anything, bundled ones included, so that a contract's
//! `plugin_hash` always names something that can be run again.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use time::Date;
use utoipa::ToSchema;

use super::renewal::PRICE_BATCH;
use super::{Kernel, KernelError, not_found};
use crate::authz::{Action, Principal, Resource};
use crate::contracts::{Contract, ContractLine};
use crate::org::County;
use crate::plugins::{self, Limits, Plugin, PluginError, PluginHost, PriceRequest, Quote, ResidentFacts};
use crate::residents::Resident;
use crate::store::{StoredActivation, StoredLimits, StoredVersion};

/// One golden case file sent with an upload.
#[derive(Debug, Clone, serde::Deserialize, ToSchema)]
pub struct GoldenUpload {
    /// File name, for the report, e.g. `pricing.json`.
    pub name: String,
    /// The file's JSON text (format in `plugins/README.md`).
    pub text: String,
}

/// What an upload stored and checked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UploadReport {
    pub version: StoredVersion,
    /// `false` if this very version was stored before: nothing changed.
    pub new: bool,
    pub golden_cases_passed: usize,
    pub packages: usize,
}

/// A price as a contract line holds it, for comparisons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LinePrice {
    pub list_price: i64,
    pub quote: Quote,
}

/// One contract line repriced by another version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Repriced {
    pub contract_id: String,
    pub package_code: String,
    pub stored: LinePrice,
    /// The other version's price, unless it gave none…
    pub recomputed: Option<LinePrice>,
    /// …and then why.
    pub refused: Option<String>,
}

impl Repriced {
    pub fn same(&self) -> bool {
        self.recomputed.as_ref() == Some(&self.stored)
    }
}

/// What a candidate version would change on a county's active contracts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShadowReport {
    pub county_code: String,
    pub candidate: String,
    pub contracts: u64,
    pub lines: u64,
    pub unchanged: u64,
    /// Every line whose price or payer split would differ, or which the
    /// candidate would refuse (at most [`SHADOW_LISTED`]; `changed` counts all).
    pub changed: u64,
    pub differences: Vec<Repriced>,
}

/// Differences a shadow report lists; it counts the rest.
pub const SHADOW_LISTED: usize = 10_000;

/// A contract's prices recomputed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reproduction {
    pub contract_id: String,
    /// The version that priced the contract.
    pub stored_by: String,
    /// The version that recomputed it.
    pub recomputed_by: String,
    pub lines: Vec<Repriced>,
    /// Every line the same.
    pub identical: bool,
}

/// How many contracts a shadow run reads at a time.
const SHADOW_CHUNK: u32 = 1000;

/// What every call tells a plugin about a resident (`resident-facts`), and
/// the words a refusal names each fact by.
const DISCLOSED: [(Action, &str); 3] =
    [(Action::DiscloseAge, "age"), (Action::DiscloseSex, "sex"), (Action::DiscloseTags, "population tags")];

impl Kernel {
    /// A county's plugin may be called only if the policies let it be told
    /// every fact its interface carries; a fact cannot be left out of a call.
    pub(crate) fn check_disclosure(&self, county: &str) -> Result<(), KernelError> {
        let facts = DISCLOSED.map(|(action, _)| action);
        match self.authz.current().withheld_from_plugin(county, &facts) {
            None => Ok(()),
            Some(withheld) => {
                let fact = DISCLOSED.iter().find(|(a, _)| *a == withheld).map_or("facts", |(_, fact)| fact);
                Err(KernelError::Withheld { county: county.to_owned(), fact })
            }
        }
    }

    /// Loads a county after checking the caller may do `action` on its plugin.
    async fn plugin_of(&self, who: &Principal, action: Action, county: &str) -> Result<County, KernelError> {
        self.authz.decide(who, action, &Resource::Plugin { county })?;
        self.store.county(county).await?.ok_or_else(|| not_found("county", county))
    }

    /// Compiles, records and installs a base plugin: bundled, or given at
    /// start. It prices every day of its county no activation covers.
    pub async fn install_base_plugin(
        &self,
        source: &str,
        bytes: &[u8],
        config: &str,
    ) -> Result<Arc<Plugin>, KernelError> {
        let plugin = self.compile_plugin(source, bytes, config).await?;
        self.store.save_plugin_version(&stored(&plugin, "kernel"), bytes).await?;
        self.plugins.set_base(plugin.clone())?;
        Ok(plugin)
    }

    /// The plugins built into the kernel, each its county's base plugin.
    pub async fn install_bundled_plugins(&self) -> Result<Vec<Arc<Plugin>>, KernelError> {
        let mut installed = Vec::new();
        for bundled in crate::bundled::PLUGINS {
            installed.push(self.install_base_plugin(bundled.name, bundled.component, bundled.config).await?);
        }
        Ok(installed)
    }

    /// A component file as a base plugin, configured by the `.json` file of
    /// the same name beside it (none if there is no such file).
    pub async fn install_plugin_file(&self, path: &Path) -> Result<Arc<Plugin>, KernelError> {
        let name = path.display().to_string();
        let unreadable = |e: std::io::Error| PluginError::Invalid { source_name: name.clone(), message: e.to_string() };
        let bytes = std::fs::read(path).map_err(unreadable)?;
        let config = match std::fs::read_to_string(path.with_extension("json")) {
            Ok(config) => config,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(unreadable(e).into()),
        };
        self.install_base_plugin(&name, &bytes, &config).await
    }

    /// Sets the fuel, memory and time each call of a county's plugin may use;
    /// the next call runs under them, on every replica within seconds.
    pub async fn set_plugin_limits(
        &self,
        who: &Principal,
        county: &str,
        limits: StoredLimits,
    ) -> Result<StoredLimits, KernelError> {
        self.plugin_of(who, Action::SetPluginLimits, county).await?;
        // The store keeps each limit as a signed 64-bit integer.
        let stored = [limits.fuel, limits.memory_bytes, limits.component_bytes, limits.deadline_ms];
        if stored.into_iter().any(|limit| i64::try_from(limit).is_err()) {
            return Err(KernelError::Invalid(format!("a limit is at most {}", i64::MAX)));
        }
        let host_limits = limits_from(&limits);
        PluginHost::check_limits(&host_limits).map_err(KernelError::Invalid)?;
        self.store.set_plugin_limits(county, &limits, &who.subject).await?;
        self.plugins.set_limits_of(county, host_limits).map_err(KernelError::Invalid)?;
        Ok(limits)
    }

    /// The limits a county's plugin calls run under now.
    pub async fn plugin_limits(&self, who: &Principal, county: &str) -> Result<StoredLimits, KernelError> {
        self.plugin_of(who, Action::ReadPluginLimits, county).await?;
        let limits = self.plugins.limits_of(county)?;
        Ok(StoredLimits {
            fuel: limits.fuel,
            memory_bytes: limits.memory_bytes as u64,
            component_bytes: limits.component_bytes as u64,
            deadline_ms: u64::try_from(limits.deadline.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// Loads every stored activation into the host: at start, and on a timer
    /// so that replicas follow each other's activations and rollbacks.
    pub async fn load_plugin_activations(&self) -> Result<(), KernelError> {
        let activations = self.store.plugin_activations().await?;
        let mut counties: HashMap<String, plugins::Schedule> = HashMap::new();
        for a in activations {
            let plugin = self.stored_plugin(&a.version_hash).await?;
            counties.entry(a.county_code).or_default().push((a.effective_from, plugin));
        }
        self.plugins.set_activations(counties)?;
        for (county, limits) in self.store.plugin_limits().await? {
            // Stored limits were checked when set; a host with a lower ceiling keeps its defaults.
            if let Err(why) = self.plugins.set_limits_of(&county, limits_from(&limits)) {
                tracing::warn!(county, why, "stored plugin limits not applied");
            }
        }
        Ok(())
    }

    /// Stores a new version of a county's plugin once it has shown it is
    /// one: a component of a known world and version, importing nothing but
    /// the world's and WASI, accepting its configuration, declaring this
    /// county, and passing its own golden cases. Nothing is stored otherwise.
    pub async fn upload_plugin(
        &self,
        who: &Principal,
        county: &str,
        component: &[u8],
        config: &str,
        golden: &[GoldenUpload],
    ) -> Result<UploadReport, KernelError> {
        self.plugin_of(who, Action::UploadPlugin, county).await?;
        if golden.is_empty() {
            return Err(KernelError::PluginRejected("a version needs its golden cases: none were sent".into()));
        }
        self.plugins.limits_of(county)?.admit_component(component.len()).map_err(KernelError::PluginRejected)?;
        let plugin = self.compile_plugin("the upload", component, config).await.map_err(|e| match e {
            KernelError::Plugin(PluginError::Invalid { message, .. }) => KernelError::PluginRejected(message),
            other => other,
        })?;
        // A refused version leaves no compiled code behind, in memory or in the cache folder.
        let refused = |why: String| {
            self.plugins.forget(&plugin)?;
            Err(KernelError::PluginRejected(why))
        };
        if plugin.info.county_code != county {
            return refused(format!(
                "the component says it is the plugin of county {}, not of {county}",
                plugin.info.county_code
            ));
        }
        let (candidate, files) = (Arc::clone(&plugin), golden.to_vec());
        let passed = match plugins::off_runtime(move || Ok(golden_cases_passed(&candidate, &files))).await? {
            Ok(passed) => passed,
            Err(why) => return refused(why),
        };
        let version = stored(&plugin, &who.subject);
        let new = self.store.save_plugin_version(&version, component).await?;
        Ok(UploadReport { version, new, golden_cases_passed: passed, packages: plugin.catalogue.len() })
    }

    /// A county's stored versions, newest first, and its activations in force.
    pub async fn plugin_versions(
        &self,
        who: &Principal,
        county: &str,
    ) -> Result<(Vec<StoredVersion>, Vec<StoredActivation>), KernelError> {
        self.plugin_of(who, Action::ListPlugins, county).await?;
        let versions = self.store.plugin_versions(county).await?;
        let activations =
            self.store.plugin_activations().await?.into_iter().filter(|a| a.county_code == county).collect();
        Ok((versions, activations))
    }

    /// Reprices the county's active contracts of the current period with a
    /// stored candidate version, beside the prices they hold.
    pub async fn shadow_plugin(&self, who: &Principal, county: &str, hash: &str) -> Result<ShadowReport, KernelError> {
        self.plugin_of(who, Action::ShadowPlugin, county).await?;
        self.check_disclosure(county)?;
        let candidate = self.county_version(county, hash).await?;
        let period = crate::contracts::Period::containing(self.clock.today());
        let mut report = ShadowReport {
            county_code: county.to_owned(),
            candidate: hash.to_owned(),
            contracts: 0,
            lines: 0,
            unchanged: 0,
            changed: 0,
            differences: Vec::new(),
        };
        let mut after = String::new();
        loop {
            let chunk = self.store.renewal_chunk(county, period, &after, SHADOW_CHUNK).await?;
            let Some((last, _)) = chunk.last() else { break };
            after = last.id.clone();
            report.contracts += chunk.len() as u64;
            for repriced in reprice(&candidate, chunk).await? {
                report.lines += 1;
                if repriced.same() {
                    report.unchanged += 1;
                } else {
                    report.changed += 1;
                    if report.differences.len() < SHADOW_LISTED {
                        report.differences.push(repriced);
                    }
                }
            }
        }
        Ok(report)
    }

    /// Makes a stored version the county's plugin from `effective_from` on,
    /// without a restart. Contracts signed before keep their prices.
    pub async fn activate_plugin(
        &self,
        who: &Principal,
        county: &str,
        hash: &str,
        effective_from: Date,
    ) -> Result<StoredActivation, KernelError> {
        self.plugin_of(who, Action::ActivatePlugin, county).await?;
        let plugin = self.county_version(county, hash).await?;
        let first = plugin.info.periods.first;
        if effective_from.year() < i32::from(first) {
            return Err(KernelError::Invalid(format!(
                "version {hash} applies from period {first} on, not from {effective_from}"
            )));
        }
        let activation = self.store.activate_plugin(county, hash, effective_from, &who.subject).await?;
        self.load_plugin_activations().await?;
        Ok(activation)
    }

    /// Undoes the county's latest activation in force; the decision before
    /// it (or the base plugin) applies again at once.
    pub async fn roll_back_plugin(
        &self,
        who: &Principal,
        county: &str,
        reason: &str,
    ) -> Result<StoredActivation, KernelError> {
        self.plugin_of(who, Action::RollBackPlugin, county).await?;
        if reason.trim().is_empty() {
            return Err(KernelError::Invalid("a rollback needs a reason".into()));
        }
        let undone = self.store.roll_back_plugin(county, &who.subject, reason).await?;
        let undone = undone.ok_or_else(|| not_found("plugin activation in force for county", county))?;
        self.load_plugin_activations().await?;
        Ok(undone)
    }

    /// Recomputes a contract's prices from the inputs it stored, by the
    /// version that made them or by `candidate` (a build under test).
    pub async fn reproduce_contract(
        &self,
        who: &Principal,
        contract_id: &str,
        candidate: Option<Arc<Plugin>>,
    ) -> Result<Reproduction, KernelError> {
        let contract = self.contract(who, contract_id).await?;
        self.authz.decide(who, Action::ReproducePrice, &Resource::Plugin { county: &contract.county_code })?;
        self.check_disclosure(&contract.county_code)?;
        let plugin = match candidate {
            Some(plugin) => plugin,
            None => self.stored_plugin(&contract.plugin_hash).await?,
        };
        let resident = self.store.resident(&contract.resident_id).await?;
        let resident = resident.ok_or_else(|| not_found("resident", &contract.resident_id))?;
        let stored_by = contract.plugin_hash.clone();
        let lines = reprice(&plugin, vec![(contract, resident)]).await?;
        Ok(Reproduction {
            contract_id: contract_id.to_owned(),
            stored_by,
            recomputed_by: plugin.hash.clone(),
            identical: lines.iter().all(Repriced::same),
            lines,
        })
    }

    /// A stored version of `county`, compiled.
    async fn county_version(&self, county: &str, hash: &str) -> Result<Arc<Plugin>, KernelError> {
        let plugin = self.stored_plugin(hash).await?;
        if plugin.info.county_code != county {
            return Err(not_found("plugin version of this county", hash));
        }
        Ok(plugin)
    }

    /// A stored version, compiled once and kept.
    pub(super) async fn stored_plugin(&self, hash: &str) -> Result<Arc<Plugin>, KernelError> {
        if let Some(plugin) = self.plugins.compiled_version(hash)? {
            return Ok(plugin);
        }
        let (version, bytes) =
            self.store.plugin_version(hash).await?.ok_or_else(|| not_found("plugin version", hash))?;
        self.compile_plugin(&format!("stored version {hash}"), &bytes, &version.config).await
    }

    /// Compiles a version (or finds it compiled) without storing or
    /// installing it: a candidate for replays, or the first step of the rest.
    pub async fn compile_plugin(&self, source: &str, bytes: &[u8], config: &str) -> Result<Arc<Plugin>, KernelError> {
        let host = Arc::clone(&self.plugins);
        let (source, bytes, config) = (source.to_owned(), bytes.to_vec(), config.to_owned());
        Ok(plugins::off_runtime(move || host.version(&source, &bytes, &config)).await?)
    }
}

fn limits_from(limits: &StoredLimits) -> Limits {
    Limits {
        fuel: limits.fuel,
        memory_bytes: usize::try_from(limits.memory_bytes).unwrap_or(usize::MAX),
        component_bytes: usize::try_from(limits.component_bytes).unwrap_or(usize::MAX),
        deadline: std::time::Duration::from_millis(limits.deadline_ms),
    }
}

fn stored(plugin: &Plugin, by: &str) -> StoredVersion {
    StoredVersion {
        hash: plugin.hash.clone(),
        county_code: plugin.info.county_code.clone(),
        component: plugin.component.clone(),
        world: plugin.world.to_owned(),
        version: plugin.info.version.clone(),
        config: plugin.config.clone(),
        uploaded_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        uploaded_by: by.to_owned(),
    }
}

/// The request a contract line was priced from: its stored facts, and the
/// first day it covered, which is the day it was signed (a renewal is signed
/// on its period's first day).
fn request_of(contract: &Contract, resident: &Resident, line: &ContractLine, list_price: i64) -> PriceRequest {
    PriceRequest {
        package_code: line.package_code.clone(),
        resident: ResidentFacts { age: line.priced_age, sex: resident.sex(), tags: line.priced_tags.clone() },
        starts_on: contract.signed_on,
        list_price,
    }
}

/// Reprices every line of `contracts` with `plugin`, in batches.
async fn reprice(plugin: &Arc<Plugin>, contracts: Vec<(Contract, Resident)>) -> Result<Vec<Repriced>, KernelError> {
    let plugin = Arc::clone(plugin);
    plugins::off_runtime(move || {
        let mut repriced = Vec::new();
        let mut requests = Vec::new();
        // Lines the plugin is asked about, by their place in `repriced`.
        let mut asked = Vec::new();
        for (contract, resident) in &contracts {
            for line in &contract.lines {
                let stored = LinePrice { list_price: line.list_price, quote: line.quote.clone() };
                let mut entry = Repriced {
                    contract_id: contract.id.clone(),
                    package_code: line.package_code.clone(),
                    stored,
                    recomputed: None,
                    refused: None,
                };
                // The version's own catalogue price: a changed list price is a changed price.
                match plugin.package(&line.package_code) {
                    Some(package) => {
                        requests.push(request_of(contract, resident, line, package.list_price));
                        asked.push(repriced.len());
                    }
                    None => entry.refused = Some(format!("package `{}` is not in the catalogue", line.package_code)),
                }
                repriced.push(entry);
            }
        }
        let mut answers = Vec::with_capacity(requests.len());
        for batch in requests.chunks(PRICE_BATCH) {
            answers.extend(plugin.price_batch(batch)?);
        }
        for ((i, request), answer) in asked.into_iter().zip(&requests).zip(answers) {
            match answer {
                Ok(quote) => repriced[i].recomputed = Some(LinePrice { list_price: request.list_price, quote }),
                Err(refusal) => repriced[i].refused = Some(refusal.to_string()),
            }
        }
        Ok(repriced)
    })
    .await
    .map_err(KernelError::from)
}

/// How many of the golden cases `plugin` passes, or why it is rejected: a
/// file that does not parse, or the first case it fails.
fn golden_cases_passed(plugin: &Plugin, files: &[GoldenUpload]) -> Result<usize, String> {
    let mut passed = 0;
    for file in files {
        let outcomes = plugins::golden::run_file(plugin, &file.name, &file.text)
            .map_err(|message| format!("golden file `{}`: {message}", file.name))?;
        if let Some(failed) = outcomes.iter().find(|o| !o.passed()) {
            return Err(format!(
                "golden case `{}` of `{}` fails: expected {}, got {}",
                failed.case, failed.file, failed.expected, failed.actual
            ));
        }
        passed += outcomes.len();
    }
    Ok(passed)
}
