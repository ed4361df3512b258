//! Configured snapshots: a `qianyue:county@1.0.0` plugin reads its county's
//! configuration document in `configure`, and a fresh instance per call would
//! read it again every call (for Pei, 10 of a call's 17 µs). So once a
//! version's configuration is accepted, the host runs `configure` once and
//! keeps the instance's memory and globals as a new component (wizer's
//! snapshot, from `wasmtime-wizer`); its instances start configured, each
//! still fresh and isolated. A component whose shape wizer cannot snapshot
//! (a module instantiated twice, a nested component) keeps being configured
//! at every call: slower, with the same answers. Rust and componentize-py
//! components snapshot.
//!
//! Owns only the snapshotting; what a snapshot is called and cached under is
//! the host's business (`mod.rs`), and the world's calls are `v1_0_0`'s.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use wasmtime::component::{Component, Instance, Lift, Linker, WasmList};
use wasmtime::{Engine, Store};
use wasmtime_wizer::{ComponentInstanceState, Wizer};

use super::sandbox::{self, Limits, Sandbox};

/// The component `bytes` as it stands after `configure` accepted `config`:
/// `configure` is the v1 world's call, given the instrumented instance.
pub(super) fn configured(
    engine: &Engine,
    linker: &Linker<Sandbox>,
    bytes: &[u8],
    limits: &Limits,
    label: &str,
    configure: impl FnOnce(&mut Store<Sandbox>, &Instance) -> wasmtime::Result<Result<(), String>>,
) -> Result<Vec<u8>, String> {
    let wizer = Wizer::new();
    let (context, instrumented) = wizer.instrument_component(bytes).map_err(|e| format!("{e:#}"))?;
    let component = Component::new(engine, &instrumented).map_err(|e| format!("{e:#}"))?;
    let mut store = sandbox::store(engine, limits, label).map_err(|e| e.to_string())?;
    let instance = linker.instantiate(&mut store, &component).map_err(|e| format!("{e:#}"))?;
    configure(&mut store, &instance).map_err(|e| format!("{e:#}"))??;
    let mut state = Access { store: &mut store, instance, limits, error: None };
    // Wizer panics on shapes it does not expect (a `v128` global); an
    // untrusted component must cost its snapshot, not the kernel.
    let snapshot = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        complete(wizer.snapshot_component(&context, &mut state))
    }));
    // A failed read is the first thing wrong, whatever wizer made of it.
    if let Some(error) = state.error {
        return Err(error);
    }
    snapshot.map_err(|_| "wizer could not snapshot this component".to_owned())??.map_err(|e| format!("{e:#}"))
}

/// Runs a future that never waits: every call below is synchronous, so the
/// first poll finishes it (a wait would be a change in wizer, reported).
fn complete<T>(future: impl Future<Output = T>) -> Result<T, String> {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => Ok(value),
        Poll::Pending => Err("the snapshot waited on something; it is done synchronously here".into()),
    }
}

/// Wizer reads the instance's state through functions its instrumentation
/// exported; the first failure is kept, as wizer's interface has no errors.
struct Access<'a> {
    store: &'a mut Store<Sandbox>,
    instance: Instance,
    /// Each read is a call of its own, with a call's fuel and deadline.
    limits: &'a Limits,
    error: Option<String>,
}

impl Access<'_> {
    fn call<R: Lift + Send + Sync + 'static, T: Default>(
        &mut self,
        interface: &str,
        func: &str,
        read: impl FnOnce(&Store<Sandbox>, R) -> T,
    ) -> T {
        let result = (|| {
            sandbox::arm(self.store, self.limits)?;
            let (_, exports) = self
                .instance
                .get_export(&mut *self.store, None, interface)
                .ok_or_else(|| wasmtime::format_err!("no export `{interface}`"))?;
            let (_, export) = self
                .instance
                .get_export(&mut *self.store, Some(&exports), func)
                .ok_or_else(|| wasmtime::format_err!("no export `{interface}#{func}`"))?;
            let typed = self.instance.get_typed_func::<(), (R,)>(&mut *self.store, export)?;
            let (value,) = typed.call(&mut *self.store, ())?;
            Ok::<_, wasmtime::Error>(read(self.store, value))
        })();
        result.unwrap_or_else(|e| {
            self.error.get_or_insert_with(|| format!("reading `{interface}#{func}`: {e:#}"));
            T::default()
        })
    }
}

impl ComponentInstanceState for Access<'_> {
    async fn call_func_ret_list_u8(&mut self, instance: &str, func: &str, contents: impl FnOnce(&[u8]) + Send) {
        let bytes = self.call(instance, func, |store, list: WasmList<u8>| list.as_le_slice(store).to_vec());
        contents(&bytes);
    }

    async fn call_func_ret_s32(&mut self, instance: &str, func: &str) -> i32 {
        self.call(instance, func, |_, value| value)
    }

    async fn call_func_ret_s64(&mut self, instance: &str, func: &str) -> i64 {
        self.call(instance, func, |_, value| value)
    }

    async fn call_func_ret_f32(&mut self, instance: &str, func: &str) -> u32 {
        self.call(instance, func, |_, value: f32| value.to_bits())
    }

    async fn call_func_ret_f64(&mut self, instance: &str, func: &str) -> u64 {
        self.call(instance, func, |_, value: f64| value.to_bits())
    }
}
