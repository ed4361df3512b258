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

mod checks;
mod compiled;
mod contract;
pub mod golden;
mod kept;
mod model;
mod off_runtime;
mod sandbox;
mod snapshot;
mod v0_1_0;
mod v1_0_0;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use thiserror::Error;
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

pub use contract::world_of;
pub use model::*;
pub use off_runtime::off_runtime;
pub use sandbox::Limits;

use time::Date;

use crate::residents::{Tag, Tags};

/// The published worlds this kernel loads, oldest first.
pub const WORLDS: [&str; 2] = [v0_1_0::WORLD, v1_0_0::WORLD];

/// The county of a plugin whose `info`, which says it, failed.
const UNIDENTIFIED: &str = "(unknown: it failed before saying)";

/// How many compiled versions no county's schedule uses stay in memory.
pub const SPARE_VERSIONS: usize = 4;

/// The default bound of the compiled-code cache folder: some twenty
/// JavaScript versions with their snapshots, or hundreds of Rust ones.
pub const CACHE_BYTES: u64 = 2 << 30;

/// The least wall clock a load-time call gets: see [`PluginHost::loading`].
const LOADING_DEADLINE: Duration = Duration::from_secs(1);

/// A plugin could not be loaded or did not answer properly.
#[derive(Debug, Error)]
pub enum PluginError {
    #[error("no plugin is loaded for county `{0}`")]
    NoPlugin(String),
    #[error("`{source_name}` is not a usable county plugin: {message}")]
    Invalid { source_name: String, message: String },
    /// `fuel`: what the call had, its `requests` requests' worth.
    #[error("the plugin of county {county} ran out of fuel in `{call}`: {}", budget(u128::from(*fuel), *requests, "units"))]
    OutOfFuel { county: String, call: &'static str, fuel: u64, requests: usize },
    /// `millis`: what the call had, its `requests` requests' worth.
    #[error("the plugin of county {county} passed its deadline in `{call}`: {}", budget(*millis, *requests, "ms"))]
    Deadline { county: String, call: &'static str, millis: u128, requests: usize },
    #[error("the plugin of county {county} went over its memory limit of {bytes} bytes in `{call}`")]
    Memory { county: String, call: &'static str, bytes: usize },
    #[error("the plugin of county {county} crashed in `{call}`: {message}")]
    Trap { county: String, call: &'static str, message: String },
    #[error("the plugin of county {county} gave a wrong answer to `{call}`: {reason}")]
    WrongAnswer { county: String, call: &'static str, reason: String },
    #[error("the plugin of county {county} is built for {world}, which has no `{call}`: rebuild it for {newest}", newest = v1_0_0::WORLD)]
    Unsupported { county: String, call: &'static str, world: &'static str },
    #[error("the plugin host could not start: {0}")]
    Host(String),
}

/// What a call had, said per request for a batch: a batch gets as many
/// single calls' limits, and the guide and the region's limits name those.
fn budget(total: u128, requests: usize, unit: &str) -> String {
    match u128::try_from(requests) {
        Ok(n) if n > 1 => format!("{total} {unit} for its {n} requests ({} {unit} each)", total / n),
        _ => format!("{total} {unit}"),
    }
}

/// A compiled component, speaking the world it was built for.
enum Runner {
    V0_1(v0_1_0::Runner),
    V1_0(v1_0_0::Runner),
}

/// One compiled, validated plugin version: a component with its county's
/// configuration document.
pub struct Plugin {
    pub info: PluginInfo,
    /// The version's identity, recorded with every price it makes: SHA-256
    /// over the component's hash and the configuration (see [`version_hash`]).
    pub hash: String,
    /// Lower-case hex SHA-256 of the component's bytes.
    pub component: String,
    pub config: String,
    /// The world the component was built for, e.g. `qianyue:county/county-plugin@1.0.0`.
    pub world: &'static str,
    pub catalogue: Vec<Package>,
    /// `Ok` when its instances start from a snapshot taken after
    /// `configure` (see `snapshot.rs`); otherwise why each call configures
    /// its instance anew.
    pub starts_configured: Result<(), String>,
    runner: Runner,
}

impl Plugin {
    pub fn package(&self, code: &str) -> Option<&Package> {
        self.catalogue.iter().find(|p| p.code == code)
    }

    /// An instance of this version for the calls of one kernel operation: fresh
    /// and configured at the first call, warm for the next ones (a fresh
    /// instance costs several times a warm call). Plugins of the 0.1.0 world
    /// answer each call of a session in a fresh instance.
    pub fn session(&self) -> Result<Session<'_>, PluginError> {
        off_runtime::check()?;
        let calls = match &self.runner {
            Runner::V0_1(r) => Calls::V0_1(r),
            Runner::V1_0(r) => Calls::V1_0(r.configured("configure").map_err(|f| self.failed(f))?),
        };
        Ok(Session { plugin: self, calls })
    }

    /// Prices one package for one resident, in a fresh instance.
    pub fn price(&self, request: &PriceRequest) -> Result<Result<Quote, Refusal>, PluginError> {
        self.session()?.price(request)
    }

    /// Prices many requests crossing the sandbox boundary once, in a fresh instance.
    pub fn price_batch(&self, requests: &[PriceRequest]) -> Result<Vec<Result<Quote, Refusal>>, PluginError> {
        self.session()?.price_batch(requests)
    }

    /// See [`Session::basic_package`]; in a fresh instance.
    pub fn basic_package(&self, resident: &ResidentFacts) -> Result<Option<Result<String, Refusal>>, PluginError> {
        self.session()?.basic_package(resident)
    }

    /// May each resident sign each package? In a fresh instance.
    pub fn eligible_batch(&self, requests: &[EligibilityRequest]) -> Result<Vec<Result<(), Refusal>>, PluginError> {
        self.session()?.eligible_batch(requests)
    }

    /// Divides claims among their payers, in a fresh instance.
    pub fn adjudicate_batch(&self, claims: &[Claim]) -> Result<Vec<Result<Adjudication, Refusal>>, PluginError> {
        self.session()?.adjudicate_batch(claims)
    }

    /// Settles teams' periods, in a fresh instance.
    pub fn settle_batch(&self, activities: &[TeamActivity]) -> Result<Vec<Result<Settlement, Refusal>>, PluginError> {
        self.session()?.settle_batch(activities)
    }

    fn same_length(&self, call: &'static str, asked: usize, answered: usize) -> Result<(), PluginError> {
        if asked == answered {
            Ok(())
        } else {
            Err(self.wrong(call, format!("{answered} answers to {asked} requests")))
        }
    }

    fn failed(&self, failure: CallFailure) -> PluginError {
        failure.into_error(&self.info.county_code)
    }

    fn wrong(&self, call: &'static str, reason: String) -> PluginError {
        PluginError::WrongAnswer { county: self.info.county_code.clone(), call, reason }
    }
}

/// One instance of a plugin version kept for the calls of one kernel
/// operation (see [`Plugin::session`]); every answer is checked.
pub struct Session<'p> {
    plugin: &'p Plugin,
    calls: Calls<'p>,
}

#[allow(
    clippy::large_enum_variant,
    reason = "one lives on the stack per operation; a box would cost every call an allocation"
)]
enum Calls<'p> {
    V0_1(&'p v0_1_0::Runner),
    V1_0(v1_0_0::Session<'p>),
}

impl<'p> Session<'p> {
    /// Prices one package for one resident.
    pub fn price(&mut self, request: &PriceRequest) -> Result<Result<Quote, Refusal>, PluginError> {
        let mut answers = self.price_batch(std::slice::from_ref(request))?;
        answers.pop().ok_or_else(|| self.plugin.wrong("price", "no answer".into()))
    }

    /// Prices many requests crossing the sandbox boundary once.
    pub fn price_batch(&mut self, requests: &[PriceRequest]) -> Result<Vec<Result<Quote, Refusal>>, PluginError> {
        let plugin = self.plugin;
        // Each quote with the list price it says it priced from (newer worlds say).
        let answers: Vec<Result<(Option<Fen>, Quote), Refusal>> = match &mut self.calls {
            Calls::V0_1(r) => {
                let answers = r.price_batch(requests).map_err(|f| plugin.failed(f))?;
                answers.into_iter().map(|a| a.map(|quote| (None, quote))).collect()
            }
            Calls::V1_0(s) => {
                let answers = s.price_batch(requests).map_err(|f| plugin.failed(f))?;
                answers.into_iter().map(|a| a.map(|p| (Some(p.list_price), p.quote))).collect()
            }
        };
        plugin.same_length("price-batch", requests.len(), answers.len())?;
        requests
            .iter()
            .zip(answers)
            .map(|(request, answer)| {
                if let Ok((priced_from, quote)) = &answer {
                    if let Some(list_price) = priced_from.filter(|p| *p != request.list_price) {
                        return Err(plugin.wrong(
                            "price",
                            format!(
                                "it priced `{}` from a list price of {list_price} fen, its catalogue says {} fen",
                                request.package_code, request.list_price
                            ),
                        ));
                    }
                    checks::quote(request.list_price, quote).map_err(|reason| plugin.wrong("price", reason))?;
                }
                Ok(answer.map(|(_, quote)| quote))
            })
            .collect()
    }

    /// The basic package the plugin assigns to a resident's population
    /// group, or `None` when its world cannot say (0.1.0): then the
    /// catalogue's target groups and the pricing refusal are all there is.
    pub fn basic_package(&mut self, resident: &ResidentFacts) -> Result<Option<Result<String, Refusal>>, PluginError> {
        let plugin = self.plugin;
        let Calls::V1_0(s) = &mut self.calls else { return Ok(None) };
        let answer = s.basic_package(resident).map_err(|f| plugin.failed(f))?;
        if let Ok(code) = &answer
            && plugin.package(code).is_none_or(|p| p.kind != PackageKind::Basic)
        {
            return Err(plugin.wrong("basic-package", format!("`{code}` is not a basic package of its catalogue")));
        }
        Ok(Some(answer))
    }

    /// May each resident sign each package?
    pub fn eligible_batch(&mut self, requests: &[EligibilityRequest]) -> Result<Vec<Result<(), Refusal>>, PluginError> {
        let plugin = self.plugin;
        let answers = self.v1("eligible-batch")?.eligible(requests).map_err(|f| plugin.failed(f))?;
        plugin.same_length("eligible-batch", requests.len(), answers.len())?;
        Ok(answers)
    }

    /// Divides claims among their payers.
    pub fn adjudicate_batch(&mut self, claims: &[Claim]) -> Result<Vec<Result<Adjudication, Refusal>>, PluginError> {
        let plugin = self.plugin;
        let answers = self.v1("adjudicate-batch")?.adjudicate_batch(claims).map_err(|f| plugin.failed(f))?;
        plugin.same_length("adjudicate-batch", claims.len(), answers.len())?;
        for (claim, answer) in claims.iter().zip(&answers) {
            if let Ok(a) = answer {
                checks::adjudication(claim.amount, a).map_err(|reason| plugin.wrong("adjudicate", reason))?;
            }
        }
        Ok(answers)
    }

    /// Settles teams' periods.
    pub fn settle_batch(
        &mut self,
        activities: &[TeamActivity],
    ) -> Result<Vec<Result<Settlement, Refusal>>, PluginError> {
        let plugin = self.plugin;
        let answers = self.v1("settle-batch")?.settle_batch(activities).map_err(|f| plugin.failed(f))?;
        plugin.same_length("settle-batch", activities.len(), answers.len())?;
        for s in answers.iter().flatten() {
            checks::settlement(s).map_err(|reason| plugin.wrong("settle", reason))?;
        }
        Ok(answers)
    }

    fn v1(&mut self, call: &'static str) -> Result<&mut v1_0_0::Session<'p>, PluginError> {
        let plugin = self.plugin;
        match &mut self.calls {
            Calls::V1_0(s) => Ok(s),
            Calls::V0_1(_) => {
                Err(PluginError::Unsupported { county: plugin.info.county_code.clone(), call, world: plugin.world })
            }
        }
    }
}

/// What a snapshotted version said of itself at its first load.
#[derive(serde::Serialize, serde::Deserialize)]
struct Described {
    info: PluginInfo,
    catalogue: Vec<Package>,
}

/// A version's identity: the same component with another configuration is
/// another version, because it may price differently.
pub fn version_hash(component_sha256: &str, config: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(component_sha256.as_bytes());
    hasher.update(b"\n");
    hasher.update(config.as_bytes());
    hex::encode(hasher.finalize())
}

/// A county's plugins in the order they were decided, each from its day on.
pub type Schedule = Vec<(Date, Arc<Plugin>)>;

/// Every compiled plugin, and which one each county uses on which day.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<sandbox::Sandbox>,
    /// The default limits, for counties that have none of their own.
    limits: Limits,
    limits_by_county: RwLock<HashMap<String, sandbox::SharedLimits>>,
    components: compiled::Compiled,
    /// Per county, in the order they were decided: the plugin every day uses
    /// unless a later entry's day has come. The first entry (from
    /// `Date::MIN`) is the county's base plugin, bundled or given at start.
    schedules: RwLock<HashMap<String, Schedule>>,
    /// Compiled versions by hash, so that no version in use is compiled twice.
    compiled: Mutex<kept::Kept<Arc<Plugin>>>,
}

/// What a host holds compiled in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// Plugin versions, scheduled or spare.
    pub versions: usize,
    /// Compiled components (a snapshotted version holds only its snapshot).
    pub components: usize,
}

impl PluginHost {
    pub fn new(limits: Limits) -> Result<Self, PluginError> {
        Self::build(limits, None)
    }

    /// A host that keeps compiled code in `cache_dir` across restarts, at
    /// most `cache_bytes` of it (see [`CACHE_BYTES`]).
    pub fn cached(limits: Limits, cache_dir: &std::path::Path, cache_bytes: u64) -> Result<Self, PluginError> {
        Self::build(limits, Some((cache_dir, cache_bytes)))
    }

    fn build(limits: Limits, cache: Option<(&std::path::Path, u64)>) -> Result<Self, PluginError> {
        let host_error = |e: wasmtime::Error| PluginError::Host(format!("{e:#}"));
        let engine = sandbox::engine(&limits).map_err(host_error)?;
        let linker = sandbox::linker(&engine).map_err(host_error)?;
        sandbox::start_epoch_ticker(&engine);
        let (cache_dir, cache_bytes) = cache.unzip();
        let components = compiled::Compiled::new(&engine, cache_dir, cache_bytes.unwrap_or(CACHE_BYTES));
        Ok(PluginHost {
            engine,
            linker,
            limits,
            limits_by_county: RwLock::default(),
            components,
            schedules: RwLock::default(),
            compiled: Mutex::new(kept::Kept::new(SPARE_VERSIONS)),
        })
    }

    /// Compiles and validates a component with its county's configuration
    /// document, without making it any county's plugin. `source_name`
    /// names it in errors (a file name or a bundled folder).
    pub fn compile(&self, source_name: &str, bytes: &[u8], config: &str) -> Result<Plugin, PluginError> {
        let invalid = |message: String| PluginError::Invalid { source_name: source_name.to_owned(), message };
        let component_sha256 = hex::encode(Sha256::digest(bytes));
        let hash = version_hash(&component_sha256, config);
        let snapshot_name = format!("{hash}-configured");
        let cached = self.components.cached(&self.engine, &snapshot_name);
        if let Some(snapshot) = &cached
            && let Some(plugin) = self.described(snapshot, &snapshot_name, &hash, &component_sha256, config)
        {
            // Configured, snapshotted and described before: nothing runs until a call.
            return Ok(plugin);
        }
        let (world, mut runner, info, starts_configured) = if let Some(snapshot) = cached {
            // Configured and snapshotted before: the original is not even mapped.
            let (runner, info) = self.v1_runner(&snapshot, config, true).map_err(invalid)?;
            (v1_0_0::WORLD, runner, info, Ok(()))
        } else {
            let world = contract::world_of(bytes).map_err(invalid)?;
            // Snapshotted first: a snapshot's instances never run the
            // original, so it is compiled only when there is none (seconds
            // for a JavaScript component).
            let snapshot = match world {
                v1_0_0::WORLD => self.snapshot(bytes, config, source_name, &snapshot_name),
                _ => Err(format!("{world} has no configuration")),
            };
            match snapshot {
                Ok(snapshot) => {
                    let (runner, info) = self.v1_runner(&snapshot, config, true).map_err(invalid)?;
                    (world, runner, info, Ok(()))
                }
                Err(why) => {
                    // Loading the original says what is wrong, if anything
                    // is (a refused configuration, a missing import).
                    let component =
                        self.components.component(&self.engine, &component_sha256, bytes).map_err(invalid)?;
                    let (runner, info) = if world == v1_0_0::WORLD {
                        self.v1_runner(&component, config, false).map_err(invalid)?
                    } else {
                        let runner = v0_1_0::Runner::new(&self.linker, &component, self.loading()).map_err(invalid)?;
                        let info = runner.info().map_err(|f| invalid(f.into_error(UNIDENTIFIED).to_string()))?;
                        (Runner::V0_1(runner), info)
                    };
                    tracing::info!(plugin = %hash, "configured at every call, not snapshotted: {why}");
                    (world, runner, info, Err(why))
                }
            }
        };
        let catalogue = match &runner {
            Runner::V0_1(r) => r.packages(),
            Runner::V1_0(r) => r.configured("packages").and_then(|mut s| s.packages()),
        }
        .map_err(|f| invalid(f.into_error(&info.county_code).to_string()))?;
        checks::catalogue(&catalogue).map_err(invalid)?;
        // Loaded: from now on its calls run under its county's limits.
        let county_limits = self.county_limits(&info.county_code)?;
        match &mut runner {
            Runner::V0_1(r) => r.identified(county_limits),
            Runner::V1_0(r) => r.identified(&info, county_limits),
        }
        if starts_configured.is_ok() {
            let described = Described { info: info.clone(), catalogue: catalogue.clone() };
            if let Ok(text) = serde_json::to_string(&described) {
                self.components.note(&snapshot_name, &text);
            }
        }
        Ok(Plugin {
            info,
            hash,
            component: component_sha256,
            config: config.to_owned(),
            world,
            catalogue,
            starts_configured,
            runner,
        })
    }

    /// A snapshot's plugin from what it said of itself at its first load,
    /// without running it: a restart maps the code and touches none of it.
    fn described(
        &self,
        snapshot: &Component,
        name: &str,
        hash: &str,
        component_sha256: &str,
        config: &str,
    ) -> Option<Plugin> {
        let Described { info, catalogue } = serde_json::from_str(&self.components.noted(name)?).ok()?;
        let limits = self.county_limits(&info.county_code).ok()?;
        let mut runner = v1_0_0::Runner::new(&self.linker, snapshot, limits.clone(), config, true).ok()?;
        runner.identified(&info, limits);
        Some(Plugin {
            info,
            hash: hash.to_owned(),
            component: component_sha256.to_owned(),
            config: config.to_owned(),
            world: v1_0_0::WORLD,
            catalogue,
            starts_configured: Ok(()),
            runner: Runner::V1_0(runner),
        })
    }

    /// Limits for the kernel's own calls while it loads a component
    /// (`info`, `configure`, the snapshot, `packages`): a call's fuel and
    /// memory, but at least a second of wall clock. These first calls of
    /// freshly compiled code pay for touching it, on a machine that may be
    /// busy compiling others; the deadline guards serving, and fuel still
    /// bounds the work.
    fn loading(&self) -> sandbox::SharedLimits {
        let deadline = self.limits.deadline.max(LOADING_DEADLINE);
        Arc::new(RwLock::new(Limits { deadline, ..self.limits.clone() }))
    }

    /// A v1 runner for `component`, identified and with its configuration
    /// accepted, or why not.
    fn v1_runner(
        &self,
        component: &Component,
        config: &str,
        preconfigured: bool,
    ) -> Result<(Runner, PluginInfo), String> {
        let mut runner = v1_0_0::Runner::new(&self.linker, component, self.loading(), config, preconfigured)?;
        let info = runner.info().map_err(|f| f.into_error(UNIDENTIFIED).to_string())?;
        runner.identified(&info, self.loading());
        runner
            .configure()
            .map_err(|f| f.into_error(&info.county_code).to_string())?
            .map_err(|message| format!("it refused its configuration: {message}"))?;
        Ok((Runner::V1_0(runner), info))
    }

    /// The component `bytes` snapshotted after `configure` accepted
    /// `config`, compiled and cached under `name`; `label` names it in logs.
    fn snapshot(&self, bytes: &[u8], config: &str, label: &str, name: &str) -> Result<Component, String> {
        let limits = sandbox::current(&self.loading());
        let configured = snapshot::configured(&self.engine, &self.linker, bytes, &limits, label, |store, instance| {
            v1_0_0::configure(store, instance, config)
        })?;
        self.components.compile(&self.engine, name, &configured)
    }

    /// The compiled version `hash`, compiling it from `bytes` the first time.
    /// A component that fails leaves no code behind, here or on disk.
    pub fn version(&self, source_name: &str, bytes: &[u8], config: &str) -> Result<Arc<Plugin>, PluginError> {
        let component_sha256 = hex::encode(Sha256::digest(bytes));
        let hash = version_hash(&component_sha256, config);
        if let Some(plugin) = self.compiled_version(&hash)? {
            return Ok(plugin);
        }
        match self.compile(source_name, bytes, config) {
            Ok(plugin) => {
                let plugin = Arc::new(plugin);
                self.keep(Some(plugin.clone()))?;
                Ok(plugin)
            }
            Err(e) => {
                self.discard(&hash, &component_sha256)?;
                Err(e)
            }
        }
    }

    /// A version compiled earlier and still kept, if it is.
    pub fn compiled_version(&self, hash: &str) -> Result<Option<Arc<Plugin>>, PluginError> {
        Ok(self.compiled.lock().map_err(poisoned)?.get(hash).cloned())
    }

    /// Lets go of a version no county may use (its upload was refused),
    /// here and in the cache folder; a scheduled version stays.
    pub fn forget(&self, plugin: &Plugin) -> Result<(), PluginError> {
        if self.scheduled()?.contains(&plugin.hash) {
            return Ok(());
        }
        self.compiled.lock().map_err(poisoned)?.remove(&plugin.hash);
        self.discard(&plugin.hash, &plugin.component)
    }

    /// What this host holds compiled in memory.
    pub fn held(&self) -> Result<Held, PluginError> {
        let versions = self.compiled.lock().map_err(poisoned)?.len();
        Ok(Held { versions, components: self.components.held() })
    }

    /// Deletes version `hash`'s code, and its component's unless a kept
    /// version runs it.
    fn discard(&self, hash: &str, component_sha256: &str) -> Result<(), PluginError> {
        self.components.discard(&format!("{hash}-configured"));
        if !self.compiled.lock().map_err(poisoned)?.values().any(|p| p.component == component_sha256) {
            self.components.discard(component_sha256);
        }
        Ok(())
    }

    /// Keeps `plugin` (if any) and every scheduled version, and lets go of
    /// the spare versions beyond [`SPARE_VERSIONS`] used longest ago.
    fn keep(&self, plugin: Option<Arc<Plugin>>) -> Result<(), PluginError> {
        let scheduled: Vec<Arc<Plugin>> =
            self.schedules.read().map_err(poisoned)?.values().flatten().map(|(_, p)| p.clone()).collect();
        let hashes: HashSet<String> = scheduled.iter().map(|p| p.hash.clone()).collect();
        let mut kept = self.compiled.lock().map_err(poisoned)?;
        let mut released = Vec::new();
        let untracked: Vec<Arc<Plugin>> = scheduled.into_iter().filter(|p| !kept.contains(&p.hash)).collect();
        for plugin in untracked.into_iter().chain(plugin) {
            released.extend(kept.insert(plugin.hash.clone(), plugin, &hashes));
        }
        released.extend(kept.trim(&hashes));
        for plugin in released {
            self.components.release(&format!("{}-configured", plugin.hash));
            if !kept.values().any(|p| p.component == plugin.component) {
                self.components.release(&plugin.component);
            }
        }
        Ok(())
    }

    /// The hashes of the versions some county's schedule uses.
    fn scheduled(&self) -> Result<HashSet<String>, PluginError> {
        let schedules = self.schedules.read().map_err(poisoned)?;
        Ok(schedules.values().flatten().map(|(_, p)| p.hash.clone()).collect())
    }

    /// Compiles a component and makes it its county's base plugin, used on
    /// every day no activation covers.
    pub fn load(&self, source_name: &str, bytes: &[u8], config: &str) -> Result<Arc<Plugin>, PluginError> {
        let plugin = self.version(source_name, bytes, config)?;
        self.set_base(plugin.clone())?;
        Ok(plugin)
    }

    /// Makes `plugin` its county's base plugin, keeping the activations.
    pub fn set_base(&self, plugin: Arc<Plugin>) -> Result<(), PluginError> {
        let mut schedules = self.schedules.write().map_err(poisoned)?;
        let schedule = schedules.entry(plugin.info.county_code.clone()).or_default();
        match schedule.first_mut() {
            Some((Date::MIN, base)) => *base = plugin,
            _ => schedule.insert(0, (Date::MIN, plugin)),
        }
        drop(schedules);
        self.keep(None)
    }

    /// Replaces every county's activations (its schedule after the base
    /// plugin), oldest decision first; counties missing from `activations`
    /// keep only their base plugin.
    pub fn set_activations(&self, mut activations: HashMap<String, Schedule>) -> Result<(), PluginError> {
        let mut schedules = self.schedules.write().map_err(poisoned)?;
        for (county, schedule) in schedules.iter_mut() {
            schedule.retain(|(from, _)| *from == Date::MIN);
            schedule.extend(activations.remove(county).unwrap_or_default());
        }
        schedules.extend(activations);
        drop(schedules);
        self.keep(None)
    }

    /// A county's limits, shared by its compiled versions.
    fn county_limits(&self, county: &str) -> Result<sandbox::SharedLimits, PluginError> {
        let mut all = self.limits_by_county.write().map_err(poisoned)?;
        Ok(all.entry(county.to_owned()).or_insert_with(|| Arc::new(RwLock::new(self.limits.clone()))).clone())
    }

    /// The limits a county's plugin calls run under.
    pub fn limits_of(&self, county: &str) -> Result<Limits, PluginError> {
        Ok(sandbox::current(&self.county_limits(county)?))
    }

    /// Sets a county's limits; its next call runs under them. Refused above
    /// the memory every slot of the pool can hold.
    pub fn set_limits_of(&self, county: &str, limits: Limits) -> Result<(), String> {
        Self::check_limits(&limits)?;
        let shared = self.county_limits(county).map_err(|e| e.to_string())?;
        match shared.write() {
            Ok(mut current) => *current = limits,
            Err(poisoned) => *poisoned.into_inner() = limits,
        }
        Ok(())
    }

    /// Limits a county may be given, or why not.
    pub fn check_limits(limits: &Limits) -> Result<(), String> {
        if limits.memory_bytes > sandbox::MEMORY_CEILING {
            return Err(format!(
                "memory of {} MiB is over the host's ceiling of {} MiB a call",
                limits.memory_bytes >> 20,
                sandbox::MEMORY_CEILING >> 20
            ));
        }
        if limits.fuel == 0 || limits.deadline.is_zero() || limits.memory_bytes == 0 || limits.component_bytes == 0 {
            return Err("fuel, memory, deadline and component size must all be above zero".into());
        }
        Ok(())
    }

    /// The plugin a county uses on `day`: the latest decision whose day has come.
    pub fn for_county(&self, county_code: &str, day: Date) -> Result<Arc<Plugin>, PluginError> {
        self.schedules
            .read()
            .map_err(poisoned)?
            .get(county_code)
            .and_then(|schedule| schedule.iter().rev().find(|(from, _)| *from <= day))
            .map(|(_, plugin)| plugin.clone())
            .ok_or_else(|| PluginError::NoPlugin(county_code.to_owned()))
    }
}

fn poisoned<T>(_: T) -> PluginError {
    PluginError::Host("plugin table poisoned".into())
}

/// The WIT flags of the population tags, in the order every published
/// world declares them; `$flags` is one world's generated flags type.
macro_rules! tag_table {
    ($flags:ty) => {{
        type F = $flags;
        [
            (Tag::Elderly, F::ELDERLY),
            (Tag::Child, F::CHILD),
            (Tag::Kindergarten, F::KINDERGARTEN),
            (Tag::Maternal, F::MATERNAL),
            (Tag::Hypertension, F::HYPERTENSION),
            (Tag::Diabetes, F::DIABETES),
            (Tag::Tuberculosis, F::TUBERCULOSIS),
            (Tag::SevereMentalDisorder, F::SEVERE_MENTAL_DISORDER),
            (Tag::Disabled, F::DISABLED),
            (Tag::Copd, F::COPD),
            (Tag::Stroke, F::STROKE),
            (Tag::Tumour, F::TUMOUR),
            (Tag::RegisteredPoor, F::REGISTERED_POOR),
            (Tag::LiftedOutOfPoverty, F::LIFTED_OUT_OF_POVERTY),
            (Tag::PovertyMonitoring, F::POVERTY_MONITORING),
            (Tag::SpecialFamilyPlanning, F::SPECIAL_FAMILY_PLANNING),
        ]
    }};
}
use tag_table;

fn flags_of<F: Copy + std::ops::BitOr<Output = F>>(table: &[(Tag, F)], empty: F, tags: &Tags) -> F {
    table.iter().filter(|(tag, _)| tags.contains(tag)).fold(empty, |all, (_, flag)| all | *flag)
}

fn tags_of<F: Copy>(table: &[(Tag, F)], has: impl Fn(F) -> bool) -> Tags {
    table.iter().filter(|(_, flag)| has(*flag)).map(|(tag, _)| *tag).collect()
}

/// What went wrong inside one call, before it is told whose plugin it was.
#[derive(Debug)]
enum CallFailure {
    OutOfFuel { call: &'static str, fuel: u64, requests: usize },
    Deadline { call: &'static str, deadline: Duration, requests: usize },
    Memory { call: &'static str, bytes: usize },
    Trap { call: &'static str, message: String },
}

impl CallFailure {
    fn into_error(self, county: &str) -> PluginError {
        let county = county.to_owned();
        match self {
            CallFailure::OutOfFuel { call, fuel, requests } => PluginError::OutOfFuel { county, call, fuel, requests },
            CallFailure::Deadline { call, deadline, requests } => {
                PluginError::Deadline { county, call, millis: deadline.as_millis(), requests }
            }
            CallFailure::Memory { call, bytes } => PluginError::Memory { county, call, bytes },
            CallFailure::Trap { call, message } => PluginError::Trap { county, call, message },
        }
    }
}

#[cfg(test)]
mod tests;
