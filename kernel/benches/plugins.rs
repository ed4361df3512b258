//! The plugin host's speed, with the native build of the same Pei rules as
//! the baseline in the same run: `cargo bench --bench plugins`. Results and
//! targets are in BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use qianyue::plugins::{CACHE_BYTES, Limits, PluginHost, PriceRequest, ResidentFacts};
use qianyue::residents::Sex;

const BATCH: usize = 10_000;

fn pei() -> &'static qianyue::bundled::BundledPlugin {
    qianyue::bundled::plugin("pei-county").unwrap()
}

fn checkup_request(list_price: i64) -> PriceRequest {
    PriceRequest {
        package_code: "PEI-TJ".into(),
        resident: ResidentFacts { age: 40, sex: Sex::Female, tags: Default::default() },
        starts_on: time::macros::date!(2026 - 01 - 01),
        list_price,
    }
}

fn native_request() -> pei_county::rules::PriceRequest {
    use pei_county::rules::{Date, PriceRequest, Resident, Sex, Tags};
    PriceRequest {
        package_code: "PEI-TJ".into(),
        resident: Resident { age: 40, sex: Sex::Female, tags: Tags::EMPTY },
        starts_on: Date { year: 2026, month: 1, day: 1 },
    }
}

fn pricing(c: &mut Criterion) {
    let host = PluginHost::new(Limits::default()).unwrap();
    let plugin = host.load(pei().name, pei().component, pei().config).unwrap();
    let request = checkup_request(plugin.package("PEI-TJ").unwrap().list_price);
    let config = pei_county::rules::Config::parse(pei().config).unwrap();
    let native = native_request();

    c.bench_function("price/native", |b| b.iter(|| pei_county::rules::price(&config, black_box(&native)).unwrap()));
    // A fresh, isolated and configured instance for the one call (the
    // component is a snapshot taken after `configure`).
    c.bench_function("price/fresh-instance", |b| b.iter(|| plugin.price(black_box(&request)).unwrap().unwrap()));
    // One instance kept for the calls of an operation, as a signing does.
    let mut session = plugin.session().unwrap();
    c.bench_function("price/warm-instance", |b| b.iter(|| session.price(black_box(&request)).unwrap().unwrap()));
    let unruly = host.load("unruly", &std::fs::read(env!("QIANYUE_FIXTURE_UNRULY")).unwrap(), "").unwrap();
    let mut ok = checkup_request(100);
    ok.package_code = "UNRULY-OK".into();
    // The cost of a fresh instance alone: a 0.1.0 component has no configuration to read.
    c.bench_function("price/fresh-instance-unconfigured", |b| {
        b.iter(|| unruly.price(black_box(&ok)).unwrap().unwrap())
    });

    let mut group = c.benchmark_group("price-batch");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(20);
    let natives = vec![native; BATCH];
    group.bench_function("native", |b| {
        b.iter(|| natives.iter().map(|r| pei_county::rules::price(&config, r).unwrap()).collect::<Vec<_>>())
    });
    let requests = vec![request; BATCH];
    group.bench_function("plugin", |b| b.iter(|| plugin.price_batch(black_box(&requests)).unwrap()));
    group.finish();
}

fn loading(c: &mut Criterion) {
    let cache = tempfile::tempdir().unwrap();
    // Fill the compiled-code cache, as the kernel's first start does.
    PluginHost::cached(Limits::default(), cache.path(), CACHE_BYTES)
        .unwrap()
        .compile("pei", pei().component, pei().config)
        .unwrap();
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.bench_function("compile", |b| {
        b.iter_batched(
            || PluginHost::new(Limits::default()).unwrap(),
            |host| host.compile("pei", pei().component, pei().config).unwrap(),
            BatchSize::PerIteration,
        )
    });
    // From the cache: the configured snapshot's code is read instead of
    // compiled; then it is linked, asked who it is and its catalogue.
    group.bench_function("cached", |b| {
        b.iter_batched(
            || PluginHost::cached(Limits::default(), cache.path(), CACHE_BYTES).unwrap(),
            |host| host.compile("pei", pei().component, pei().config).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, pricing, loading);
criterion_main!(benches);
