//! The configuration document (配置文件): reading it and the checks every
//! county makes of its numbers.
//!
//! The county officer who uploaded the document reads a refusal, so every
//! refusal names the field by its path in the document
//! (`insurance.outpatient.annual_cap: …`). A plugin's own `Config` type
//! declares the fields (`#[serde(deny_unknown_fields)]`, every field
//! required) and its own checks of what belongs to the county, such as a
//! price for every package of its catalogue; the checks here are only the
//! ranges, with the texts `plugins/README.md` shows.

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Reads a document into a plugin's configuration type, or says which field
/// is wrong and why: `insurance.outpatient.cap: unknown field `cap`, …`; an
/// error of the whole document (bad JSON, a missing top-level field,
/// trailing text) has no path and is given alone.
///
/// Only serde's checks: the caller validates the numbers after.
///
/// One pass, tracking the path as it goes. A plugin configured on every
/// fresh instance may try plain `serde_json::from_str` first and call this
/// only for a refused document (Pei does, measured in `BENCHMARKS.md`); the
/// kernel's snapshots configure a Rust component once per version, and the
/// second, plain deserializer costs some 15–30 KB of component.
pub fn parse<T: DeserializeOwned>(document: &str) -> Result<T, String> {
    let mut json = serde_json::Deserializer::from_str(document);
    let config = serde_path_to_error::deserialize(&mut json).map_err(|error| {
        // At the top level the path is only ".".
        match error.path().to_string().as_str() {
            "." => error.into_inner().to_string(),
            path => format!("{path}: {}", error.into_inner()),
        }
    })?;
    json.end().map_err(|error| error.to_string())?;
    Ok(config)
}

/// `value` must be in `low..=high`: `field: must be between low and high, got value`.
pub fn between(field: &str, value: i64, low: i64, high: i64) -> Result<(), String> {
    within(field, value, low, high, "")
}

/// A percentage (百分比), 0 to 100: `field: must be between 0 and 100, got value`.
pub fn percent(field: &str, value: i64) -> Result<(), String> {
    within(field, value, 0, 100, "")
}

/// An amount in fen (分), never negative and at most the county's `max`:
/// `field: must be between 0 and max fen, got value`. Each county picks
/// `max` (its `MAX_FEN`) so that no product its rules form can overflow.
pub fn fen(field: &str, value: i64, max: i64) -> Result<(), String> {
    within(field, value, 0, max, " fen")
}

fn within(field: &str, value: i64, low: i64, high: i64, unit: &str) -> Result<(), String> {
    if (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(format!("{field}: must be between {low} and {high}{unit}, got {value}"))
    }
}

/// One number per level of care (医疗机构级别), from the village clinic up,
/// as the WIT's `care-level` names them: a deductible, a ratio, a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByLevel {
    /// 村卫生室
    pub village_clinic: i64,
    /// 乡镇卫生院 (a community health centre in a city district)
    pub township_centre: i64,
    /// 县级医院
    pub county_hospital: i64,
    /// 县外医院
    pub above_county: i64,
}

impl ByLevel {
    /// Each level's field name in the document with its number, village
    /// clinic first.
    pub fn named(self) -> [(&'static str, i64); 4] {
        [
            ("village_clinic", self.village_clinic),
            ("township_centre", self.township_centre),
            ("county_hospital", self.county_hospital),
            ("above_county", self.above_county),
        ]
    }

    /// Checks each level's number with `each` (such as [`percent`]) under
    /// `field.level`, village clinic first, and gives the first refusal.
    pub fn check(self, field: &str, each: impl Fn(&str, i64) -> Result<(), String>) -> Result<(), String> {
        self.named().into_iter().try_for_each(|(level, value)| each(&format!("{field}.{level}"), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Document {
        ratio_percent: ByLevel,
        cap: i64,
    }

    const LEVELS: &str = r#"{"village_clinic": 70, "township_centre": 60, "county_hospital": 50, "above_county": 40}"#;

    fn document(levels: &str, cap: &str) -> String {
        format!(r#"{{"ratio_percent": {levels}, "cap": {cap}}}"#)
    }

    #[test]
    fn an_accepted_document_is_read_whole() {
        let read: Document = parse(&document(LEVELS, "100")).unwrap();
        let levels = ByLevel { village_clinic: 70, township_centre: 60, county_hospital: 50, above_county: 40 };
        assert_eq!(read, Document { ratio_percent: levels, cap: 100 });
        assert_eq!(levels.named()[3], ("above_county", 40));
    }

    #[test]
    fn a_refusal_names_the_field() {
        let misspelt = LEVELS.replace("above_county", "above_country");
        let error = parse::<Document>(&document(&misspelt, "100")).unwrap_err();
        assert!(
            error.starts_with("ratio_percent.above_country: unknown field `above_country`, expected one of"),
            "{error}"
        );
        let error = parse::<Document>(&document(LEVELS, r#""100""#)).unwrap_err();
        assert!(error.starts_with("cap: invalid type: string"), "{error}");
        let error = parse::<Document>(&document(&LEVELS.replace("40", "40.5"), "100")).unwrap_err();
        assert!(error.starts_with("ratio_percent.above_county: invalid type: floating point"), "{error}");
        let error = parse::<Document>(r#"{"cap": 1}"#).unwrap_err();
        assert!(error.starts_with("missing field `ratio_percent`"), "{error}");
    }

    #[test]
    fn bad_json_and_trailing_text_are_refused() {
        assert!(parse::<Document>("").is_err());
        assert!(parse::<Document>("[]").is_err());
        let error = parse::<Document>(&format!("{} {{}}", document(LEVELS, "100"))).unwrap_err();
        assert!(error.contains("trailing characters"), "{error}");
    }

    #[test]
    fn ranges_are_refused_with_the_guides_texts() {
        assert_eq!(
            percent("outpatient_ratio_percent", 150),
            Err("outpatient_ratio_percent: must be between 0 and 100, got 150".into())
        );
        assert_eq!(percent("x", -1), Err("x: must be between 0 and 100, got -1".into()));
        assert_eq!((percent("x", 0), percent("x", 100)), (Ok(()), Ok(())));
        assert_eq!(fen("cap", -5, 1_000), Err("cap: must be between 0 and 1000 fen, got -5".into()));
        assert_eq!(fen("cap", 1_001, 1_000), Err("cap: must be between 0 and 1000 fen, got 1001".into()));
        assert_eq!((fen("cap", 0, 1_000), fen("cap", 1_000, 1_000)), (Ok(()), Ok(())));
        assert_eq!(between("times", 3, 4, 366), Err("times: must be between 4 and 366, got 3".into()));
        assert_eq!(between("times", 366, 4, 366), Ok(()));
    }

    #[test]
    fn each_level_is_checked_under_its_name_village_clinic_first() {
        let levels = ByLevel { village_clinic: 101, township_centre: 60, county_hospital: 150, above_county: 40 };
        assert_eq!(
            levels.check("insurance.ratio_percent", percent),
            Err("insurance.ratio_percent.village_clinic: must be between 0 and 100, got 101".into())
        );
        let levels = ByLevel { village_clinic: 0, ..levels };
        assert_eq!(
            levels.check("insurance.ratio_percent", percent),
            Err("insurance.ratio_percent.county_hospital: must be between 0 and 100, got 150".into())
        );
        assert_eq!(levels.check("insurance.deductible", |field, value| fen(field, value, 1_000)), Ok(()));
    }
}
