//! One kernel holding a plugin for every county-level unit of China (2,850):
//! `cargo bench --bench plugin_fleet` loads synthetic copies of the Pei
//! plugin, each a distinct component (a custom section numbers it, so its
//! code is compiled and mapped on its own, as another county's would be),
//! through the compiled-code cache as a restart does, and prints the
//! resident memory. `QIANYUE_FLEET=N` changes the count. The cache stays in
//! the target folder: the first run compiles and snapshots every copy
//! (about half an hour on two cores), later runs only load.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use qianyue::plugins::{CACHE_BYTES, Limits, PluginHost};

/// A line of `/proc/self/status`, in KiB: `VmRSS` is the resident total,
/// `RssAnon` the part no file backs (mapped code and memory images are files).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn main() {
    let count: usize = std::env::var("QIANYUE_FLEET").ok().and_then(|n| n.parse().ok()).unwrap_or(2_850);
    let pei = qianyue::bundled::plugin("pei-county").unwrap();
    let base: serde_json::Value = serde_json::from_str(pei.config).unwrap();
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-fleet-cache");
    let copies: Vec<(Vec<u8>, String)> = (0..count)
        .map(|i| {
            let mut config = base.clone();
            config["list_prices"]["PEI-TJ"] = (20_000 + i).into();
            (numbered(pei.component, i), config.to_string())
        })
        .collect();
    // The first start compiles and caches every copy (not timed), in a
    // process of its own so that its memory does not count.
    if std::env::var_os("QIANYUE_FLEET_FILL").is_some() {
        // Generous deadlines: thousands of first loads in a row occasionally
        // pass 50 ms on this machine, and only the restart below is measured.
        let patient = Limits { deadline: std::time::Duration::from_secs(5), ..Limits::default() };
        let host = PluginHost::cached(patient, &cache, CACHE_BYTES).unwrap();
        for (i, (bytes, config)) in copies.iter().enumerate() {
            host.compile(&format!("copy {i}"), bytes, config).unwrap();
        }
        return;
    }
    let filled = std::process::Command::new(std::env::current_exe().unwrap())
        .args(std::env::args_os().skip(1))
        .env("QIANYUE_FLEET_FILL", "1")
        .status()
        .unwrap();
    assert!(filled.success(), "filling the compiled-code cache failed");
    let host = PluginHost::cached(Limits::default(), &cache, CACHE_BYTES).unwrap();
    let (before, anon_before) = (status_kib("VmRSS:"), status_kib("RssAnon:"));
    let started = Instant::now();
    let mut fleet = Vec::with_capacity(count);
    for (i, (bytes, config)) in copies.iter().enumerate() {
        fleet.push(host.version(&format!("copy {i}"), bytes, config).unwrap());
    }
    let elapsed = started.elapsed();
    let (after, anon_after) = (status_kib("VmRSS:"), status_kib("RssAnon:"));
    let quote = fleet[count - 1].price(&qianyue::plugins::PriceRequest {
        package_code: "PEI-TJ".into(),
        resident: qianyue::plugins::ResidentFacts {
            age: 40,
            sex: qianyue::residents::Sex::Male,
            tags: Default::default(),
        },
        starts_on: time::macros::date!(2026 - 01 - 01),
        list_price: 20_000 + count as i64 - 1,
    });
    assert!(quote.unwrap().is_ok(), "the last plugin loaded answers");
    println!(
        "{count} plugins loaded in {:.1} s ({:.2} ms each); resident memory {} MiB before, {} MiB after ({} KiB a plugin, {} KiB of it anonymous)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / count as f64,
        before / 1024,
        after / 1024,
        (after - before) / count as u64,
        (anon_after - anon_before) / count as u64
    );
}

/// `component` with a custom section naming copy `i`: other bytes, the same code.
fn numbered(component: &[u8], i: usize) -> Vec<u8> {
    let name = b"qianyue-copy";
    let payload = i.to_string();
    let mut section = vec![u8::try_from(name.len()).unwrap()];
    section.extend_from_slice(name);
    section.extend_from_slice(payload.as_bytes());
    let mut bytes = component.to_vec();
    bytes.push(0); // custom section
    leb128(&mut bytes, section.len());
    bytes.extend(section);
    bytes
}

fn leb128(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = u8::try_from(n & 0x7f).unwrap();
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
