//! Compiled components, shared and kept: each component (by the SHA-256 of
//! its bytes) is compiled once per process, and with a cache folder once per
//! machine, so that a restart maps the code from a file instead of compiling
//! it (milliseconds instead of a tenth of a second for a Rust component,
//! seconds for a Python one), and pages of code no call runs stay on disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use wasmtime::Engine;
use wasmtime::component::Component;

pub(super) struct Compiled {
    dir: Option<PathBuf>,
    /// Names cache files after the engine's settings: a kernel with other
    /// settings (or another wasmtime) never reads another's code.
    engine_tag: String,
    loaded: RwLock<HashMap<String, Component>>,
}

impl Compiled {
    pub(super) fn new(engine: &Engine, dir: Option<&Path>) -> Compiled {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Compiled {
            dir: dir.map(Path::to_path_buf),
            engine_tag: format!("{:016x}", hasher.finish()),
            loaded: RwLock::default(),
        }
    }

    /// The component whose bytes hash to `sha256`.
    pub(super) fn component(&self, engine: &Engine, sha256: &str, bytes: &[u8]) -> Result<Component, String> {
        if let Some(component) = self.loaded.read().ok().and_then(|l| l.get(sha256).cloned()) {
            return Ok(component);
        }
        let file = self.dir.as_ref().map(|dir| dir.join(format!("{sha256}-{}.cwasm", self.engine_tag)));
        let cached = file.as_deref().filter(|f| f.exists()).and_then(|f| load(engine, f));
        let component = match cached {
            Some(component) => component,
            None => {
                let component = Component::new(engine, bytes).map_err(|e| format!("{e:#}"))?;
                if let Some(file) = &file {
                    // A cache that cannot be written costs a compilation at the next start, nothing more.
                    if let Err(e) = store(&component, file) {
                        tracing::warn!(file = %file.display(), error = %e, "compiled plugin not cached");
                    }
                }
                component
            }
        };
        if let Ok(mut loaded) = self.loaded.write() {
            loaded.insert(sha256.to_owned(), component.clone());
        }
        Ok(component)
    }
}

/// Maps code this kernel compiled and wrote into its own cache folder.
#[allow(unsafe_code)]
fn load(engine: &Engine, file: &Path) -> Option<Component> {
    // SAFETY: `deserialize_file` runs the file as machine code, so it must be
    // wasmtime's own output. These files are: `store` writes them (renamed
    // into place whole), under a name carrying the engine's compatibility
    // hash, in the kernel's data folder; wasmtime checks the header's
    // version and settings again and refuses a mismatch. Whoever can write
    // that folder can replace the kernel itself.
    let component = unsafe { Component::deserialize_file(engine, file) };
    component.map_err(|e| tracing::warn!(file = %file.display(), error = %e, "cached plugin code unusable")).ok()
}

fn store(component: &Component, file: &Path) -> std::io::Result<()> {
    let code = component.serialize().map_err(std::io::Error::other)?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = file.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, code)?;
    std::fs::rename(&partial, file)
}
