//! Compiled components, shared and kept: each component (named by the
//! SHA-256 of its bytes, or for a configured snapshot by its version's hash)
//! is compiled once per process, and with a cache folder once per machine,
//! so that a restart maps the code from a file instead of compiling it
//! (milliseconds instead of a tenth of a second for a Rust component,
//! seconds for a Python one), and pages of code no call runs stay on disk.
//! The folder is bounded: past its size, the files used longest ago go, and
//! code no county may use (a refused upload's) goes at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use wasmtime::Engine;
use wasmtime::component::Component;

pub(super) struct Compiled {
    dir: Option<PathBuf>,
    /// The most bytes the folder keeps (see [`Compiled::trim`]).
    dir_bytes: u64,
    /// Names cache files after the engine's settings: a kernel with other
    /// settings (or another wasmtime) never reads another's code.
    engine_tag: String,
    loaded: RwLock<HashMap<String, Component>>,
}

impl Compiled {
    pub(super) fn new(engine: &Engine, dir: Option<&Path>, dir_bytes: u64) -> Compiled {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Compiled {
            dir: dir.map(Path::to_path_buf),
            dir_bytes,
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
        let file = self.file(name).filter(|f| f.exists())?;
        let component = load(engine, &file)?;
        touch(&file);
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
        self.trim();
        Ok(component)
    }

    /// Lets go of the code named `name` in this process; whoever still runs
    /// it keeps it until done, and the folder keeps it for the next load
    /// while within its bound.
    pub(super) fn release(&self, name: &str) {
        if let Ok(mut loaded) = self.loaded.write() {
            loaded.remove(name);
        }
        self.trim();
    }

    /// Lets go of the code named `name` here and in the folder: no county
    /// may use it.
    pub(super) fn discard(&self, name: &str) {
        if let Ok(mut loaded) = self.loaded.write() {
            loaded.remove(name);
        }
        for file in [self.file(name), self.note_file(name)].into_iter().flatten() {
            match std::fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    tracing::warn!(file = %file.display(), error = %e, "discarded plugin code not deleted");
                }
                _ => {}
            }
        }
    }

    /// How many components this process holds compiled.
    pub(super) fn held(&self) -> usize {
        self.loaded.read().map_or(0, |loaded| loaded.len())
    }

    /// Deletes the files used longest ago (by modification time, which a
    /// load renews) until the folder is within its bound, sparing the code
    /// this process holds, the file just written among it. Files of other
    /// engines' settings count too: no kernel of these settings reads them.
    fn trim(&self) {
        let Some(dir) = &self.dir else { return };
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut files: Vec<(SystemTime, u64, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let meta = entry.metadata().ok().filter(std::fs::Metadata::is_file)?;
                Some((meta.modified().ok()?, meta.len(), entry.path()))
            })
            .collect();
        let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
        if total <= self.dir_bytes {
            return;
        }
        let held: Vec<PathBuf> = match self.loaded.read() {
            Ok(loaded) => loaded.keys().flat_map(|name| [self.file(name), self.note_file(name)]).flatten().collect(),
            Err(_) => return,
        };
        files.sort();
        for (_, len, file) in files {
            if total <= self.dir_bytes {
                break;
            }
            if held.contains(&file) || file.to_string_lossy().contains(".partial-") {
                continue;
            }
            match std::fs::remove_file(&file) {
                Ok(()) => total -= len,
                Err(e) => tracing::warn!(file = %file.display(), error = %e, "plugin cache file not deleted"),
            }
        }
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
        let file = self.note_file(name)?;
        let text = std::fs::read_to_string(&file).ok()?;
        touch(&file);
        Some(text)
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

/// Marks a cache file used now, so that [`Compiled::trim`] deletes it last.
fn touch(file: &Path) {
    if let Err(e) = std::fs::File::options().write(true).open(file).and_then(|f| f.set_modified(SystemTime::now())) {
        tracing::debug!(file = %file.display(), error = %e, "plugin cache file not touched");
    }
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
