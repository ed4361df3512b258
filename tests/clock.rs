//! The kernel's day is China's (UTC+8) and comes only from its clock: the
//! date-sensitive paths of the API, run at 23:30 and 00:30 on both sides of
//! a UTC midnight and of China's New Year's midnight, all see the region's
//! day, never the machine's UTC date. Every other test takes its day from a
//! kernel's clock too, so the suite passes at any hour.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{call, databases, kernel_on, member};
use qianyue::kernel::Clock;
use qianyue::residents::CitizenId;
use serde_json::json;
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};

/// Each instant with the day it is in China, worked by hand.
const HOURS: [(OffsetDateTime, Date); 4] = [
    // 23:30 on New Year's Eve in China, 15:30 UTC.
    (datetime!(2025-12-31 15:30 UTC), date!(2025 - 12 - 31)),
    // 00:30 on New Year's Day in China, while UTC is still in the old year.
    (datetime!(2025-12-31 16:30 UTC), date!(2026 - 01 - 01)),
    // 23:30 UTC: 07:30 the next morning in China.
    (datetime!(2026-03-01 23:30 UTC), date!(2026 - 03 - 02)),
    // 00:30 UTC: 08:30 the same day in China.
    (datetime!(2026-03-02 00:30 UTC), date!(2026 - 03 - 02)),
];

#[tokio::test]
async fn the_api_lives_on_the_regions_day_at_any_hour() {
    for (instant, day) in HOURS {
        for db in databases().await {
            let dir = tempfile::tempdir().unwrap();
            let k = kernel_on(&db, dir.path(), &[], Clock::At(instant)).await;
            assert_eq!(k.clock.today(), day);
            let app = qianyue::api::router(k.clone());
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            let doctor = k.tokens.issue(&member("320322", "team-anguo-1"), now, 600).unwrap();
            let at = format!("{} at {instant}", db.name);

            // Born on 1 January 1960: a year older on New Year's Day in China.
            let citizen_id = CitizenId::from_first_17("32032219600101003").unwrap().expose().to_owned();
            let new = json!({"name": "钟点", "citizen_id": citizen_id, "tags": ["hypertension"]});
            let registered = call(&app, "POST", "/v1/counties/320322/residents", Some(&doctor), Some(new)).await;
            let resident = registered.ok(201).clone();
            assert_eq!(resident["age"], day.year() - 1960, "{at}");
            assert_eq!(resident["recorded_tags"]["hypertension"]["recorded_on"], day.to_string(), "{at}");
            let id = resident["id"].as_str().unwrap();
            let read = call(&app, "GET", &format!("/v1/residents/{id}"), Some(&doctor), None).await;
            assert_eq!(read.ok(200)["age"], day.year() - 1960, "{at}");

            // Signed today: the period is the year of China's day.
            let signing = json!({"resident_id": id, "team_id": "team-anguo-1", "packages": ["PEI-GW"]});
            let contract = call(&app, "POST", "/v1/contracts", Some(&doctor), Some(signing)).await.ok(201).clone();
            assert_eq!(
                (&contract["signed_on"], &contract["period"]["year"]),
                (&json!(day.to_string()), &json!(day.year()))
            );
            let services = format!("/v1/contracts/{}/services", contract["id"].as_str().unwrap());

            // A delivery today is recorded; one tomorrow is in the future.
            let visit = |on: Date| {
                json!({"package_code": "PEI-GW", "item_code": "health-education", "delivered_on": on.to_string(),
                       "place": "安国镇卫生院", "mode": "individual", "measurements": {}})
            };
            call(&app, "POST", &services, Some(&doctor), Some(visit(day))).await.ok(201);
            let tomorrow = call(&app, "POST", &services, Some(&doctor), Some(visit(day + Duration::DAY))).await;
            tomorrow.problem(422, "fulfilment-rule");

            // What the contract owes and who is unsigned, as of today by default.
            let schedule = format!("/v1/contracts/{}/schedule", contract["id"].as_str().unwrap());
            let owed = call(&app, "GET", &schedule, Some(&doctor), None).await;
            assert_eq!(owed.ok(200)["as_of"], day.to_string(), "{at}");
            let unsigned = call(&app, "GET", "/v1/counties/320322/unsigned", Some(&doctor), None).await;
            assert_eq!(unsigned.ok(200)["period"]["year"], day.year(), "{at}");
        }
    }
}
