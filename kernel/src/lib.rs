//! The Qianyue kernel: residents, households, teams and contracts of
//! family-doctor contract services (家庭医生签约服务), with county rules run as
//! sandboxed WebAssembly plugins and every action decided by Cedar policies.
//!
//! See ARCHITECTURE.md at the repository root for the map of these modules.

pub mod api;
pub mod assessment;
pub mod authz;
pub mod claims;
pub mod contracts;
pub mod demo;
pub mod fulfilment;
pub mod kernel;
pub mod org;
pub mod plugins;
pub mod referrals;
pub mod residents;
pub mod settlement;
pub mod store;
pub mod synthetic;
pub mod text;
pub mod tokens;

#[cfg(test)]
mod testing;

pub use kernel::{Kernel, KernelError};

/// Plugins and policies compiled into the binary by `build.rs`.
pub mod bundled {
    /// A county plugin built from `plugins/<name>` with the kernel.
    pub struct BundledPlugin {
        pub name: &'static str,
        pub component: &'static [u8],
        /// Its county's configuration document (`config.json`).
        pub config: &'static str,
        /// Where its golden cases are, in the source tree it was built from.
        pub golden: &'static str,
    }

    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

    /// The bundled plugin built from `plugins/<name>`.
    pub fn plugin(name: &str) -> Option<&'static BundledPlugin> {
        PLUGINS.iter().find(|p| p.name == name)
    }
}

/// A unit enum variant's serde name (`"home_visit"`): how enums are
/// stored and named in messages, one spelling everywhere.
pub fn serde_name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Dates as ISO 8601 (`2026-11-23`) in JSON.
pub mod iso_date {
    time::serde::format_description!(format, Date, "[year]-[month]-[day]");
    pub use format::{deserialize, serialize};

    /// A date as ISO 8601, for the containers below.
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Iso(#[serde(with = "crate::iso_date")] time::Date);

    /// The same for `Option<Date>`, with `null` for `None` (time's own
    /// option helper refuses `null`).
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};
        use time::Date;

        use super::Iso;

        pub fn serialize<S: Serializer>(date: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
            match date {
                Some(date) => super::serialize(date, serializer),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Date>, D::Error> {
            Ok(Option::<Iso>::deserialize(deserializer)?.map(|Iso(date)| date))
        }
    }

    /// The same for a list of dates (serialization only: no input carries one).
    pub mod list {
        use serde::Serializer;
        use time::Date;

        use super::Iso;

        pub fn serialize<S: Serializer>(dates: &[Date], serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_seq(dates.iter().map(|date| Iso(*date)))
        }
    }
}
