//! The demo region: Pei County (沛县) with a county hospital, two townships,
//! villages, teams led by licensed GPs, and households whose residents the
//! bundled plugin prices differently, plus a neighbouring county (丰县) to
//! show that counties are kept apart.
//!
//! Birth dates are set relative to the current year, so an "elderly" resident
//! is 65+ whenever the demo is loaded. Loading twice changes nothing.

use time::{Date, Month};

use crate::org::{
    County, DEFAULT_CAPACITY_HOUSEHOLDS, DEFAULT_CAPACITY_RESIDENTS, Institution, InstitutionLevel, Member, MemberRole,
    Membership, Team, Village,
};
use crate::residents::{CitizenId, Household, RecordedTags, Resident, Tag, TagRecord};
use crate::store::{Store, StoreError};

pub const PEI: &str = "320322";
pub const FENG: &str = "320321";

/// (id, county, institution, name, members with their roles)
type DemoTeam = (&'static str, &'static str, &'static str, &'static str, &'static [(&'static str, MemberRole)]);

/// (id, county, household, name, years before this year, month-day, sequence, recorded tags)
type DemoResident =
    (&'static str, &'static str, &'static str, &'static str, i32, &'static str, &'static str, &'static [Tag]);

/// Ids are readable so that the README can use them.
pub const RESIDENTS: &[DemoResident] = &[
    ("res-pei-001", PEI, "hh-pei-001", "王秀英", 72, "0308", "022", &[Tag::Hypertension]),
    ("res-pei-002", PEI, "hh-pei-002", "李子轩", 4, "0520", "011", &[Tag::Kindergarten]),
    ("res-pei-003", PEI, "hh-pei-002", "张丽", 29, "0912", "042", &[Tag::Maternal]),
    ("res-pei-004", PEI, "hh-pei-001", "刘建国", 58, "0115", "031", &[Tag::Diabetes, Tag::RegisteredPoor]),
    ("res-pei-005", PEI, "hh-pei-003", "陈伟", 35, "0701", "051", &[]),
    ("res-pei-006", PEI, "hh-pei-004", "赵桂兰", 68, "1103", "062", &[Tag::Stroke]),
    ("res-feng-001", FENG, "hh-feng-001", "孙志强", 50, "0214", "071", &[]),
];

/// Loads the demo region unless Pei County is already there.
pub async fn load(store: &Store, this_year: i32) -> Result<bool, StoreError> {
    if store.county(PEI).await?.is_some() {
        return Ok(false);
    }
    for (code, name) in [(PEI, "沛县"), (FENG, "丰县")] {
        store.insert_county(&County { code: code.into(), name: name.into() }).await?;
    }
    let institutions = [
        ("pei-hospital", PEI, "沛县人民医院", InstitutionLevel::CountyHospital, None, None),
        ("pei-anguo", PEI, "安国镇卫生院", InstitutionLevel::TownshipCentre, None, Some("pei-hospital")),
        ("pei-anguo-huxi", PEI, "安国镇湖西村卫生室", InstitutionLevel::VillageClinic, Some("pei-anguo"), None),
        ("pei-longgu", PEI, "龙固镇卫生院", InstitutionLevel::TownshipCentre, None, Some("pei-hospital")),
        ("feng-huankou", FENG, "欢口镇卫生院", InstitutionLevel::TownshipCentre, None, None),
    ];
    for (id, county, name, level, parent, backed_by) in institutions {
        let institution = Institution {
            id: id.into(),
            county_code: county.into(),
            name: name.into(),
            level,
            parent_id: parent.map(Into::into),
            backed_by: backed_by.map(Into::into),
        };
        store.insert_institution(&institution).await?;
    }
    let villages = [
        ("v-pei-huxi", PEI, "pei-anguo", Some("pei-anguo-huxi"), "湖西村"),
        ("v-pei-longgu", PEI, "pei-longgu", None, "龙固村"),
        ("v-feng-huankou", FENG, "feng-huankou", None, "欢口村"),
    ];
    for (id, county, township, clinic, name) in villages {
        let village = Village {
            id: id.into(),
            county_code: county.into(),
            township_id: township.into(),
            clinic_id: clinic.map(Into::into),
            name: name.into(),
        };
        store.insert_village(&village).await?;
    }
    let members = [
        ("m-zhang", PEI, "pei-anguo", "张建华", true),
        ("m-wang", PEI, "pei-anguo", "王丽", true),
        ("m-sun", PEI, "pei-anguo", "孙敏", false),
        ("m-li", PEI, "pei-anguo-huxi", "李德胜", false),
        ("m-zhou", PEI, "pei-hospital", "周明", false),
        ("m-chen", PEI, "pei-longgu", "陈志刚", true),
        ("m-feng", FENG, "feng-huankou", "冯国强", true),
    ];
    for (id, county, institution, name, licensed_gp) in members {
        let member = Member {
            id: id.into(),
            county_code: county.into(),
            institution_id: institution.into(),
            name: name.into(),
            licensed_gp,
        };
        store.insert_member(&member).await?;
    }
    let teams: [DemoTeam; 4] = [
        (
            "team-anguo-1",
            PEI,
            "pei-anguo",
            "安国镇家庭医生一团队",
            &[
                ("m-zhang", MemberRole::GpLeader),
                ("m-sun", MemberRole::Nurse),
                ("m-li", MemberRole::VillageDoctor),
                ("m-zhou", MemberRole::Specialist),
            ],
        ),
        ("team-anguo-2", PEI, "pei-anguo", "安国镇家庭医生二团队", &[("m-wang", MemberRole::GpLeader)]),
        ("team-longgu-1", PEI, "pei-longgu", "龙固镇家庭医生团队", &[("m-chen", MemberRole::GpLeader)]),
        ("team-huankou-1", FENG, "feng-huankou", "欢口镇家庭医生团队", &[("m-feng", MemberRole::GpLeader)]),
    ];
    for (id, county, institution, name, members) in teams {
        let members: Vec<Membership> =
            members.iter().map(|(m, role)| Membership { member_id: (*m).into(), role: *role }).collect();
        let team = Team {
            id: id.into(),
            county_code: county.into(),
            institution_id: institution.into(),
            name: name.into(),
            leader_id: members.first().map(|m| m.member_id.clone()),
            capacity_households: DEFAULT_CAPACITY_HOUSEHOLDS,
            capacity_residents: DEFAULT_CAPACITY_RESIDENTS,
        };
        store.insert_team(&team, &members).await?;
    }
    let households = [
        ("hh-pei-001", PEI, "v-pei-huxi", "安国镇湖西村1组12号"),
        ("hh-pei-002", PEI, "v-pei-huxi", "安国镇湖西村2组3号"),
        ("hh-pei-003", PEI, "v-pei-longgu", "龙固镇龙固村5组8号"),
        ("hh-pei-004", PEI, "v-pei-huxi", "安国镇湖西村1组20号"),
        ("hh-feng-001", FENG, "v-feng-huankou", "欢口镇欢口村3组1号"),
    ];
    for (id, county, village, address) in households {
        let household = Household {
            id: id.into(),
            county_code: county.into(),
            village_id: Some(village.into()),
            address: address.into(),
            external_no: None,
        };
        store.insert_household(&household).await?;
    }
    for resident in demo_residents(this_year) {
        store
            .insert_resident(&resident, "demo")
            .await
            .map_err(|e| StoreError::Open(format!("demo resident {}: {e}", resident.id)))?;
    }
    Ok(true)
}

/// The demo residents as of `this_year`, their tags recorded on 1 January.
pub fn demo_residents(this_year: i32) -> Vec<Resident> {
    let recorded_on = Date::from_calendar_date(this_year, Month::January, 1).unwrap_or(Date::MIN);
    RESIDENTS
        .iter()
        .filter_map(|(id, county, household, name, years, month_day, sequence, tags)| {
            let digits = format!("{county}{}{month_day}{sequence}", this_year - years);
            let citizen_id = CitizenId::from_first_17(&digits).ok()?;
            let tags: RecordedTags =
                tags.iter().map(|t| (*t, TagRecord { recorded_on, source: "demo".into() })).collect();
            let mut resident =
                Resident::register((*id).into(), (*county).into(), name, citizen_id.expose(), tags).ok()?;
            resident.household_id = Some((*household).into());
            Some(resident)
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
