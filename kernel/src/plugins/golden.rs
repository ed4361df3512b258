//! Golden cases (金标准用例): a county's files of inputs and the answers its
//! plugin must give, run against a built component by `qianyue plugin test`
//! and by CI for every bundled plugin. The format is in `plugins/README.md`.
//!
//! A case passes when the plugin's answer, as the kernel reads and checks
//! it, equals `expect` exactly; a plugin failure (trap, fuel, a wrong
//! answer) fails the case with its message.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};
use thiserror::Error;

use super::model::{Claim, EligibilityRequest, PriceRequest, Refusal, ResidentFacts, TeamActivity};
use super::{Plugin, PluginError};

/// One file of cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoldenFile {
    #[allow(dead_code, reason = "for the people reading the file")]
    description: Option<String>,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[allow(dead_code, reason = "for the people reading the file: the rule a case tests and its arithmetic")]
    comment: Option<String>,
    call: String,
    input: Value,
    expect: Value,
}

/// A golden file could not be used.
#[derive(Debug, Error)]
pub enum GoldenError {
    #[error("cannot read `{path}`: {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error("`{path}` is not a golden case file: {message}")]
    Malformed { path: PathBuf, message: String },
    #[error("`{0}` holds no golden case file (*.json)")]
    Empty(PathBuf),
}

/// What one case did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub file: String,
    pub case: String,
    pub expected: Value,
    /// The answer given, or `{"error": …}` when the plugin failed.
    pub actual: Value,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.expected == self.actual
    }
}

/// Reads every `*.json` file of `dir`, in name order: (file name, text).
pub fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, GoldenError> {
    let unreadable =
        |path: &Path, e: std::io::Error| GoldenError::Unreadable { path: path.into(), message: e.to_string() };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(GoldenError::Empty(dir.into()));
    }
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|e| unreadable(&path, e))?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Ok((name, text))
        })
        .collect()
}

/// Runs every golden file of `dir` against `plugin`.
pub fn run_dir(plugin: &Plugin, dir: &Path) -> Result<Vec<Outcome>, GoldenError> {
    let mut outcomes = Vec::new();
    for (name, text) in read_dir(dir)? {
        let malformed = |message| GoldenError::Malformed { path: dir.join(&name), message };
        outcomes.extend(run_file(plugin, &name, &text).map_err(malformed)?);
    }
    Ok(outcomes)
}

/// Runs the cases of one file's text; `Err` says why the file is unusable.
pub fn run_file(plugin: &Plugin, file: &str, text: &str) -> Result<Vec<Outcome>, String> {
    let golden: GoldenFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    golden
        .cases
        .into_iter()
        .map(|case| {
            let actual = match answer(plugin, &case.call, case.input) {
                Ok(answer) => answer,
                Err(Input(message)) => return Err(format!("case `{}`: {message}", case.name)),
            };
            Ok(Outcome { file: file.to_owned(), case: case.name, expected: case.expect, actual })
        })
        .collect()
}

/// A case whose input does not fit its call.
struct Input(String);

fn input<T: serde::de::DeserializeOwned>(call: &str, value: Value) -> Result<T, Input> {
    serde_json::from_value(value).map_err(|e| Input(format!("the input of `{call}` does not fit: {e}")))
}

/// The plugin's answer to one case, as JSON in the file's shape.
fn answer(plugin: &Plugin, call: &str, value: Value) -> Result<Value, Input> {
    // The batch function each call's case goes through, named in failures:
    // the plugin's message names the function it failed in.
    let through = match call {
        "eligible" => "eligible-batch",
        "price" => "price-batch",
        "adjudicate" => "adjudicate-batch",
        "settle" => "settle-batch",
        _ => "",
    };
    let answer = match call {
        "basic_package" => {
            let facts: ResidentFacts = input(call, value)?;
            match plugin.basic_package(&facts) {
                Ok(Some(answer)) => Ok(answer.map(Value::String)),
                Ok(None) => return Ok(json!({ "error": format!("{} has no basic-package call", plugin.world) })),
                Err(e) => Err(e),
            }
        }
        "eligible" => {
            let request: EligibilityRequest = input(call, value)?;
            one(plugin.eligible_batch(&[request]), |()| Value::Null)
        }
        "price" => {
            let mut request: PriceRequest = input(call, value)?;
            request.list_price = plugin.package(&request.package_code).map_or(0, |p| p.list_price);
            let list_price = request.list_price;
            one(plugin.price_batch(&[request]), |q| {
                json!({
                    "list_price": list_price,
                    "adjustments": q.adjustments,
                    "public_health_fund": q.public_health_fund,
                    "insurance_fund": q.insurance_fund,
                    "self_pay": q.self_pay,
                    "rule": q.rule,
                })
            })
        }
        "adjudicate" => {
            let claim: Claim = input(call, value)?;
            one(plugin.adjudicate_batch(&[claim]), |a| json!(a))
        }
        "settle" => {
            let activity: TeamActivity = input(call, value)?;
            one(plugin.settle_batch(&[activity]), |s| json!(s))
        }
        other => {
            return Err(Input(format!(
                "unknown call `{other}` (known: basic_package, eligible, price, adjudicate, settle)"
            )));
        }
    };
    // A plugin failure becomes the case's answer, so that one broken case
    // does not hide the others.
    Ok(match answer {
        Ok(Ok(value)) => json!({ "ok": value }),
        Ok(Err(refusal)) => json!({ "refused": refusal }),
        Err(e) if through.is_empty() => json!({ "error": e.to_string() }),
        Err(e) => json!({ "error": format!("{e} (a `{call}` case calls `{through}` with one request)") }),
    })
}

/// The answer of a one-request batch (the plugin checks the batch's length).
fn one<T>(
    answers: Result<Vec<Result<T, Refusal>>, PluginError>,
    to_json: impl FnOnce(T) -> Value,
) -> Result<Result<Value, Refusal>, PluginError> {
    answers.map(|answers| answers.into_iter().next().map_or(Ok(Value::Null), |a| a.map(to_json)))
}
