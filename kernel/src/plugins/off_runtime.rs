//! Where plugin calls run: never on an async worker thread.
//!
//! A call may use its whole wall-clock deadline, and wasmtime-wasi blocks on
//! its own futures; on one of tokio's worker threads either would hold up
//! every request scheduled there (or panic, "Cannot start a runtime from
//! within a runtime"). So the kernel's operations hand their calls to
//! [`off_runtime`], and [`Plugin::session`](super::Plugin::session) refuses to
//! start inside a runtime anywhere else, which turns a forgotten hand-off into
//! an error every test sees instead of a stall under load.

use std::cell::Cell;

use super::PluginError;

thread_local! {
    /// Set while [`off_runtime`] runs its calls on a blocking thread.
    static OFF_RUNTIME: Cell<bool> = const { Cell::new(false) };
}

/// Runs `calls` on tokio's blocking pool and waits for them.
pub async fn off_runtime<T, F>(calls: F) -> Result<T, PluginError>
where
    F: FnOnce() -> Result<T, PluginError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        // Reset on the way out, unwinding included: the pool reuses threads.
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                OFF_RUNTIME.set(false);
            }
        }
        OFF_RUNTIME.set(true);
        let _reset = Reset;
        calls()
    })
    .await
    .map_err(|e| PluginError::Host(format!("a plugin call's thread failed: {e}")))?
}

/// Refuses a call made inside an async runtime but not through
/// [`off_runtime`]. Outside any runtime (the CLI's golden runs, benches) a
/// thread may block as it likes.
pub(super) fn check() -> Result<(), PluginError> {
    if tokio::runtime::Handle::try_current().is_ok() && !OFF_RUNTIME.get() {
        return Err(PluginError::Host(
            "a plugin was called on an async worker thread; run it through `plugins::off_runtime`".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check, off_runtime};

    #[tokio::test]
    async fn calls_run_only_off_the_runtime() {
        assert!(check().is_err(), "on a worker thread");
        assert!(off_runtime(check).await.is_ok(), "on the blocking pool");
        let reused = tokio::task::spawn_blocking(check).await;
        assert!(matches!(reused, Ok(Err(_))), "a plain blocking task is not cleared: {reused:?}");
        assert!(std::thread::spawn(check).join().is_ok_and(|c| c.is_ok()), "outside any runtime");
    }
}
