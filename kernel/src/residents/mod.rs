//! Residents (居民): who they are and which population groups (人群) they
//! belong to on a given date.
//!
//! Owns the citizen ID rules, households (户), the derived tags (65+, 0–6)
//! and the recorded ones with the date each was recorded. Pure: no database,
//! no HTTP, no plugins.

mod citizen_id;
pub mod poverty_list;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::Date;
use utoipa::ToSchema;

pub use citizen_id::{CitizenId, CitizenIdError};

/// Sex as encoded in the citizen ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

/// A population tag (人群标签). The first two are derived from the birth date
/// on the day they are asked for; the rest are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    /// 65 or older (65岁及以上老年人). Derived.
    Elderly,
    /// 0–6 years old (0–6岁儿童). Derived.
    Child,
    /// Enrolled in a kindergarten (入园儿童).
    Kindergarten,
    /// Pregnant or postpartum (孕产妇).
    Maternal,
    Hypertension,
    Diabetes,
    Tuberculosis,
    SevereMentalDisorder,
    Disabled,
    Copd,
    Stroke,
    Tumour,
    /// Registered poor (建档立卡贫困人口).
    RegisteredPoor,
    /// Lifted out of poverty (脱贫户).
    LiftedOutOfPoverty,
    /// Monitoring household (监测户).
    PovertyMonitoring,
    /// Special family-planning family (计生特殊家庭).
    SpecialFamilyPlanning,
}

impl Tag {
    /// Every tag, in declaration order.
    pub const ALL: [Tag; 16] = [
        Tag::Elderly,
        Tag::Child,
        Tag::Kindergarten,
        Tag::Maternal,
        Tag::Hypertension,
        Tag::Diabetes,
        Tag::Tuberculosis,
        Tag::SevereMentalDisorder,
        Tag::Disabled,
        Tag::Copd,
        Tag::Stroke,
        Tag::Tumour,
        Tag::RegisteredPoor,
        Tag::LiftedOutOfPoverty,
        Tag::PovertyMonitoring,
        Tag::SpecialFamilyPlanning,
    ];

    /// Tags that follow from the birth date and may not be recorded by hand.
    pub fn is_derived(self) -> bool {
        matches!(self, Tag::Elderly | Tag::Child)
    }

    /// Must-sign (应签尽签): the key populations and the poverty groups, whose
    /// residents left unsigned need a recorded reason.
    pub fn is_must_sign(self) -> bool {
        self != Tag::Kindergarten
    }

    /// The tag's name as stored and shown (`severe_mental_disorder`).
    pub fn name(self) -> &'static str {
        match self {
            Tag::Elderly => "elderly",
            Tag::Child => "child",
            Tag::Kindergarten => "kindergarten",
            Tag::Maternal => "maternal",
            Tag::Hypertension => "hypertension",
            Tag::Diabetes => "diabetes",
            Tag::Tuberculosis => "tuberculosis",
            Tag::SevereMentalDisorder => "severe_mental_disorder",
            Tag::Disabled => "disabled",
            Tag::Copd => "copd",
            Tag::Stroke => "stroke",
            Tag::Tumour => "tumour",
            Tag::RegisteredPoor => "registered_poor",
            Tag::LiftedOutOfPoverty => "lifted_out_of_poverty",
            Tag::PovertyMonitoring => "poverty_monitoring",
            Tag::SpecialFamilyPlanning => "special_family_planning",
        }
    }

    pub fn from_name(name: &str) -> Option<Tag> {
        Tag::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// A set of tags, stored as a comma-separated list of names.
pub type Tags = BTreeSet<Tag>;

/// Joins tags for storage: `hypertension,diabetes`.
pub fn tags_to_text(tags: &Tags) -> String {
    tags.iter().map(|t| t.name()).collect::<Vec<_>>().join(",")
}

/// Reads stored tags; unknown names are an error, not silently dropped.
pub fn tags_from_text(text: &str) -> Result<Tags, ResidentError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| Tag::from_name(s).ok_or_else(|| ResidentError::UnknownTag(s.to_owned())))
        .collect()
}

/// When and from where a tag was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TagRecord {
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub recorded_on: Date,
    /// `registration`, `team`, or the import that brought it (`poverty-list`).
    pub source: String,
}

/// Recorded tags with their records; never the derived ones.
pub type RecordedTags = BTreeMap<Tag, TagRecord>;

/// A household (户): residents who share one family doctor at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Household {
    pub id: String,
    pub county_code: String,
    /// The administrative village it lives in.
    pub village_id: Option<String>,
    pub address: String,
    /// The poverty-alleviation department's household number, if imported.
    pub external_no: Option<String>,
}

/// Why a must-sign resident is not signed in a period (未签约情况说明).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UnsignedReason {
    pub reason: String,
    pub recorded_by: String,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub recorded_on: Date,
}

/// A registered resident.
#[derive(Debug, Clone)]
pub struct Resident {
    pub id: String,
    pub county_code: String,
    pub name: String,
    pub citizen_id: CitizenId,
    pub household_id: Option<String>,
    /// Personal data like the citizen ID: shown only to those allowed.
    pub phone: Option<String>,
    pub recorded_tags: RecordedTags,
}

/// What is wrong with a resident's registration.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ResidentError {
    #[error(transparent)]
    CitizenId(#[from] CitizenIdError),
    #[error("a resident needs a name")]
    MissingName,
    #[error("`{0}` is not a population tag")]
    UnknownTag(String),
    #[error("`{}` follows from the birth date and cannot be recorded", .0.name())]
    DerivedTag(Tag),
}

impl Resident {
    /// Checks a new registration; the citizen ID must be valid. The resident
    /// has no household or phone until they are given.
    pub fn register(
        id: String,
        county_code: String,
        name: &str,
        citizen_id: &str,
        recorded_tags: RecordedTags,
    ) -> Result<Resident, ResidentError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ResidentError::MissingName);
        }
        if let Some(tag) = recorded_tags.keys().find(|t| t.is_derived()) {
            return Err(ResidentError::DerivedTag(*tag));
        }
        Ok(Resident {
            id,
            county_code,
            name: name.to_owned(),
            citizen_id: CitizenId::parse(citizen_id)?,
            household_id: None,
            phone: None,
            recorded_tags,
        })
    }

    /// The recorded tags, whenever recorded.
    pub fn recorded(&self) -> Tags {
        self.recorded_tags.keys().copied().collect()
    }

    pub fn birth_date(&self) -> Date {
        // `CitizenId::parse` has checked the date, so the fallback is unreachable.
        self.citizen_id.birth_date().unwrap_or(Date::MIN)
    }

    pub fn sex(&self) -> Sex {
        self.citizen_id.sex()
    }

    /// Age in whole years on `date` (0 before the first birthday).
    pub fn age_on(&self, date: Date) -> u8 {
        age_between(self.birth_date(), date)
    }

    /// Tags recorded on or before `date`, plus those derived from the age on it.
    pub fn tags_on(&self, date: Date) -> Tags {
        let age = self.age_on(date);
        let mut tags: Tags =
            self.recorded_tags.iter().filter(|(_, r)| r.recorded_on <= date).map(|(t, _)| *t).collect();
        if age >= 65 {
            tags.insert(Tag::Elderly);
        }
        if age <= 6 {
            tags.insert(Tag::Child);
        }
        tags
    }
}

fn age_between(birth: Date, on: Date) -> u8 {
    let mut years = on.year() - birth.year();
    if (on.month() as u8, on.day()) < (birth.month() as u8, birth.day()) {
        years -= 1;
    }
    u8::try_from(years.max(0)).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn records(tags: &[Tag], on: Date) -> RecordedTags {
        tags.iter().map(|t| (*t, TagRecord { recorded_on: on, source: "team".into() })).collect()
    }

    fn resident(first_17: &str, tags: &[Tag]) -> Resident {
        let id = CitizenId::from_first_17(first_17).unwrap();
        Resident::register("r".into(), "320322".into(), "张三", id.expose(), records(tags, date!(2000 - 01 - 01)))
            .unwrap()
    }

    #[test]
    fn a_tag_counts_from_the_day_it_was_recorded() {
        let id = CitizenId::from_first_17("32032219800101001").unwrap();
        let tags = records(&[Tag::Diabetes], date!(2026 - 03 - 01));
        let r = Resident::register("r".into(), "320322".into(), "王五", id.expose(), tags).unwrap();
        assert!(!r.tags_on(date!(2026 - 02 - 28)).contains(&Tag::Diabetes));
        assert!(r.tags_on(date!(2026 - 03 - 01)).contains(&Tag::Diabetes));
        assert_eq!(r.recorded(), [Tag::Diabetes].into());
    }

    #[test]
    fn age_counts_whole_years_and_turns_on_the_birthday() {
        let r = resident("32032219610615001", &[]);
        assert_eq!(r.age_on(date!(2026 - 06 - 14)), 64);
        assert_eq!(r.age_on(date!(2026 - 06 - 15)), 65);
    }

    #[test]
    fn derived_tags_follow_the_date() {
        let elder = resident("32032219610615001", &[Tag::Hypertension]);
        assert!(!elder.tags_on(date!(2026 - 01 - 01)).contains(&Tag::Elderly));
        let later = elder.tags_on(date!(2026 - 07 - 01));
        assert!(later.contains(&Tag::Elderly) && later.contains(&Tag::Hypertension));

        let child = resident("32032220200301002", &[]);
        assert!(child.tags_on(date!(2027 - 02 - 28)).contains(&Tag::Child));
        assert!(!child.tags_on(date!(2027 - 03 - 01)).contains(&Tag::Child));
    }

    #[test]
    fn registration_refuses_bad_input() {
        let id = CitizenId::from_first_17("32032219610615001").unwrap();
        let register = |name: &str, tags: &[Tag]| {
            Resident::register("r".into(), "320322".into(), name, id.expose(), records(tags, date!(2026 - 01 - 01)))
        };
        assert_eq!(register("  ", &[]).unwrap_err(), ResidentError::MissingName);
        assert_eq!(register("李四", &[Tag::Elderly]).unwrap_err(), ResidentError::DerivedTag(Tag::Elderly));
    }

    #[test]
    fn tags_round_trip_through_text_and_unknown_names_fail() {
        let tags: Tags = [Tag::Diabetes, Tag::RegisteredPoor].into();
        assert_eq!(tags_from_text(&tags_to_text(&tags)).unwrap(), tags);
        assert_eq!(tags_from_text("").unwrap(), Tags::new());
        assert_eq!(tags_from_text("diabetes,flu"), Err(ResidentError::UnknownTag("flu".into())));
        for tag in Tag::ALL {
            assert_eq!(Tag::from_name(tag.name()), Some(tag));
        }
    }
}
