//! Compiled components, shared and kept: each component (named by the
//! SHA-256 of its bytes, or for a configured snapshot by its version's hash)
//! is compiled once per process, and with a cache folder once per machine,
//! so that a restart maps the code from a file instead of compiling it
//! (milliseconds instead of a tenth of a second for a Rust component,
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

    /// The component named `name`, compiling `bytes` if it was never compiled.
    pub(super) fn component(&self, engine: &Engine, name: &str, bytes: &[u8]) -> Result<Component, String> {
        match self.cached(engine, name) {
            Some(component) => Ok(component),
            None => self.compile(engine, name, bytes),
        }
    }

    /// The component named `name` if this process or this machine compiled it.
    pub(super) fn cached(&self, engine: &Engine, name: &str) -> Option<Component> {
        if let Some(component) = self.loaded.read().ok().and_then(|l| l.get(name).cloned()) {
            return Some(component);
        }
        let component = self.file(name).filter(|f| f.exists()).and_then(|f| load(engine, &f))?;
        self.keep(name, &component);
        Some(component)
    }

    /// Compiles `bytes` and keeps the code under `name`.
    pub(super) fn compile(&self, engine: &Engine, name: &str, bytes: &[u8]) -> Result<Component, String> {
        let component = Component::new(engine, bytes).map_err(|e| format!("{e:#}"))?;
        if let Some(file) = self.file(name) {
            // A cache that cannot be written costs a compilation at the next start, nothing more.
            if let Err(e) = store(&component, &file) {
                tracing::warn!(file = %file.display(), error = %e, "compiled plugin not cached");
            }
        }
        self.keep(name, &component);
        Ok(component)
    }

    /// Keeps `text` beside the code named `name` (what a version said of
    /// itself), so that a restart need not ask it again.
    pub(super) fn note(&self, name: &str, text: &str) {
        if let Some(file) = self.note_file(name)
            && let Err(e) = write_whole(&file, text.as_bytes())
        {
            tracing::warn!(file = %file.display(), error = %e, "plugin description not cached");
        }
    }

    /// What [`Compiled::note`] kept for `name`.
    pub(super) fn noted(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.note_file(name)?).ok()
    }

    fn file(&self, name: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|dir| dir.join(format!("{name}-{}.cwasm", self.engine_tag)))
    }

    fn note_file(&self, name: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|dir| dir.join(format!("{name}-{}.json", self.engine_tag)))
    }

    fn keep(&self, name: &str, component: &Component) {
        if let Ok(mut loaded) = self.loaded.write() {
            loaded.insert(name.to_owned(), component.clone());
        }
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
    write_whole(file, &component.serialize().map_err(std::io::Error::other)?)
}

/// Writes a file under a temporary name and renames it into place, so that
/// a reader never sees half of it.
fn write_whole(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = file.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, file)
}
