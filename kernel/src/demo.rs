//! The demo region: Pei County (沛县) with two townships, a village clinic,
//! teams and residents of every kind the bundled plugin prices differently,
//! plus a neighbouring county (丰县) to show that counties are kept apart.
//!
//! Birth dates are set relative to the current year, so an "elderly" resident
//! is 65+ whenever the demo is loaded. Loading twice changes nothing.

use crate::org::{County, Institution, InstitutionLevel, Team};
use crate::residents::{CitizenId, Resident, Tag, Tags};
use crate::store::{Store, StoreError};

pub const PEI: &str = "320322";
pub const FENG: &str = "320321";

/// (id, county, name, years before this year, month-day, sequence, recorded tags)
type DemoResident = (
    &'static str,
    &'static str,
    &'static str,
    i32,
    &'static str,
    &'static str,
    &'static [Tag],
);

/// Ids are readable so that the README can use them.
pub const RESIDENTS: &[DemoResident] = &[
    (
        "res-pei-001",
        PEI,
        "王秀英",
        72,
        "0308",
        "022",
        &[Tag::Hypertension],
    ),
    (
        "res-pei-002",
        PEI,
        "李子轩",
        4,
        "0520",
        "011",
        &[Tag::Kindergarten],
    ),
    (
        "res-pei-003",
        PEI,
        "张丽",
        29,
        "0912",
        "042",
        &[Tag::Maternal],
    ),
    (
        "res-pei-004",
        PEI,
        "刘建国",
        58,
        "0115",
        "031",
        &[Tag::Diabetes, Tag::RegisteredPoor],
    ),
    ("res-pei-005", PEI, "陈伟", 35, "0701", "051", &[]),
    (
        "res-pei-006",
        PEI,
        "赵桂兰",
        68,
        "1103",
        "062",
        &[Tag::Stroke],
    ),
    ("res-feng-001", FENG, "孙志强", 50, "0214", "071", &[]),
];

/// Loads the demo region unless Pei County is already there.
pub async fn load(store: &Store, this_year: i32) -> Result<bool, StoreError> {
    if store.county(PEI).await?.is_some() {
        return Ok(false);
    }
    for (code, name) in [(PEI, "沛县"), (FENG, "丰县")] {
        store
            .insert_county(&County {
                code: code.into(),
                name: name.into(),
            })
            .await?;
    }
    let institutions = [
        (
            "pei-hospital",
            PEI,
            "沛县人民医院",
            InstitutionLevel::CountyHospital,
            None,
        ),
        (
            "pei-anguo",
            PEI,
            "安国镇卫生院",
            InstitutionLevel::TownshipCentre,
            Some("pei-hospital"),
        ),
        (
            "pei-anguo-huxi",
            PEI,
            "安国镇湖西村卫生室",
            InstitutionLevel::VillageClinic,
            Some("pei-anguo"),
        ),
        (
            "pei-longgu",
            PEI,
            "龙固镇卫生院",
            InstitutionLevel::TownshipCentre,
            Some("pei-hospital"),
        ),
        (
            "feng-huankou",
            FENG,
            "欢口镇卫生院",
            InstitutionLevel::TownshipCentre,
            None,
        ),
    ];
    for (id, county, name, level, parent) in institutions {
        let institution = Institution {
            id: id.into(),
            county_code: county.into(),
            name: name.into(),
            level,
            parent_id: parent.map(Into::into),
        };
        store.insert_institution(&institution).await?;
    }
    let teams = [
        ("team-anguo-1", PEI, "pei-anguo", "安国镇家庭医生一团队"),
        ("team-anguo-2", PEI, "pei-anguo", "安国镇家庭医生二团队"),
        ("team-longgu-1", PEI, "pei-longgu", "龙固镇家庭医生团队"),
        ("team-huankou-1", FENG, "feng-huankou", "欢口镇家庭医生团队"),
    ];
    for (id, county, institution, name) in teams {
        let team = Team {
            id: id.into(),
            county_code: county.into(),
            institution_id: institution.into(),
            name: name.into(),
        };
        store.insert_team(&team).await?;
    }
    for resident in demo_residents(this_year) {
        store
            .insert_resident(&resident)
            .await
            .map_err(|e| StoreError::Open(format!("demo resident {}: {e}", resident.id)))?;
    }
    Ok(true)
}

/// The demo residents as of `this_year`.
pub fn demo_residents(this_year: i32) -> Vec<Resident> {
    RESIDENTS
        .iter()
        .filter_map(|(id, county, name, years, month_day, sequence, tags)| {
            let digits = format!("{county}{}{month_day}{sequence}", this_year - years);
            let citizen_id = CitizenId::from_first_17(&digits).ok()?;
            let tags: Tags = tags.iter().copied().collect();
            Resident::register(
                (*id).into(),
                (*county).into(),
                name,
                citizen_id.expose(),
                tags,
            )
            .ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_resident_is_valid_for_any_year() {
        for year in [2024, 2026, 2030] {
            assert_eq!(demo_residents(year).len(), RESIDENTS.len(), "{year}");
        }
    }
}
