use std::time::Duration;

use super::*;
use crate::residents::Tag;

const UNRULY: &str = env!("QIANYUE_FIXTURE_UNRULY");

fn pei(host: &PluginHost) -> Arc<Plugin> {
    let (name, bytes) = crate::bundled::PLUGINS[0];
    host.load(name, bytes).unwrap()
}

fn unruly(limits: Limits) -> Arc<Plugin> {
    let host = PluginHost::new(limits).unwrap();
    host.load("unruly.wasm", &std::fs::read(UNRULY).unwrap()).unwrap()
}

fn request(code: &str, list_price: Fen, age: u8, tags: &[Tag]) -> PriceRequest {
    PriceRequest {
        package_code: code.into(),
        resident: ResidentFacts { age, sex: Sex::Female, tags: tags.iter().copied().collect() },
        list_price,
    }
}

#[test]
fn the_bundled_pei_plugin_loads_with_its_catalogue() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let plugin = pei(&host);
    assert_eq!(plugin.info.county_code, "320322");
    assert_eq!(plugin.hash.len(), 64);
    let basic: Vec<_> = plugin.catalogue.iter().filter(|p| p.kind == PackageKind::Basic).collect();
    assert_eq!(basic.len(), 1, "Pei has one basic package");
    assert_eq!(plugin.catalogue.len(), 8, "7 package types plus stroke rehabilitation");
    assert!(Arc::ptr_eq(&host.for_county("320322").unwrap(), &plugin));
    assert!(matches!(host.for_county("999999"), Err(PluginError::NoPlugin(_))));
}

#[test]
fn pei_prices_the_checkup_at_40_percent_and_kindergarten_child_care_at_60() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let plugin = pei(&host);
    let checkup = plugin.price(&request("PEI-TJ", 20_000, 40, &[])).unwrap().unwrap();
    assert_eq!((checkup.self_pay, checkup.discount), (8_000, 12_000));
    // Half up: 40% of 1,005 fen is 402 fen.
    let rounded = plugin.price(&request("PEI-TJ", 1_005, 40, &[])).unwrap().unwrap();
    assert_eq!(rounded.self_pay, 402);
    let child = plugin.price(&request("PEI-ET", 10_000, 4, &[Tag::Child, Tag::Kindergarten])).unwrap().unwrap();
    assert_eq!(child.self_pay, 6_000);
    let at_home = plugin.price(&request("PEI-ET", 10_000, 4, &[Tag::Child])).unwrap().unwrap();
    assert_eq!(at_home.self_pay, 10_000);
}

#[test]
fn batch_answers_equal_single_answers_and_repeat_exactly() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let plugin = pei(&host);
    let requests = vec![
        request("PEI-GW", 1_000, 70, &[Tag::Elderly]),
        request("PEI-LN", 12_000, 70, &[Tag::Elderly]),
        request("PEI-YY", 12_000, 70, &[Tag::Elderly]),
        request("NOPE", 1, 70, &[]),
    ];
    let batch = plugin.price_batch(&requests).unwrap();
    let single: Vec<_> = requests.iter().map(|r| plugin.price(r).unwrap()).collect();
    assert_eq!(batch, single);
    assert_eq!(plugin.price_batch(&requests).unwrap(), batch, "same input, same output");
    assert!(matches!(batch[2], Err(Refusal::NotEligible(_))));
    assert_eq!(batch[3], Err(Refusal::UnknownPackage("NOPE".into())));
}

#[test]
fn an_endless_loop_runs_out_of_fuel_and_the_next_call_succeeds() {
    let plugin = unruly(Limits::default());
    let error = plugin.price(&request("UNRULY-LOOP", 100, 30, &[])).unwrap_err();
    assert!(matches!(error, PluginError::OutOfFuel { fuel: 10_000_000, .. }), "{error}");
    assert!(error.to_string().contains("county 999999 ran out of fuel"), "{error}");
    assert!(plugin.price(&request("UNRULY-OK", 100, 30, &[])).unwrap().is_ok());
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
    let error = host.load("garbage.wasm", b"not wasm").err().unwrap();
    assert!(error.to_string().starts_with("`garbage.wasm` is not a usable county plugin"), "{error}");
}

#[test]
fn quote_checks_name_the_problem() {
    let quote = |discount, phf, ins, own| Quote {
        discount,
        public_health_fund: phf,
        insurance_fund: ins,
        self_pay: own,
        rule: String::new(),
    };
    assert_eq!(check_quote(1000, &quote(600, 100, 100, 200)), Ok(()));
    assert!(check_quote(1000, &quote(0, 0, 0, 999)).unwrap_err().contains("do not add up"));
    assert!(check_quote(1000, &quote(0, 0, 1001, -1)).unwrap_err().contains("self-pay is negative"));
    assert!(check_quote(i64::MAX, &quote(0, i64::MAX, i64::MAX, 0)).is_err(), "overflow is refused, not wrapped");
}

#[test]
fn catalogue_checks_catch_bad_bundles() {
    let package = |code: &str, kind, bundled: Option<&str>| Package {
        code: code.into(),
        name: code.into(),
        kind,
        target_groups: Tags::new(),
        bundled_with: bundled.map(Into::into),
        items: vec![],
        list_price: 0,
    };
    let basic = package("B", PackageKind::Basic, None);
    assert!(check_catalogue(&[basic.clone(), package("P", PackageKind::Personalised, Some("B"))]).is_ok());
    assert!(check_catalogue(&[basic.clone(), basic.clone()]).unwrap_err().contains("twice"));
    assert!(check_catalogue(&[package("P", PackageKind::Personalised, None)]).unwrap_err().contains("names no basic"));
    assert!(check_catalogue(&[basic, package("P", PackageKind::Personalised, Some("X"))]).unwrap_err().contains("`X`"));
}
