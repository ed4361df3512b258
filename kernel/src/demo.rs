//! The demo region: Pei County (沛县) with a county hospital, two townships,
//! villages, teams led by licensed GPs, and households whose residents the
//! bundled plugin prices differently, plus a neighbouring county (丰县) to
//! show that counties are kept apart; and one county for each of the other
//! bundled plugins — Jinzhai (金寨县, 341524, `plugins/anhui-county`), Gulin
//! (古蔺县, 510525, `plugins/poverty-county`) and Ningbo's Jiangdong District
//! (宁波市江东区, 330204, `plugins/ningbo-jiangdong`) — each with a county (or
//! district) hospital, a township health centre (for Jiangdong a community
//! health service centre), a village (a residents' community) with its
//! clinic (station), a team led by a licensed GP, and two households whose
//! residents exercise that county's rules (see `RESIDENTS`).
//!
//! Birth dates are set relative to the current year, so an "elderly" resident
//! is 65+ whenever the demo is loaded, and citizen IDs are built from the
//! county's code, the birth date and a sequence. Loading twice changes
//! nothing: each county is loaded once, so a database loaded before the
//! later counties existed gains them and keeps everything else.

use time::{Date, Month};

use crate::org::{
    County, DEFAULT_CAPACITY_HOUSEHOLDS, DEFAULT_CAPACITY_RESIDENTS, Institution, InstitutionLevel, Member, MemberRole,
    Membership, Team, Village,
};
use crate::residents::{CitizenId, Household, RecordedTags, Resident, Tag, TagRecord};
use crate::store::{Store, StoreError};

pub const PEI: &str = "320322";
pub const FENG: &str = "320321";
/// 金寨县 (Lu'an, Anhui): the Anhui 2024 plan, `plugins/anhui-county`.
pub const JINZHAI: &str = "341524";
/// 古蔺县 (Luzhou, Sichuan): the national poverty plan, `plugins/poverty-county`.
pub const GULIN: &str = "510525";
/// 宁波市江东区: capitation, `plugins/ningbo-jiangdong`.
pub const JIANGDONG: &str = "330204";

/// Every demo county, in the order they are loaded.
pub const COUNTIES: &[(&str, &str)] =
    &[(PEI, "沛县"), (FENG, "丰县"), (JINZHAI, "金寨县"), (GULIN, "古蔺县"), (JIANGDONG, "宁波市江东区")];

/// (id, county, name, level, parent, backed by); a county's hospital first.
type DemoInstitution =
    (&'static str, &'static str, &'static str, InstitutionLevel, Option<&'static str>, Option<&'static str>);

const INSTITUTIONS: &[DemoInstitution] = &[
    ("pei-hospital", PEI, "沛县人民医院", InstitutionLevel::CountyHospital, None, None),
    ("pei-anguo", PEI, "安国镇卫生院", InstitutionLevel::TownshipCentre, None, Some("pei-hospital")),
    ("pei-anguo-huxi", PEI, "安国镇湖西村卫生室", InstitutionLevel::VillageClinic, Some("pei-anguo"), None),
    ("pei-longgu", PEI, "龙固镇卫生院", InstitutionLevel::TownshipCentre, None, Some("pei-hospital")),
    ("feng-huankou", FENG, "欢口镇卫生院", InstitutionLevel::TownshipCentre, None, None),
    ("jz-hospital", JINZHAI, "金寨县人民医院", InstitutionLevel::CountyHospital, None, None),
    ("jz-baitafan", JINZHAI, "白塔畈镇卫生院", InstitutionLevel::TownshipCentre, None, Some("jz-hospital")),
    (
        "jz-baitafan-xindian",
        JINZHAI,
        "白塔畈镇新店村卫生室",
        InstitutionLevel::VillageClinic,
        Some("jz-baitafan"),
        None,
    ),
    ("gl-hospital", GULIN, "古蔺县人民医院", InstitutionLevel::CountyHospital, None, None),
    ("gl-taiping", GULIN, "太平镇卫生院", InstitutionLevel::TownshipCentre, None, Some("gl-hospital")),
    ("gl-taiping-pingshan", GULIN, "太平镇平山村卫生室", InstitutionLevel::VillageClinic, Some("gl-taiping"), None),
    ("jd-hospital", JIANGDONG, "江东区人民医院", InstitutionLevel::CountyHospital, None, None),
    (
        "jd-baizhang",
        JIANGDONG,
        "百丈街道社区卫生服务中心",
        InstitutionLevel::CommunityCentre,
        None,
        Some("jd-hospital"),
    ),
    (
        "jd-baizhang-huachuan",
        JIANGDONG,
        "百丈街道划船社区卫生服务站",
        InstitutionLevel::CommunityStation,
        Some("jd-baizhang"),
        None,
    ),
];

/// (id, county, township or community centre, clinic or station, name)
type DemoVillage = (&'static str, &'static str, &'static str, Option<&'static str>, &'static str);

const VILLAGES: &[DemoVillage] = &[
    ("v-pei-huxi", PEI, "pei-anguo", Some("pei-anguo-huxi"), "湖西村"),
    ("v-pei-longgu", PEI, "pei-longgu", None, "龙固村"),
    ("v-feng-huankou", FENG, "feng-huankou", None, "欢口村"),
    ("v-jz-xindian", JINZHAI, "jz-baitafan", Some("jz-baitafan-xindian"), "新店村"),
    ("v-gl-pingshan", GULIN, "gl-taiping", Some("gl-taiping-pingshan"), "平山村"),
    // In a city district the "village" is a residents' community (社区).
    ("v-jd-huachuan", JIANGDONG, "jd-baizhang", Some("jd-baizhang-huachuan"), "划船社区"),
];

/// (id, county, institution, name, licensed GP)
type DemoMember = (&'static str, &'static str, &'static str, &'static str, bool);

const MEMBERS: &[DemoMember] = &[
    ("m-zhang", PEI, "pei-anguo", "张建华", true),
    ("m-wang", PEI, "pei-anguo", "王丽", true),
    ("m-sun", PEI, "pei-anguo", "孙敏", false),
    ("m-li", PEI, "pei-anguo-huxi", "李德胜", false),
    ("m-zhou", PEI, "pei-hospital", "周明", false),
    ("m-chen", PEI, "pei-longgu", "陈志刚", true),
    ("m-feng", FENG, "feng-huankou", "冯国强", true),
    ("m-jz-hu", JINZHAI, "jz-baitafan", "胡德明", true),
    ("m-jz-he", JINZHAI, "jz-baitafan-xindian", "何长青", false),
    ("m-gl-luo", GULIN, "gl-taiping", "罗志军", true),
    ("m-gl-yang", GULIN, "gl-taiping-pingshan", "杨光明", false),
    ("m-jd-zhou", JIANGDONG, "jd-baizhang", "周晓燕", true),
];

/// (id, county, institution, name, members with their roles)
type DemoTeam = (&'static str, &'static str, &'static str, &'static str, &'static [(&'static str, MemberRole)]);

const TEAMS: &[DemoTeam] = &[
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
    (
        "team-baitafan-1",
        JINZHAI,
        "jz-baitafan",
        "白塔畈镇家庭医生团队",
        &[("m-jz-hu", MemberRole::GpLeader), ("m-jz-he", MemberRole::VillageDoctor)],
    ),
    (
        "team-taiping-1",
        GULIN,
        "gl-taiping",
        "太平镇家庭医生团队",
        &[("m-gl-luo", MemberRole::GpLeader), ("m-gl-yang", MemberRole::VillageDoctor)],
    ),
    ("team-baizhang-1", JIANGDONG, "jd-baizhang", "百丈街道家庭医生团队", &[("m-jd-zhou", MemberRole::GpLeader)]),
];

/// (id, county, village, address)
type DemoHousehold = (&'static str, &'static str, &'static str, &'static str);

const HOUSEHOLDS: &[DemoHousehold] = &[
    ("hh-pei-001", PEI, "v-pei-huxi", "安国镇湖西村1组12号"),
    ("hh-pei-002", PEI, "v-pei-huxi", "安国镇湖西村2组3号"),
    ("hh-pei-003", PEI, "v-pei-longgu", "龙固镇龙固村5组8号"),
    ("hh-pei-004", PEI, "v-pei-huxi", "安国镇湖西村1组20号"),
    ("hh-feng-001", FENG, "v-feng-huankou", "欢口镇欢口村3组1号"),
    ("hh-jz-001", JINZHAI, "v-jz-xindian", "白塔畈镇新店村3组7号"),
    ("hh-jz-002", JINZHAI, "v-jz-xindian", "白塔畈镇新店村5组2号"),
    ("hh-gl-001", GULIN, "v-gl-pingshan", "太平镇平山村2组15号"),
    ("hh-gl-002", GULIN, "v-gl-pingshan", "太平镇平山村4组6号"),
    ("hh-jd-001", JIANGDONG, "v-jd-huachuan", "百丈街道划船社区12幢301室"),
    ("hh-jd-002", JIANGDONG, "v-jd-huachuan", "百丈街道划船社区5幢102室"),
];

/// (id, county, household, name, years before this year, month-day, sequence, recorded tags)
type DemoResident =
    (&'static str, &'static str, &'static str, &'static str, i32, &'static str, &'static str, &'static [Tag]);

/// Ids are readable so that the README can use them. The sequence's last
/// digit gives the sex: odd for men, even for women.
///
/// The residents of the three later counties exercise their plugins' rules,
/// and two sets share their facts across counties (same birth date, sex and
/// tags), so that one resident's facts are priced by several counties' rules:
/// `res-pei-001`, `res-jz-001` and `res-jd-001` (an elderly woman with
/// hypertension), and `res-pei-004` and `res-gl-001` (a registered-poor man
/// with diabetes).
pub const RESIDENTS: &[DemoResident] = &[
    ("res-pei-001", PEI, "hh-pei-001", "王秀英", 72, "0308", "022", &[Tag::Hypertension]),
    ("res-pei-002", PEI, "hh-pei-002", "李子轩", 4, "0520", "011", &[Tag::Kindergarten]),
    ("res-pei-003", PEI, "hh-pei-002", "张丽", 29, "0912", "042", &[Tag::Maternal]),
    ("res-pei-004", PEI, "hh-pei-001", "刘建国", 58, "0115", "031", &[Tag::Diabetes, Tag::RegisteredPoor]),
    ("res-pei-005", PEI, "hh-pei-003", "陈伟", 35, "0701", "051", &[]),
    ("res-pei-006", PEI, "hh-pei-004", "赵桂兰", 68, "1103", "062", &[Tag::Stroke]),
    ("res-feng-001", FENG, "hh-feng-001", "孙志强", 50, "0214", "071", &[]),
    // Jinzhai: an elderly hypertension patient, whose basic package is the
    // hypertension one (AH-JC-GXY, before the elderly one), with the paid
    // AH-GX-GXY; a registered-poor man of 75 whose self-pay of AH-GX-LN is waived.
    ("res-jz-001", JINZHAI, "hh-jz-001", "汪桂芝", 72, "0308", "082", &[Tag::Hypertension]),
    ("res-jz-002", JINZHAI, "hh-jz-002", "余长发", 76, "1120", "091", &[Tag::RegisteredPoor]),
    // Gulin: a registered-poor diabetic (GL-FP and GL-TNB, their self-pay
    // compensated; medical assistance above 10% of a claim) and a
    // hypertensive woman who is not poor and pays her part of GL-GXY.
    ("res-gl-001", GULIN, "hh-gl-001", "罗大勇", 58, "0115", "111", &[Tag::Diabetes, Tag::RegisteredPoor]),
    ("res-gl-002", GULIN, "hh-gl-002", "陈素芬", 62, "0620", "122", &[Tag::Hypertension]),
    // Jiangdong: an elderly woman with hypertension (NBJD-JC + NBJD-LN) and
    // an expectant mother (NBJD-JC + NBJD-YC).
    ("res-jd-001", JIANGDONG, "hh-jd-001", "周阿英", 72, "0308", "142", &[Tag::Hypertension]),
    ("res-jd-002", JIANGDONG, "hh-jd-002", "林佳", 31, "0214", "162", &[Tag::Maternal]),
];

/// Loads each demo county that is not there yet (a database loaded before
/// the later counties were added gains them); answers whether it loaded any.
pub async fn load(store: &Store, this_year: i32) -> Result<bool, StoreError> {
    let mut loaded = false;
    for (code, name) in COUNTIES {
        if store.county(code).await?.is_none() {
            load_county(store, code, name, this_year).await?;
            loaded = true;
        }
    }
    Ok(loaded)
}

/// One county's organisation, households and residents.
async fn load_county(store: &Store, code: &str, name: &str, this_year: i32) -> Result<(), StoreError> {
    store.insert_county(&County { code: code.into(), name: name.into() }).await?;
    for (id, county, name, level, parent, backed_by) in INSTITUTIONS.iter().filter(|i| i.1 == code) {
        let institution = Institution {
            id: (*id).into(),
            county_code: (*county).into(),
            name: (*name).into(),
            level: *level,
            parent_id: parent.map(Into::into),
            backed_by: backed_by.map(Into::into),
        };
        store.insert_institution(&institution).await?;
    }
    for (id, county, township, clinic, name) in VILLAGES.iter().filter(|v| v.1 == code) {
        let village = Village {
            id: (*id).into(),
            county_code: (*county).into(),
            township_id: (*township).into(),
            clinic_id: clinic.map(Into::into),
            name: (*name).into(),
        };
        store.insert_village(&village).await?;
    }
    for (id, county, institution, name, licensed_gp) in MEMBERS.iter().filter(|m| m.1 == code) {
        let member = Member {
            id: (*id).into(),
            county_code: (*county).into(),
            institution_id: (*institution).into(),
            name: (*name).into(),
            licensed_gp: *licensed_gp,
        };
        store.insert_member(&member).await?;
    }
    for (id, county, institution, name, members) in TEAMS.iter().filter(|t| t.1 == code) {
        let members: Vec<Membership> =
            members.iter().map(|(m, role)| Membership { member_id: (*m).into(), role: *role }).collect();
        let team = Team {
            id: (*id).into(),
            county_code: (*county).into(),
            institution_id: (*institution).into(),
            name: (*name).into(),
            leader_id: members.first().map(|m| m.member_id.clone()),
            capacity_households: DEFAULT_CAPACITY_HOUSEHOLDS,
            capacity_residents: DEFAULT_CAPACITY_RESIDENTS,
            // The demo region's teams serve every period the demo shows.
            formed_on: None,
        };
        store.insert_team(&team, &members).await?;
    }
    for (id, county, village, address) in HOUSEHOLDS.iter().filter(|h| h.1 == code) {
        let household = Household {
            id: (*id).into(),
            county_code: (*county).into(),
            village_id: Some((*village).into()),
            address: (*address).into(),
            external_no: None,
        };
        store.insert_household(&household).await?;
    }
    for resident in demo_residents(this_year).into_iter().filter(|r| r.county_code == code) {
        store
            .insert_resident(&resident, "demo")
            .await
            .map_err(|e| StoreError::Open(format!("demo resident {}: {e}", resident.id)))?;
    }
    Ok(())
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
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_demo_resident_is_valid_for_any_year() {
        for year in [2024, 2026, 2030] {
            assert_eq!(demo_residents(year).len(), RESIDENTS.len(), "{year}");
        }
    }

    #[test]
    fn every_demo_row_belongs_to_a_demo_county_and_refers_to_rows_of_it() {
        let counties: HashSet<&str> = COUNTIES.iter().map(|(code, _)| *code).collect();
        fn county_of(id: &str) -> Option<&'static str> {
            let institution = INSTITUTIONS.iter().find(|i| i.0 == id).map(|i| i.1);
            let village = VILLAGES.iter().find(|v| v.0 == id).map(|v| v.1);
            let member = MEMBERS.iter().find(|m| m.0 == id).map(|m| m.1);
            let household = HOUSEHOLDS.iter().find(|h| h.0 == id).map(|h| h.1);
            institution.or(village).or(member).or(household)
        }
        for (id, county, _, _, parent, backed_by) in INSTITUTIONS {
            assert!(counties.contains(county), "{id}");
            for other in parent.iter().chain(backed_by) {
                assert_eq!(county_of(other), Some(*county), "{id} → {other}");
            }
        }
        for (id, county, township, clinic, _) in VILLAGES {
            for other in clinic.iter().chain([township]) {
                assert_eq!(county_of(other), Some(*county), "{id} → {other}");
            }
        }
        for (id, county, institution, ..) in MEMBERS {
            assert_eq!(county_of(institution), Some(*county), "{id}");
        }
        for (id, county, village, _) in HOUSEHOLDS {
            assert_eq!(county_of(village), Some(*county), "{id}");
        }
        for (id, county, household, ..) in RESIDENTS {
            assert_eq!(county_of(household), Some(*county), "{id}");
        }
        let citizen_ids: HashSet<String> =
            demo_residents(2026).iter().map(|r| r.citizen_id.expose().to_owned()).collect();
        assert_eq!(citizen_ids.len(), RESIDENTS.len(), "citizen IDs are unique");
        for resident in demo_residents(2026) {
            assert_eq!(resident.citizen_id.address_code(), resident.county_code, "{}", resident.id);
        }
    }

    #[test]
    fn every_demo_team_follows_the_rules_of_team_composition() {
        for (id, county, institution, name, memberships) in TEAMS {
            assert!(INSTITUTIONS.iter().any(|i| i.0 == *institution && i.1 == *county), "{id}");
            let members: Vec<(Membership, Member, InstitutionLevel)> = memberships
                .iter()
                .map(|(member_id, role)| {
                    let (_, member_county, at, member_name, licensed_gp) =
                        MEMBERS.iter().find(|m| m.0 == *member_id).copied().unwrap_or_else(|| panic!("{member_id}"));
                    let level = INSTITUTIONS.iter().find(|i| i.0 == at).map(|i| i.3).unwrap_or_else(|| panic!("{at}"));
                    let member = Member {
                        id: (*member_id).into(),
                        county_code: member_county.into(),
                        institution_id: at.into(),
                        name: member_name.into(),
                        licensed_gp,
                    };
                    (Membership { member_id: (*member_id).into(), role: *role }, member, level)
                })
                .collect();
            let members: Vec<(Membership, &Member, InstitutionLevel)> =
                members.iter().map(|(m, member, level)| (m.clone(), member, *level)).collect();
            let capacity = (DEFAULT_CAPACITY_HOUSEHOLDS, DEFAULT_CAPACITY_RESIDENTS);
            assert_eq!(crate::org::check_team(county, name, &members, capacity), Ok(()), "{id}");
        }
        let with_team: HashSet<&str> = TEAMS.iter().map(|t| t.1).collect();
        assert_eq!(with_team.len(), COUNTIES.len(), "every demo county has a team");
    }

    #[tokio::test]
    async fn loading_twice_changes_nothing_and_an_older_demo_gains_the_later_counties() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("demo.db").display());
        let store = Store::open(&url).await.unwrap();
        // What the demo loaded before the later counties were added.
        load_county(&store, PEI, "沛县", 2026).await.unwrap();
        load_county(&store, FENG, "丰县", 2026).await.unwrap();
        assert!(load(&store, 2026).await.unwrap(), "the later counties are loaded");
        assert!(!load(&store, 2026).await.unwrap(), "the second load loads nothing");
        for (code, _) in COUNTIES {
            assert!(store.county(code).await.unwrap().is_some(), "{code}");
        }
        for (id, ..) in RESIDENTS {
            assert!(store.resident(id).await.unwrap().is_some(), "{id}");
        }
    }
}
