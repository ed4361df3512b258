//! Every bundled county end to end through one kernel, on every database:
//! its demo residents sign with its team, the team records what it
//! delivered, the county's insurance office submits claims, and once the
//! year is over the finance office settles the period. Every amount the
//! kernel stores — each contract line's quote, each claim's shares, each
//! team's settlement lines and total — equals the answer of a golden case
//! of the county's plugin (`plugins/<county>/golden/*.json`, found by
//! name), and what the kernel asked the plugin equals that case's input:
//! the priced facts, package and first day of a line; what a claim carried
//! (the resident's facts on the day, the signed packages, the care, the
//! insurance year so far); a settlement's stored activity. A last test
//! signs residents of different counties whose facts are the same, in one
//! kernel with every plugin loaded, and finds each priced by its own
//! county's rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{databases, delivery, kernel_on, member, person, sign};
use qianyue::Kernel;
use qianyue::authz::Role;
use qianyue::claims::{NewClaim, StoredClaim};
use qianyue::contracts::{Contract, Period};
use qianyue::demo::{GULIN, JIANGDONG, JINZHAI, PEI};
use qianyue::fulfilment::{Measurements, NewServiceRecord};
use qianyue::kernel::Clock;
use qianyue::plugins::{CareKind, CareLevel, Claim, PriceRequest, ResidentFacts, TeamActivity};
use qianyue::settlement::SettlementReport;
use serde_json::{Value, json};
use time::Date;
use time::macros::date;

/// The residents sign on this day (their ages and tags are those of the
/// demo loaded in 2025), the team records and the office claims by the
/// second, and the period is settled on the third, once it has ended.
const SIGNED_ON: Date = date!(2025 - 01 - 02);
const RECORDED_BY: Date = date!(2025 - 12 - 20);
const SETTLED_ON: Date = date!(2026 - 01 - 05);
const PERIOD: Period = Period { year: 2025 };

/// One county's year: who signs what (each package with the golden case
/// that prices it), what the team delivers, which claims are submitted (in
/// order) and the golden case of each team's settlement.
struct Year {
    county: &'static str,
    /// The plugin's folder under `plugins/`, and its version.
    plugin: &'static str,
    version: &'static str,
    team: &'static str,
    place: &'static str,
    signings: &'static [(&'static str, Packages)],
    deliveries: &'static [Delivery],
    claims: &'static [Care],
    settlements: &'static [(&'static str, &'static str)],
}

/// Package codes, each with the golden case that prices it.
type Packages = &'static [(&'static str, &'static str)];

/// (resident, package, item, day, what was measured)
type Delivery = (&'static str, &'static str, &'static str, Date, Reading);

#[derive(Clone, Copy)]
enum Reading {
    None,
    /// Systolic and diastolic pressure, mmHg.
    Pressure(u16, u16),
    /// Fasting glucose, 0.1 mmol/L.
    Glucose(u16),
}

/// A claim and the golden case that adjudicates it.
struct Care {
    resident: &'static str,
    institution: &'static str,
    kind: CareKind,
    level: CareLevel,
    referred: bool,
    on: Date,
    amount: i64,
    case: &'static str,
}

/// A golden case of a bundled plugin, by name: its input and the answer it
/// expects (which must be an `ok`).
fn golden(plugin: &str, name: &str) -> (Value, Value) {
    let bundled = qianyue::bundled::plugin(plugin).unwrap_or_else(|| panic!("`{plugin}` is not bundled"));
    let files = qianyue::plugins::golden::read_dir(Path::new(bundled.golden)).unwrap();
    let cases: Vec<Value> = files
        .iter()
        .flat_map(|(_, text)| serde_json::from_str::<Value>(text).unwrap()["cases"].as_array().unwrap().clone())
        .filter(|case| case["name"] == name)
        .collect();
    let [case] = cases.as_slice() else { panic!("{plugin} has {} golden cases named `{name}`", cases.len()) };
    let expect = case["expect"].get("ok").unwrap_or_else(|| panic!("{plugin} `{name}` expects no answer"));
    (case["input"].clone(), expect.clone())
}

/// A stored contract line was priced from the golden case's input and
/// holds its answer.
fn assert_priced(plugin: &str, case: &str, contract: &Contract, code: &str, facts: &ResidentFacts) {
    let (input, expect) = golden(plugin, case);
    let line = contract.lines.iter().find(|l| l.package_code == code).unwrap_or_else(|| panic!("no {code} line"));
    let asked = PriceRequest {
        package_code: line.package_code.clone(),
        resident: ResidentFacts { age: line.priced_age, sex: facts.sex, tags: line.priced_tags.clone() },
        starts_on: contract.signed_on,
        list_price: 0,
    };
    let input: PriceRequest = serde_json::from_value(input).unwrap();
    assert_eq!(asked, input, "{plugin} `{case}`: what the kernel asked");
    assert_eq!(&asked.resident, facts, "{plugin} `{case}`: the resident's facts on the day of signing");
    let stored = json!({
        "list_price": line.list_price,
        "adjustments": line.quote.adjustments,
        "public_health_fund": line.quote.public_health_fund,
        "insurance_fund": line.quote.insurance_fund,
        "self_pay": line.quote.self_pay,
        "rule": line.quote.rule,
    });
    assert_eq!(stored, expect, "{plugin} `{case}`: the stored quote");
    let adjusted: i64 = line.quote.adjustments.iter().map(|a| a.amount).sum();
    assert_eq!(line.quote.discount, adjusted, "{plugin} `{case}`: the stored discount is the adjustments'");
}

/// A stored claim carried the golden case's input and holds its answer.
/// What it carried is what the kernel builds: the resident's facts on the
/// day of care, the covering contract's packages, the care, and the
/// insurance year of the resident's claims stored before it.
async fn assert_adjudicated(k: &Kernel, plugin: &str, case: &str, claim: &StoredClaim, all: &[StoredClaim]) {
    let (input, expect) = golden(plugin, case);
    let resident = k.store.resident(&claim.resident_id).await.unwrap().unwrap();
    let contract = k.store.contract(&claim.contract_id).await.unwrap().unwrap();
    let earlier: Vec<StoredClaim> =
        all.iter().filter(|c| c.on.year() == claim.on.year() && c.sequence < claim.sequence).cloned().collect();
    assert_eq!(earlier.len() + 1, claim.sequence as usize, "{plugin} `{case}`: its place in the year");
    let carried = Claim {
        resident: ResidentFacts {
            age: resident.age_on(claim.on),
            sex: resident.sex(),
            tags: resident.tags_on(claim.on),
        },
        signed_packages: contract.lines.iter().map(|l| l.package_code.clone()).collect(),
        kind: claim.kind,
        level: claim.level,
        referred: claim.referred,
        on: claim.on,
        amount: claim.amount,
        year_to_date: qianyue::claims::year_to_date(&earlier),
    };
    let input: Claim = serde_json::from_value(input).unwrap();
    assert_eq!(carried, input, "{plugin} `{case}`: what the claim carried");
    assert_eq!(json!({ "shares": claim.shares }), expect, "{plugin} `{case}`: the stored shares");
    assert_eq!(claim.shares.iter().map(|s| s.amount).sum::<i64>(), claim.amount);
}

/// Runs a county's year on every database and checks what was stored.
async fn run(year: &Year) {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let january = kernel_on(&db, dir.path(), &[], Clock::Fixed(SIGNED_ON)).await;
        let doctor = member(year.county, year.team);
        let mut contracts: HashMap<&str, String> = HashMap::new();
        for (resident, packages) in year.signings {
            let codes: Vec<&str> = packages.iter().map(|(code, _)| *code).collect();
            let signed = january.sign(&doctor, sign(resident, year.team, &codes)).await;
            let contract = signed.unwrap_or_else(|e| panic!("{}: {resident} signs {codes:?}: {e}", db.name));
            assert_eq!(contract.plugin_version, year.version, "{resident}: priced by {}", year.plugin);
            contracts.insert(*resident, contract.id);
        }

        let december = kernel_on(&db, dir.path(), &[], Clock::Fixed(RECORDED_BY)).await;
        for (resident, package, item, on, reading) in year.deliveries {
            let measurements = match *reading {
                Reading::None => Measurements::default(),
                Reading::Pressure(s, d) => Measurements { systolic: Some(s), diastolic: Some(d), ..Default::default() },
                Reading::Glucose(g) => Measurements { fasting_glucose: Some(g), ..Default::default() },
            };
            let record = NewServiceRecord { place: year.place.into(), ..delivery(package, item, *on, measurements) };
            let recorded = december.record_service(&doctor, &contracts[resident], record).await;
            let recorded = recorded.unwrap_or_else(|e| panic!("{}: {resident} {package} {item}: {e}", db.name));
            assert!(recorded.referral_suggestions.is_empty(), "every reading is within the protocols' bounds");
        }
        let officer = person(year.county, Role::InsuranceOfficer, None);
        for care in year.claims {
            let new = NewClaim {
                resident_id: care.resident.into(),
                institution_id: care.institution.into(),
                kind: care.kind,
                level: care.level,
                referred: care.referred,
                on: care.on,
                amount: care.amount,
            };
            let claimed = december.submit_claim(&officer, new).await;
            claimed.unwrap_or_else(|e| panic!("{}: {}'s claim `{}`: {e}", db.name, care.resident, care.case));
        }

        let new_year = kernel_on(&db, dir.path(), &[], Clock::Fixed(SETTLED_ON)).await;
        let finance = person(year.county, Role::Finance, None);
        let settled = new_year.settle(&finance, year.county, PERIOD).await.unwrap();
        assert!(!settled.stored_before);

        // Every contract line as stored.
        for (resident, packages) in year.signings {
            let contract = new_year.contract(&doctor, &contracts[resident]).await.unwrap();
            assert_eq!(contract.lines.len(), packages.len(), "{resident}");
            let registered = new_year.store.resident(resident).await.unwrap().unwrap();
            let facts = ResidentFacts {
                age: registered.age_on(SIGNED_ON),
                sex: registered.sex(),
                tags: registered.tags_on(SIGNED_ON),
            };
            for (code, case) in *packages {
                assert_priced(year.plugin, case, &contract, code, &facts);
            }
        }

        // Every claim as stored.
        let mut claims: HashMap<&str, Vec<StoredClaim>> = HashMap::new();
        for care in year.claims {
            if !claims.contains_key(care.resident) {
                claims.insert(care.resident, new_year.claims_of_resident(&officer, care.resident).await.unwrap());
            }
        }
        for care in year.claims {
            let all = &claims[care.resident];
            assert_eq!(all.len(), year.claims.iter().filter(|c| c.resident == care.resident).count());
            let claim = all.iter().find(|c| c.on == care.on).unwrap_or_else(|| panic!("{}", care.case));
            assert_eq!(claim.contract_id, contracts[care.resident], "{}: the covering contract", care.case);
            assert_eq!(claim.institution_id, care.institution);
            assert_adjudicated(&new_year, year.plugin, care.case, claim, all).await;
        }

        // Every team's settlement as stored, and the run's answer is it.
        let stored: SettlementReport = new_year.settlement(&finance, year.county, PERIOD).await.unwrap();
        assert_eq!(stored.teams, settled.teams);
        assert_eq!(stored.teams.len(), year.settlements.len(), "every team of the county is settled");
        let mut total = 0;
        for (team, case) in year.settlements {
            let (input, expect) = golden(year.plugin, case);
            let settlement = stored.teams.iter().find(|t| t.team_id == *team).unwrap_or_else(|| panic!("{team}"));
            let input: TeamActivity = serde_json::from_value(input).unwrap();
            assert_eq!(settlement.activity, input, "{team} `{case}`: the stored activity");
            assert_eq!(json!(settlement.settlement), expect, "{team} `{case}`: the stored settlement");
            total += expect["total"].as_i64().unwrap();
        }
        assert_eq!((stored.total, settled.total), (total, total));
        let priced = new_year.contract(&doctor, &contracts[year.signings[0].0]).await.unwrap();
        assert_eq!(
            (stored.plugin_hash.as_str(), stored.plugin_version.as_str()),
            (priced.plugin_hash.as_str(), year.version)
        );

        // Settled again, the same.
        let again = new_year.settle(&finance, year.county, PERIOD).await.unwrap();
        assert!(again.stored_before);
        assert_eq!((again.teams, again.total), (stored.teams, stored.total));
    }
}

/// Pei: the basic package on the public-health fund, elderly care at list
/// price, child care at 60% for a kindergarten child, a registered-poor
/// stay compensated in full, 15 yuan an elderly-care signing and the
/// per-capita subsidy once the score passes. Pei's other two teams signed
/// no one and are settled with nothing.
#[tokio::test]
async fn pei_residents_sign_are_served_claim_and_their_team_is_settled() {
    const YEAR: Year = Year {
        county: PEI,
        plugin: "pei-county",
        version: "2024.1.1",
        team: "team-anguo-1",
        place: "安国镇卫生院",
        signings: &[
            (
                "res-pei-001",
                &[
                    ("PEI-GW", "end to end: basic package for a woman of 71 with hypertension"),
                    ("PEI-LN", "end to end: elderly care for a woman of 71 with hypertension, self-paid at list price"),
                ],
            ),
            (
                "res-pei-002",
                &[
                    ("PEI-GW", "end to end: basic package for a kindergarten boy of 3"),
                    ("PEI-ET", "end to end: child care at 60% for a kindergarten boy of 3"),
                ],
            ),
            (
                "res-pei-004",
                &[
                    ("PEI-GW", "end to end: basic package for a registered-poor man of 57 with diabetes"),
                    (
                        "PEI-MB",
                        "end to end: chronic disease package for a registered-poor man of 57 with diabetes, self-paid at list price",
                    ),
                ],
            ),
        ],
        // 6 of the 44 deliveries owed; her blood pressure and his glucose
        // under control: (136 + 1000 + 1000) / 3 = 712 permille, score 71.
        deliveries: &[
            ("res-pei-001", "PEI-GW", "health-record", date!(2025 - 02 - 10), Reading::None),
            ("res-pei-001", "PEI-LN", "follow-up", date!(2025 - 03 - 10), Reading::Pressure(130, 80)),
            ("res-pei-002", "PEI-GW", "health-record", date!(2025 - 02 - 10), Reading::None),
            ("res-pei-002", "PEI-ET", "child-health-check", date!(2025 - 04 - 15), Reading::None),
            ("res-pei-004", "PEI-GW", "health-record", date!(2025 - 02 - 10), Reading::None),
            ("res-pei-004", "PEI-MB", "fasting-glucose", date!(2025 - 03 - 10), Reading::Glucose(65)),
        ],
        claims: &[Care {
            resident: "res-pei-004",
            institution: "pei-anguo",
            kind: CareKind::Inpatient,
            level: CareLevel::TownshipCentre,
            referred: false,
            on: date!(2025 - 06 - 10),
            amount: 100_000,
            case: "end to end: registered-poor inpatient stay at the township centre, 1000 yuan, first claim of the year",
        }],
        settlements: &[
            ("team-anguo-1", "end to end: a 2025 team with one elderly-care signing among 3 residents, score 71"),
            ("team-anguo-2", "end to end: a 2025 team that signed no one"),
            ("team-longgu-1", "end to end: a 2025 team that signed no one"),
        ],
    };
    run(&YEAR).await;
}

/// Jinzhai: the hypertension basic package before the elderly one, paid
/// packages split three ways, a registered-poor man's self-pay waived,
/// outpatient care at the village clinic, and the team paid by delivered
/// items times its score (one line rounding half a fen up).
#[tokio::test]
async fn jinzhai_residents_sign_are_served_claim_and_their_team_is_settled() {
    const YEAR: Year = Year {
        county: JINZHAI,
        plugin: "anhui-county",
        version: "2024.1.0",
        team: "team-baitafan-1",
        place: "白塔畈镇卫生院",
        signings: &[
            (
                "res-jz-001",
                &[
                    (
                        "AH-JC-GXY",
                        "end to end: an elderly hypertension patient's basic package is the hypertension one",
                    ),
                    ("AH-GX-GXY", "end to end: hypertension paid package for an elderly hypertension patient"),
                ],
            ),
            (
                "res-jz-002",
                &[
                    ("AH-JC-LN", "end to end: elderly basic package for a registered-poor man of 75"),
                    ("AH-GX-LN", "end to end: elderly paid package for a registered-poor man of 75, self-pay waived"),
                ],
            ),
        ],
        // 18 of the 27 deliveries owed (667 permille), her blood pressure
        // under control, her one outpatient claim at a village clinic:
        // (667 + 1000 + 1000) / 3 = 889 permille, score 89.
        deliveries: &[
            ("res-jz-001", "AH-JC-GXY", "health-checkup", date!(2025 - 03 - 05), Reading::None),
            ("res-jz-001", "AH-JC-GXY", "health-assessment", date!(2025 - 03 - 05), Reading::None),
            ("res-jz-001", "AH-JC-GXY", "follow-up", date!(2025 - 03 - 05), Reading::None),
            ("res-jz-001", "AH-JC-GXY", "blood-pressure", date!(2025 - 03 - 05), Reading::Pressure(136, 86)),
            ("res-jz-001", "AH-GX-GXY", "ecg", date!(2025 - 03 - 05), Reading::None),
            ("res-jz-001", "AH-GX-GXY", "medication-guidance", date!(2025 - 03 - 05), Reading::None),
            ("res-jz-001", "AH-JC-GXY", "follow-up", date!(2025 - 06 - 05), Reading::None),
            ("res-jz-001", "AH-JC-GXY", "blood-pressure", date!(2025 - 06 - 05), Reading::Pressure(134, 84)),
            ("res-jz-001", "AH-JC-GXY", "follow-up", date!(2025 - 09 - 05), Reading::None),
            ("res-jz-001", "AH-JC-GXY", "blood-pressure", date!(2025 - 09 - 05), Reading::Pressure(132, 82)),
            ("res-jz-001", "AH-GX-GXY", "medication-guidance", date!(2025 - 09 - 05), Reading::None),
            ("res-jz-002", "AH-JC-LN", "health-checkup", date!(2025 - 04 - 10), Reading::None),
            ("res-jz-002", "AH-JC-LN", "health-assessment", date!(2025 - 04 - 10), Reading::None),
            ("res-jz-002", "AH-JC-LN", "self-care-assessment", date!(2025 - 04 - 10), Reading::None),
            ("res-jz-002", "AH-GX-LN", "extended-checkup", date!(2025 - 04 - 10), Reading::None),
            ("res-jz-002", "AH-GX-LN", "tcm-therapy", date!(2025 - 04 - 10), Reading::None),
            ("res-jz-002", "AH-GX-LN", "home-visit", date!(2025 - 07 - 10), Reading::None),
            ("res-jz-002", "AH-GX-LN", "tcm-therapy", date!(2025 - 07 - 10), Reading::None),
        ],
        claims: &[Care {
            resident: "res-jz-001",
            institution: "jz-baitafan-xindian",
            kind: CareKind::Outpatient,
            level: CareLevel::VillageClinic,
            referred: false,
            on: date!(2025 - 05 - 06),
            amount: 12_345,
            case: "end to end: a hypertensive woman's outpatient visit at the village clinic",
        }],
        settlements: &[("team-baitafan-1", "end to end: a 2025 team paid by delivered items at score 89")],
    };
    run(&YEAR).await;
}

/// Gulin: the poverty package and the diabetes package with the registered
/// poor's part compensated, a hypertensive woman who pays hers, medical
/// assistance above 10% of each claim, the outpatient cap reached by a
/// second claim that carries the first one's reimbursement, and the team
/// paid per poor signer times its score and per chronic delivery.
#[tokio::test]
async fn gulin_residents_sign_are_served_claim_and_their_team_is_settled() {
    const YEAR: Year = Year {
        county: GULIN,
        plugin: "poverty-county",
        version: "2018.1.1",
        team: "team-taiping-1",
        place: "太平镇卫生院",
        signings: &[
            (
                "res-gl-001",
                &[
                    ("GL-JC", "end to end: basic package for a registered-poor man of 57 with diabetes"),
                    (
                        "GL-FP",
                        "end to end: poverty package for a registered-poor man of 57 with diabetes, his part compensated",
                    ),
                    ("GL-TNB", "end to end: diabetes package for a registered-poor man of 57, his part compensated"),
                ],
            ),
            (
                "res-gl-002",
                &[
                    ("GL-JC", "end to end: basic package for a woman of 61 with hypertension"),
                    ("GL-GXY", "end to end: hypertension package for a woman of 61 who is not poor: she pays her part"),
                ],
            ),
        ],
        // 12 of the 30 deliveries owed (400 permille); his glucose and her
        // blood pressure under control; both claims at primary care:
        // (400 + 1000 + 1000 + 1000) / 4 = 850 permille, score 85.
        deliveries: &[
            ("res-gl-001", "GL-FP", "policy-briefing", date!(2025 - 01 - 15), Reading::None),
            ("res-gl-001", "GL-JC", "checkup", date!(2025 - 03 - 12), Reading::None),
            ("res-gl-001", "GL-FP", "village-doctor-contact", date!(2025 - 03 - 12), Reading::None),
            ("res-gl-001", "GL-TNB", "fasting-glucose", date!(2025 - 03 - 12), Reading::Glucose(68)),
            ("res-gl-001", "GL-TNB", "follow-up", date!(2025 - 03 - 12), Reading::None),
            ("res-gl-001", "GL-FP", "village-doctor-contact", date!(2025 - 06 - 12), Reading::None),
            ("res-gl-001", "GL-TNB", "fasting-glucose", date!(2025 - 06 - 12), Reading::Glucose(64)),
            ("res-gl-001", "GL-TNB", "follow-up", date!(2025 - 06 - 12), Reading::None),
            ("res-gl-002", "GL-JC", "checkup", date!(2025 - 03 - 20), Reading::None),
            ("res-gl-002", "GL-GXY", "checkup", date!(2025 - 03 - 20), Reading::None),
            ("res-gl-002", "GL-GXY", "follow-up", date!(2025 - 03 - 20), Reading::Pressure(138, 86)),
            ("res-gl-002", "GL-GXY", "follow-up", date!(2025 - 06 - 20), Reading::Pressure(128, 80)),
        ],
        claims: &[
            Care {
                resident: "res-gl-001",
                institution: "gl-taiping",
                kind: CareKind::Outpatient,
                level: CareLevel::TownshipCentre,
                referred: false,
                on: date!(2025 - 04 - 08),
                amount: 15_005,
                case: "end to end: a registered-poor diabetic's first outpatient visit of the year, 150.05 yuan",
            },
            Care {
                resident: "res-gl-001",
                institution: "gl-taiping-pingshan",
                kind: CareKind::Outpatient,
                level: CareLevel::VillageClinic,
                referred: false,
                on: date!(2025 - 09 - 16),
                amount: 20_000,
                case: "end to end: the same resident's second visit reaches the outpatient cap",
            },
        ],
        settlements: &[(
            "team-taiping-1",
            "end to end: a 2025 team with one poor signer and chronic follow-ups, score 85",
        )],
    };
    run(&YEAR).await;
}

/// Jiangdong: the basic package on the public-health fund, the elderly and
/// maternal packages half on insurance, a signed resident's higher ratio at
/// the community station and after a referral to the district hospital
/// (the second claim carrying the first one's reimbursement), and the
/// team's per-head budget with the unspent balance as its reward.
#[tokio::test]
async fn jiangdong_residents_sign_are_served_claim_and_their_team_is_settled() {
    const YEAR: Year = Year {
        county: JIANGDONG,
        plugin: "ningbo-jiangdong",
        version: "2014.1.0",
        team: "team-baizhang-1",
        place: "百丈街道社区卫生服务中心",
        signings: &[
            (
                "res-jd-001",
                &[
                    ("NBJD-JC", "end to end: basic package for a woman of 71 with hypertension"),
                    ("NBJD-LN", "end to end: elderly package for a woman of 71 with hypertension"),
                ],
            ),
            (
                "res-jd-002",
                &[
                    ("NBJD-JC", "end to end: basic package for an expectant mother of 30"),
                    ("NBJD-YC", "end to end: maternal package for an expectant mother of 30"),
                ],
            ),
        ],
        // 12 of the 18 deliveries owed (667 permille), her blood pressure
        // under control, one of her two outpatient claims at primary care:
        // (667 + 500 + 1000) / 3 = 722 permille, score 72.
        deliveries: &[
            ("res-jd-001", "NBJD-JC", "health-record", date!(2025 - 02 - 18), Reading::None),
            ("res-jd-001", "NBJD-JC", "health-assessment", date!(2025 - 02 - 18), Reading::None),
            ("res-jd-001", "NBJD-JC", "health-plan", date!(2025 - 02 - 18), Reading::None),
            ("res-jd-001", "NBJD-LN", "elderly-checkup", date!(2025 - 03 - 18), Reading::None),
            ("res-jd-001", "NBJD-LN", "tcm-constitution", date!(2025 - 03 - 18), Reading::None),
            ("res-jd-001", "NBJD-JC", "health-intervention", date!(2025 - 05 - 20), Reading::None),
            ("res-jd-001", "NBJD-LN", "follow-up", date!(2025 - 06 - 18), Reading::Pressure(132, 82)),
            ("res-jd-002", "NBJD-JC", "health-record", date!(2025 - 02 - 25), Reading::None),
            ("res-jd-002", "NBJD-JC", "health-assessment", date!(2025 - 02 - 25), Reading::None),
            ("res-jd-002", "NBJD-YC", "prenatal-check", date!(2025 - 02 - 25), Reading::None),
            ("res-jd-002", "NBJD-YC", "prenatal-check", date!(2025 - 04 - 25), Reading::None),
            ("res-jd-002", "NBJD-YC", "prenatal-check", date!(2025 - 06 - 25), Reading::None),
        ],
        claims: &[
            Care {
                resident: "res-jd-001",
                institution: "jd-baizhang-huachuan",
                kind: CareKind::Outpatient,
                level: CareLevel::VillageClinic,
                referred: false,
                on: date!(2025 - 04 - 22),
                amount: 30_000,
                case: "end to end: signed resident at the community station, 300 yuan",
            },
            Care {
                resident: "res-jd-001",
                institution: "jd-hospital",
                kind: CareKind::Outpatient,
                level: CareLevel::CountyHospital,
                referred: true,
                on: date!(2025 - 05 - 06),
                amount: 2_011,
                case: "end to end: the same resident referred to the district hospital after 180 yuan reimbursed",
            },
        ],
        settlements: &[("team-baizhang-1", "end to end: a 2025 team's budget for two signed residents, score 72")],
    };
    run(&YEAR).await;
}

/// One kernel, every plugin loaded: residents of different counties whose
/// facts are the same (birth date, sex and recorded tags) are priced by
/// their own county's rules, each price its plugin's golden answer, and
/// the prices differ.
#[tokio::test]
async fn the_same_resident_facts_are_priced_by_each_countys_own_rules() {
    // (county, plugin, team, resident, packages with their golden cases)
    type Signing = (&'static str, &'static str, &'static str, &'static str, [(&'static str, &'static str); 2]);
    let elderly_woman: [Signing; 3] = [
        (
            PEI,
            "pei-county",
            "team-anguo-1",
            "res-pei-001",
            [
                ("PEI-GW", "end to end: basic package for a woman of 71 with hypertension"),
                ("PEI-LN", "end to end: elderly care for a woman of 71 with hypertension, self-paid at list price"),
            ],
        ),
        (
            JINZHAI,
            "anhui-county",
            "team-baitafan-1",
            "res-jz-001",
            [
                ("AH-JC-GXY", "end to end: an elderly hypertension patient's basic package is the hypertension one"),
                ("AH-GX-GXY", "end to end: hypertension paid package for an elderly hypertension patient"),
            ],
        ),
        (
            JIANGDONG,
            "ningbo-jiangdong",
            "team-baizhang-1",
            "res-jd-001",
            [
                ("NBJD-JC", "end to end: basic package for a woman of 71 with hypertension"),
                ("NBJD-LN", "end to end: elderly package for a woman of 71 with hypertension"),
            ],
        ),
    ];
    let poor_diabetic: [Signing; 2] = [
        (
            PEI,
            "pei-county",
            "team-anguo-1",
            "res-pei-004",
            [
                ("PEI-GW", "end to end: basic package for a registered-poor man of 57 with diabetes"),
                (
                    "PEI-MB",
                    "end to end: chronic disease package for a registered-poor man of 57 with diabetes, self-paid at list price",
                ),
            ],
        ),
        (
            GULIN,
            "poverty-county",
            "team-taiping-1",
            "res-gl-001",
            [
                ("GL-JC", "end to end: basic package for a registered-poor man of 57 with diabetes"),
                ("GL-TNB", "end to end: diabetes package for a registered-poor man of 57, his part compensated"),
            ],
        ),
    ];
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let k = kernel_on(&db, dir.path(), &[], Clock::Fixed(SIGNED_ON)).await;
        for group in [&elderly_woman[..], &poor_diabetic[..]] {
            let mut facts: Option<ResidentFacts> = None;
            let mut seen: Vec<(String, [i64; 3])> = Vec::new();
            for (county, plugin, team, resident, packages) in group {
                let codes: Vec<&str> = packages.iter().map(|(code, _)| *code).collect();
                let doctor = member(county, team);
                let signed = k.sign(&doctor, sign(resident, team, &codes)).await.unwrap();
                let contract = k.contract(&doctor, &signed.id).await.unwrap();
                assert_eq!(contract.county_code, *county);
                let registered = k.store.resident(resident).await.unwrap().unwrap();
                let theirs = ResidentFacts {
                    age: registered.age_on(SIGNED_ON),
                    sex: registered.sex(),
                    tags: registered.tags_on(SIGNED_ON),
                };
                let first = facts.get_or_insert_with(|| theirs.clone());
                assert_eq!(&theirs, first, "{resident} has the same facts as the others");
                for (code, case) in packages {
                    assert_priced(plugin, case, &contract, code, &theirs);
                }
                let payers = contract.lines.iter().fold([0; 3], |[phf, ins, own], l| {
                    [phf + l.quote.public_health_fund, ins + l.quote.insurance_fund, own + l.quote.self_pay]
                });
                for (other, price) in &seen {
                    assert_ne!(&payers, price, "{resident} and {other}: the same facts, another county's price");
                }
                seen.push((resident.to_string(), payers));
            }
        }
    }
}
