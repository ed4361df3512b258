//! County kit (县级插件工具包): the code the county plugins bundled with the
//! Qianyue kernel (`pei-county`, `anhui-county`, `poverty-county`,
//! `ningbo-jiangdong`) would otherwise each carry a copy of.
//!
//! It owns what is the same in every county because the WIT and the
//! programmers' guide (`plugins/README.md`) fix it, not a county:
//!
//! - [`config`]: reading the configuration document (配置文件) so that a
//!   refusal names the field, the range checks of amounts in fen and of
//!   percentages with their refusal texts, and one number per level of care;
//! - [`money`]: the rounding every share uses, half up to the fen;
//! - [`calendar`]: whether a date of a request is a real day;
//! - `golden` (feature `golden`, for tests only): the native runner of a
//!   plugin's golden cases (黄金用例), in the kernel's file format, and
//!   `exports_v1_answer!`, the mapping of those cases to the component
//!   exports of a plugin built on wit-bindgen's types.
//!
//! It must not hold a county's rules, numbers or texts: catalogues,
//! eligibility, reasons shown to doctors and the checks that name a county's
//! packages stay in that county's crate, so that one county's change never
//! moves another county's answers. It has no WIT bindings either: every
//! plugin generates its own types with wit-bindgen, and the kit's functions
//! take and give plain numbers and strings.
//!
//! Everything but `golden` runs inside the component, in the kernel's
//! sandbox (no files, no clock, no randomness), so it is plain computation
//! and never panics. `golden` reads the plugin's folder and exists only
//! with the `golden` feature, which the plugins enable from their
//! dev-dependencies alone.
//!
//! `plugins/template` does not use the kit and keeps its own copy of these
//! helpers on purpose: `qianyue plugin new` copies it into a county's own
//! repository, where it must build alone, without this workspace.

pub mod calendar;
pub mod config;
// The kit's own tests cover the runner whatever the features.
#[cfg(any(test, feature = "golden"))]
pub mod golden;
pub mod money;
