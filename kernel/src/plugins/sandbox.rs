//! The sandbox every plugin call runs in: a fresh store per call, bounded
//! fuel, memory and wall-clock time, and a WASI with nothing granted.
//!
//! Rust guests built for wasm32-wasip2 import WASI interfaces even when they
//! use none, so WASI is linked, but with no preopened folders, no environment,
//! no arguments, no network, stdin closed, output captured in a small buffer
//! (shown when the guest crashes), a clock stopped at the Unix epoch, no
//! timers but ready ones, and random numbers from a fixed seed. The same input
//! therefore gives the same output, which is what lets a stored price be
//! reproduced, and no host call blocks, so the deadline bounds the whole call.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasmtime::component::{Linker, Resource, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store, StoreContextMut, Trap,
};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::p2::{DynPollable, Pollable};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use super::CallFailure;

/// How often the engine's epoch advances; deadlines are counted in these.
const EPOCH_TICK: Duration = Duration::from_millis(5);
/// Guest output kept for error messages.
const OUTPUT_CAPACITY: usize = 4096;

/// Per-call bounds on a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Fuel units (about one per WebAssembly instruction).
    pub fuel: u64,
    /// Largest linear memory, in bytes.
    pub memory_bytes: usize,
    /// Largest component the county may upload, in bytes.
    pub component_bytes: usize,
    /// Wall-clock time a call may take.
    pub deadline: Duration,
}

impl Default for Limits {
    /// In the range hosted plugin platforms use: ~10 M instructions, a few
    /// MiB, tens of milliseconds, components under 1 MiB.
    fn default() -> Self {
        Limits {
            fuel: 10_000_000,
            memory_bytes: 16 << 20,
            deadline: Duration::from_millis(50),
            component_bytes: 1 << 20,
        }
    }
}

impl Limits {
    /// `Ok` when a component of `len` bytes is within these limits, or why not.
    pub fn admit_component(&self, len: usize) -> Result<(), String> {
        let most = self.component_bytes;
        if len <= most {
            return Ok(());
        }
        Err(format!(
            "the component is {len} bytes, over the county's limit of {most} bytes (the region raises it with \
             `qianyue plugin limits --component-kib`; `qianyue plugin test --component-kib` tests against a raised one)"
        ))
    }
}

/// The most memory any county's limits may grant a call: each slot of the
/// instance pool is reserved (as address space) at this size.
pub const MEMORY_CEILING: usize = 64 << 20;

/// A county's limits, shared by every compiled version of its plugin so
/// that a change applies to the next call of each.
pub(super) type SharedLimits = Arc<RwLock<Limits>>;

/// The limits in force; a poisoned lock (a panic while setting them) keeps
/// the last ones written.
pub(super) fn current(limits: &SharedLimits) -> Limits {
    match limits.read() {
        Ok(limits) => limits.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

impl Limits {
    /// The bounds of a call answering `items` requests: a batch may use what
    /// as many single calls could, and no more.
    pub fn for_items(&self, items: usize) -> Limits {
        let items = u32::try_from(items.max(1)).unwrap_or(u32::MAX);
        Limits {
            fuel: self.fuel.saturating_mul(u64::from(items)),
            memory_bytes: self.memory_bytes,
            component_bytes: self.component_bytes,
            deadline: self.deadline.saturating_mul(items),
        }
    }
}

pub(super) fn engine(limits: &Limits) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.consume_fuel(true).epoch_interruption(true).wasm_component_model(true);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool(limits)));
    Engine::new(&config)
}

/// Calls that may run at once; each holds a slot of the pool until it ends.
const CONCURRENT_CALLS: u32 = 256;

/// Every call instantiates afresh, so instances come from a pool of slots
/// reused without returning their memory to the system: what makes a fresh
/// instance cost microseconds instead of tens of them.
fn pool(limits: &Limits) -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(CONCURRENT_CALLS)
        // A component built by a guest toolchain holds a few core instances
        // (its code and WASI adapters), one memory each at most.
        .total_core_instances(CONCURRENT_CALLS * 16)
        .total_memories(CONCURRENT_CALLS * 4)
        .total_tables(CONCURRENT_CALLS * 8)
        .max_memory_size(MEMORY_CEILING.max(limits.memory_bytes))
        .linear_memory_keep_resident(1 << 20)
        .table_keep_resident(1 << 16)
        // Linux 6.7+: reset only the pages a call touched.
        .pagemap_scan(wasmtime::Enabled::Auto);
    pool
}

/// WASI granting nothing, and the one import of the worlds: logging.
pub(super) fn linker(engine: &Engine) -> wasmtime::Result<Linker<Sandbox>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    refuse_timers(&mut linker)?;
    super::v1_0_0::add_imports(&mut linker)?;
    Ok(linker)
}

/// The monotonic clock of the WASI that wasmtime-wasi links; a guest built
/// for any earlier 0.2 release is linked to it too.
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";

/// Replaces wasmtime-wasi's timers, which sleep the calling thread in real
/// time: epoch interruption fires only while wasm runs, so a plugin waiting
/// on one (Rust's `thread::sleep`, a JavaScript `setTimeout`) would hold its
/// thread and pool slot for as long as it asked, past any deadline. The
/// sandbox's clock is stopped, so a timer could never fire anyway: one of
/// zero is ready at once (wasi-libc's non-blocking `poll` asks for that) and
/// any other ends the call with a message that says why.
fn refuse_timers(linker: &mut Linker<Sandbox>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock
        .func_wrap("subscribe-duration", |store: StoreContextMut<'_, Sandbox>, (nanos,): (u64,)| timer(store, nanos))?;
    // The clock reads 0, so an instant is also the time until it.
    clock.func_wrap("subscribe-instant", |store: StoreContextMut<'_, Sandbox>, (when,): (u64,)| timer(store, when))?;
    linker.allow_shadowing(false);
    Ok(())
}

fn timer(mut store: StoreContextMut<'_, Sandbox>, nanos: u64) -> wasmtime::Result<(Resource<DynPollable>,)> {
    if nanos > 0 {
        wasmtime::bail!(
            "a plugin may not wait: it asked for a timer of {:?}, and the sandbox's clock is stopped \
             (it reads 1970-01-01 and never moves)",
            Duration::from_nanos(nanos)
        );
    }
    let table = &mut store.data_mut().table;
    let ready = table.push(Ready)?;
    Ok((wasmtime_wasi::p2::subscribe(table, ready)?,))
}

/// A timer of zero: ready when asked.
struct Ready;

#[async_trait::async_trait]
impl Pollable for Ready {
    async fn ready(&mut self) {}
}

/// Advances the engine's epoch on a background thread until the engine is
/// dropped; this is what makes deadlines fire inside a running guest.
pub(super) fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("plugin-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(drop)
        .unwrap_or_else(|e| tracing::error!("plugin deadlines disabled: cannot start the epoch thread: {e}"));
}

/// The host state of one call.
pub(super) struct Sandbox {
    /// Built, with the buffer its output goes to, when the guest first calls
    /// WASI: most calls never do, and building it is a good part of a fresh
    /// instance's cost.
    wasi: Option<(WasiCtx, MemoryOutputPipe)>,
    table: ResourceTable,
    limiter: MemoryLimiter,
    /// `county@version`, for the plugin's log lines.
    label: String,
    log_lines: u32,
}

impl Sandbox {
    /// Counts a log line; `false` once the call has logged `most` lines.
    pub(super) fn count_log_line(&mut self, most: u32) -> bool {
        self.log_lines += 1;
        self.log_lines <= most
    }

    pub(super) fn plugin_label(&self) -> &str {
        &self.label
    }
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let (ctx, _) = self.wasi.get_or_insert_with(|| {
            let output = MemoryOutputPipe::new(OUTPUT_CAPACITY);
            let ctx = WasiCtx::builder()
                .stdout(output.clone())
                .stderr(output.clone())
                .wall_clock(StoppedClock)
                .monotonic_clock(StoppedClock)
                .secure_random(StdRng::seed_from_u64(0))
                .insecure_random(StdRng::seed_from_u64(0))
                .insecure_random_seed(0)
                .build();
            (ctx, output)
        });
        WasiCtxView { ctx, table: &mut self.table }
    }
}

/// Refuses growth past the limit and remembers that it did, so the failure is
/// reported as "memory" rather than as an anonymous trap.
struct MemoryLimiter {
    max_bytes: usize,
    exceeded: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.exceeded = true;
            wasmtime::bail!("memory limit of {} bytes reached", self.max_bytes);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

struct StoppedClock;

impl HostWallClock for StoppedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for StoppedClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// A store for one call, with its fuel and deadline set.
pub(super) fn store(engine: &Engine, limits: &Limits, label: &str) -> wasmtime::Result<Store<Sandbox>> {
    let limiter = MemoryLimiter { max_bytes: limits.memory_bytes, exceeded: false };
    let mut store = Store::new(
        engine,
        Sandbox { wasi: None, table: ResourceTable::new(), limiter, label: label.to_owned(), log_lines: 0 },
    );
    store.limiter(|s| &mut s.limiter);
    store.epoch_deadline_trap();
    arm(&mut store, limits)?;
    Ok(store)
}

/// Gives a store the fuel, deadline and log lines of one more call.
pub(super) fn arm(store: &mut Store<Sandbox>, limits: &Limits) -> wasmtime::Result<()> {
    store.set_fuel(limits.fuel)?;
    // The deadline counts from when it is set, so set it just before the call.
    let ticks = (limits.deadline.as_millis() / EPOCH_TICK.as_millis()).max(1);
    store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
    store.data_mut().log_lines = 0;
    Ok(())
}

/// Turns a failed call of `requests` requests into what happened, for the
/// person reading the error.
pub(super) fn classify(
    call: &'static str,
    requests: usize,
    store: &Store<Sandbox>,
    limits: &Limits,
    error: wasmtime::Error,
) -> CallFailure {
    if store.data().limiter.exceeded {
        return CallFailure::Memory { call, bytes: limits.memory_bytes };
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => CallFailure::OutOfFuel { call, fuel: limits.fuel, requests },
        Some(Trap::Interrupt) => CallFailure::Deadline { call, deadline: limits.deadline, requests },
        _ => {
            let output = store.data().wasi.as_ref().map(|(_, output)| output.contents()).unwrap_or_default();
            let output = String::from_utf8_lossy(&output).trim().to_owned();
            // The root cause says what happened (a trap, a refused import);
            // the context above it is a backtrace of unnamed wasm functions.
            let cause = error.root_cause();
            let message =
                if output.is_empty() { format!("{cause}") } else { format!("{cause}; the plugin said: {output}") };
            CallFailure::Trap { call, message }
        }
    }
}
