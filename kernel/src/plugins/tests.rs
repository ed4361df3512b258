use std::time::Duration;

use super::*;
use crate::residents::{Sex, Tag};
use time::Date;

const UNRULY: &str = env!("QIANYUE_FIXTURE_UNRULY");

fn bundled_pei() -> &'static crate::bundled::BundledPlugin {
    crate::bundled::plugin("pei-county").unwrap()
}

fn pei(host: &PluginHost) -> Arc<Plugin> {
    let pei = bundled_pei();
    host.load(pei.name, pei.component, pei.config).unwrap()
}

fn unruly(limits: Limits) -> Arc<Plugin> {
    let host = PluginHost::new(limits).unwrap();
    host.load("unruly.wasm", &std::fs::read(UNRULY).unwrap(), "").unwrap()
}

fn facts(age: u8, tags: &[Tag]) -> ResidentFacts {
    ResidentFacts { age, sex: Sex::Female, tags: tags.iter().copied().collect() }
}

fn request(code: &str, list_price: Fen, age: u8, tags: &[Tag]) -> PriceRequest {
    PriceRequest {
        package_code: code.into(),
        resident: facts(age, tags),
        starts_on: time::macros::date!(2026 - 01 - 01),
        list_price,
    }
}

/// A request at the list price of the plugin's own catalogue.
fn listed(plugin: &Plugin, code: &str, age: u8, tags: &[Tag]) -> PriceRequest {
    request(code, plugin.package(code).map_or(0, |p| p.list_price), age, tags)
}

#[test]
fn the_bundled_pei_plugin_loads_with_its_catalogue() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let plugin = pei(&host);
    assert_eq!(plugin.info.county_code, "320322");
    assert_eq!(plugin.world, "qianyue:county/county-plugin@1.0.0");
    assert_eq!(plugin.hash.len(), 64);
    let basic: Vec<_> = plugin.catalogue.iter().filter(|p| p.kind == PackageKind::Basic).collect();
    assert_eq!(basic.len(), 1, "Pei has one basic package");
    assert_eq!(plugin.catalogue.len(), 8, "7 package types plus stroke rehabilitation");
    assert!(Arc::ptr_eq(&host.for_county("320322", Date::MIN).unwrap(), &plugin));
    assert!(matches!(host.for_county("999999", Date::MAX), Err(PluginError::NoPlugin(_))));
}

#[test]
fn a_configured_snapshot_is_cached_and_a_restart_answers_from_it_alone() {
    let cache = tempfile::tempdir().unwrap();
    let first = PluginHost::cached(Limits::default(), cache.path(), CACHE_BYTES).unwrap();
    let plugin = pei(&first);
    assert_eq!(plugin.starts_configured, Ok(()), "Pei's configured memory is snapshotted at load");
    let cached = |extension: &str| {
        std::fs::read_dir(cache.path())
            .unwrap()
            .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.starts_with(&format!("{}-configured-", plugin.hash)) && f.ends_with(extension))
            .count()
    };
    assert_eq!(cached(".cwasm"), 1, "the snapshot is cached under the version's hash");
    assert_eq!(cached(".json"), 1, "and what it said of itself beside it");

    // A restart: only the snapshot is mapped, nothing runs before a call, and it answers as before.
    let restarted = PluginHost::cached(Limits::default(), cache.path(), CACHE_BYTES).unwrap();
    let again = restarted.compile("pei", bundled_pei().component, bundled_pei().config).unwrap();
    assert_eq!(again.starts_configured, Ok(()));
    assert_eq!((again.hash.as_str(), again.catalogue.len()), (plugin.hash.as_str(), plugin.catalogue.len()));
    let request = listed(&again, "PEI-TJ", 40, &[]);
    assert_eq!(again.price(&request).unwrap(), plugin.price(&request).unwrap());
    let outcomes = golden::run_dir(&again, std::path::Path::new(bundled_pei().golden)).unwrap();
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed()).collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn the_calls_of_a_session_share_one_instance_and_a_failure_ends_it() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let plugin = pei(&host);
    let mut session = plugin.session().unwrap();
    let request = listed(&plugin, "PEI-TJ", 40, &[]);
    let first = session.price(&request).unwrap().unwrap();
    assert_eq!(session.basic_package(&facts(70, &[Tag::Elderly])).unwrap(), Some(Ok("PEI-GW".into())));
    assert_eq!(session.price(&request).unwrap().unwrap(), first, "a warm call answers as a fresh one");

    // Too little fuel for the call: it fails, and the session's instance is gone.
    host.set_limits_of("320322", Limits { fuel: 1_000, ..Limits::default() }).unwrap();
    assert!(matches!(session.price(&request), Err(PluginError::OutOfFuel { .. })));
    host.set_limits_of("320322", Limits::default()).unwrap();
    let after = session.price(&request).unwrap_err().to_string();
    assert!(after.contains("an earlier call of the same operation failed"), "{after}");
    assert_eq!(plugin.price(&request).unwrap().unwrap(), first, "a new session starts afresh");
}

#[test]
fn pei_prices_the_checkup_at_40_percent_with_the_discount_itemised() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let plugin = pei(&host);
    let checkup = plugin.price(&listed(&plugin, "PEI-TJ", 40, &[])).unwrap().unwrap();
    assert_eq!((checkup.self_pay, checkup.discount), (8_000, 12_000));
    assert_eq!(checkup.adjustments.len(), 1);
    assert_eq!((checkup.adjustments[0].kind, checkup.adjustments[0].amount), (AdjustmentKind::Discount, 12_000));
    let child = plugin.price(&listed(&plugin, "PEI-ET", 4, &[Tag::Child, Tag::Kindergarten])).unwrap().unwrap();
    assert_eq!(child.self_pay, 6_000);
    assert_eq!(plugin.basic_package(&facts(4, &[Tag::Child])).unwrap(), Some(Ok("PEI-GW".into())));
}

#[test]
fn a_list_price_other_than_the_catalogues_is_a_wrong_answer() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let plugin = pei(&host);
    let error = plugin.price(&request("PEI-TJ", 1_005, 40, &[])).unwrap_err();
    assert!(error.to_string().contains("its catalogue says 1005 fen"), "{error}");
}

#[test]
fn a_configuration_the_plugin_refuses_refuses_the_load_with_its_message() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let pei = bundled_pei();
    let error = host.load("pei.wasm", pei.component, "{ not json").err().unwrap();
    assert!(
        error.to_string().starts_with("`pei.wasm` is not a usable county plugin: it refused its configuration: "),
        "{error}"
    );
    assert!(matches!(host.for_county("320322", Date::MAX), Err(PluginError::NoPlugin(_))), "nothing was loaded");
}

#[test]
fn the_bundled_plugins_pass_their_golden_cases() {
    let host = PluginHost::new(Limits::default()).unwrap();
    for bundled in crate::bundled::PLUGINS {
        let plugin = host.load(bundled.name, bundled.component, bundled.config).unwrap();
        let outcomes = golden::run_dir(&plugin, std::path::Path::new(bundled.golden)).unwrap();
        assert!(outcomes.len() >= 30, "{}: only {} golden cases", bundled.name, outcomes.len());
        let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed()).collect();
        assert!(failed.is_empty(), "{}: {failed:#?}", bundled.name);
    }
}

#[test]
fn a_golden_case_that_differs_fails_and_shows_both_answers() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let plugin = pei(&host);
    let file = r#"{"cases": [
        {"name": "wrong on purpose", "call": "basic_package", "input": {"age": 70, "sex": "male", "tags": ["elderly"]},
         "expect": {"ok": "PEI-LN"}},
        {"name": "right", "call": "eligible",
         "input": {"package_code": "PEI-NZ", "resident": {"age": 70, "sex": "male", "tags": ["stroke"]}},
         "expect": {"ok": null}}
    ]}"#;
    let outcomes = golden::run_file(&plugin, "inline.json", file).unwrap();
    assert!(!outcomes[0].passed());
    assert_eq!(outcomes[0].actual, serde_json::json!({"ok": "PEI-GW"}));
    assert!(outcomes[1].passed(), "{:?}", outcomes[1]);
    let bad =
        golden::run_file(&plugin, "bad.json", r#"{"cases": [{"name": "x", "call": "fly", "input": 1, "expect": 1}]}"#);
    assert!(bad.unwrap_err().contains("unknown call `fly`"));
}

#[test]
fn a_plugin_of_the_first_world_keeps_answering_and_says_what_it_cannot_do() {
    let plugin = unruly(Limits::default());
    assert_eq!(plugin.world, "qianyue:county/county-plugin@0.1.0");
    assert!(plugin.price(&request("UNRULY-OK", 100, 30, &[])).unwrap().is_ok());
    assert_eq!(plugin.basic_package(&facts(30, &[])).unwrap(), None);
    let error = plugin.settle_batch(&[]).unwrap_err();
    assert!(matches!(error, PluginError::Unsupported { call: "settle-batch", .. }), "{error}");
    assert!(error.to_string().contains("rebuild it for qianyue:county/county-plugin@1.0.0"), "{error}");
}

#[test]
fn an_endless_loop_runs_out_of_fuel_and_the_next_call_succeeds() {
    let plugin = unruly(Limits::default());
    let error = plugin.price(&request("UNRULY-LOOP", 100, 30, &[])).unwrap_err();
    assert!(matches!(error, PluginError::OutOfFuel { fuel: 10_000_000, .. }), "{error}");
    assert!(error.to_string().contains("county 999999 ran out of fuel in `price-batch`: 10000000 units"), "{error}");
    assert!(plugin.price(&request("UNRULY-OK", 100, 30, &[])).unwrap().is_ok());
    // A batch has its requests' worth, and the message says it per request,
    // as the guide and the region's limits do.
    let batch = [request("UNRULY-OK", 100, 30, &[]), request("UNRULY-LOOP", 100, 30, &[])];
    let error = plugin.price_batch(&batch).unwrap_err();
    assert!(matches!(error, PluginError::OutOfFuel { fuel: 20_000_000, requests: 2, .. }), "{error}");
    assert!(error.to_string().ends_with("20000000 units for its 2 requests (10000000 units each)"), "{error}");
}

#[test]
fn an_endless_loop_with_ample_fuel_is_stopped_by_the_deadline() {
    let limits = Limits { fuel: u64::MAX, deadline: Duration::from_millis(30), ..Limits::default() };
    let plugin = unruly(limits);
    let started = std::time::Instant::now();
    let error = plugin.price(&request("UNRULY-LOOP", 100, 30, &[])).unwrap_err();
    assert!(matches!(error, PluginError::Deadline { millis: 30, .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5), "stopped promptly");
    assert!(plugin.price(&request("UNRULY-OK", 100, 30, &[])).unwrap().is_ok());
}

#[test]
fn unbounded_allocation_hits_the_memory_limit_and_the_next_call_succeeds() {
    let plugin = unruly(Limits::default());
    let error = plugin.price(&request("UNRULY-HOG", 100, 30, &[])).unwrap_err();
    assert!(matches!(error, PluginError::Memory { bytes: 16_777_216, .. }), "{error}");
    assert!(plugin.price(&request("UNRULY-OK", 100, 30, &[])).unwrap().is_ok());
}

#[test]
fn a_panic_is_a_trap_that_shows_the_plugins_message() {
    let plugin = unruly(Limits::default());
    let error = plugin.price(&request("UNRULY-TRAP", 100, 30, &[])).unwrap_err();
    assert!(matches!(error, PluginError::Trap { .. }), "{error}");
    assert!(error.to_string().contains("panicked"), "{error}");
}

#[test]
fn a_plugin_that_sleeps_is_refused_its_timer_at_once() {
    let plugin = unruly(Limits::default());
    // On a thread of its own, so that a sandbox letting the plugin sleep an
    // hour fails this test instead of holding it.
    let (answer, answered) = std::sync::mpsc::channel();
    std::thread::spawn(move || answer.send(plugin.price(&request("UNRULY-SLEEP", 100, 30, &[]))));
    let error = answered.recv_timeout(Duration::from_secs(120)).unwrap().unwrap_err();
    assert!(matches!(error, PluginError::Trap { .. }), "{error}");
    assert!(error.to_string().contains("may not wait"), "{error}");
}

#[test]
fn answers_that_do_not_add_up_or_go_negative_are_refused() {
    let plugin = unruly(Limits::default());
    for code in ["UNRULY-LIAR", "UNRULY-NEGATIVE"] {
        let error = plugin.price(&request(code, 1_000, 30, &[])).unwrap_err();
        assert!(matches!(error, PluginError::WrongAnswer { .. }), "{code}: {error}");
    }
}

#[test]
fn bytes_that_are_not_a_component_are_refused_by_name() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let error = host.load("garbage.wasm", b"not wasm", "").err().unwrap();
    assert!(error.to_string().starts_with("`garbage.wasm` is not a usable county plugin"), "{error}");
}

/// Pei's configuration with the checkup package at `percent` of list price.
fn pei_config_with_checkup_at(percent: u32) -> String {
    let mut config: serde_json::Value = serde_json::from_str(bundled_pei().config).unwrap();
    config["checkup_percent"] = percent.into();
    config.to_string()
}

#[test]
fn a_county_changes_a_number_by_configuration_and_gets_another_version() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let base = pei(&host);
    let pei = bundled_pei();
    let cheaper = host.version("pei", pei.component, &pei_config_with_checkup_at(30)).unwrap();
    assert_eq!(cheaper.component, base.component, "the same code");
    assert_ne!(cheaper.hash, base.hash, "another version");
    let quote = cheaper.price(&listed(&cheaper, "PEI-TJ", 40, &[])).unwrap().unwrap();
    assert_eq!(quote.self_pay, 6_000);
    assert!(Arc::ptr_eq(&host.version("pei", pei.component, &pei_config_with_checkup_at(30)).unwrap(), &cheaper));
}

#[test]
fn a_county_uses_the_latest_decision_whose_day_has_come() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let base = pei(&host);
    let pei = bundled_pei();
    let v30 = host.version("pei", pei.component, &pei_config_with_checkup_at(30)).unwrap();
    let v50 = host.version("pei", pei.component, &pei_config_with_checkup_at(50)).unwrap();
    let day = |y, m, d| Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap();
    let schedule = |entries: Vec<(Date, Arc<Plugin>)>| HashMap::from([("320322".to_owned(), entries)]);
    host.set_activations(schedule(vec![(day(2027, 1, 1), v30.clone()), (day(2026, 7, 1), v50.clone())])).unwrap();
    let on = |date| host.for_county("320322", date).unwrap().hash.clone();
    assert_eq!(on(day(2026, 6, 30)), base.hash, "before any activation: the base plugin");
    assert_eq!(on(day(2026, 7, 1)), v50.hash);
    assert_eq!(on(day(2027, 2, 1)), v50.hash, "the later decision wins once both days have come");
    host.set_activations(schedule(vec![(day(2027, 1, 1), v30.clone())])).unwrap();
    assert_eq!(on(day(2026, 8, 1)), base.hash, "a rolled-back decision is gone");
    assert_eq!(on(day(2027, 1, 1)), v30.hash);
    host.set_activations(HashMap::new()).unwrap();
    assert_eq!(on(day(2027, 1, 1)), base.hash, "no activation left: the base plugin");
}

#[test]
fn a_batch_may_use_what_as_many_single_calls_could() {
    let limits = Limits::default();
    let batch = limits.for_items(100);
    assert_eq!((batch.fuel, batch.deadline, batch.memory_bytes), (1_000_000_000, Duration::from_secs(5), 16 << 20));
    assert_eq!(limits.for_items(0).fuel, limits.fuel, "an empty batch is one call");
    assert_eq!(Limits { fuel: u64::MAX, ..limits }.for_items(2).fuel, u64::MAX, "saturates");
}
