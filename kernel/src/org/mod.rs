//! The organisation that serves residents: counties (县, by GB/T 2260 code),
//! their institutions in three levels (三级联动: county hospital → township
//! health centre or community centre → village clinic or community station),
//! and family-doctor teams (家庭医生团队).
//!
//! Owns the rules of team composition: a team is led by a licensed general
//! practitioner, its members come from its county (specialists from a county
//! hospital), and it has a panel capacity. Knows nothing of storage or HTTP.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::Date;
use utoipa::ToSchema;

/// A county, the unit that owns a plugin and its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct County {
    /// Six-digit GB/T 2260 division code, e.g. `320322` (沛县).
    pub code: String,
    pub name: String,
}

/// The level of a medical institution (医疗机构).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionLevel {
    /// 县级医院: the county's secondary hospital.
    CountyHospital,
    /// 乡镇卫生院: township health centre.
    TownshipCentre,
    /// 社区卫生服务中心: community health service centre.
    CommunityCentre,
    /// 村卫生室: village clinic.
    VillageClinic,
    /// 社区卫生服务站: community station.
    CommunityStation,
}

impl InstitutionLevel {
    const ALL: [InstitutionLevel; 5] = [
        InstitutionLevel::CountyHospital,
        InstitutionLevel::TownshipCentre,
        InstitutionLevel::CommunityCentre,
        InstitutionLevel::VillageClinic,
        InstitutionLevel::CommunityStation,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InstitutionLevel::CountyHospital => "county_hospital",
            InstitutionLevel::TownshipCentre => "township_centre",
            InstitutionLevel::CommunityCentre => "community_centre",
            InstitutionLevel::VillageClinic => "village_clinic",
            InstitutionLevel::CommunityStation => "community_station",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// A medical institution of a county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Institution {
    pub id: String,
    pub county_code: String,
    pub name: String,
    pub level: InstitutionLevel,
    /// The institution above it: a village clinic's township centre.
    pub parent_id: Option<String>,
    /// For a township or community centre: the county hospital whose
    /// specialists back its teams.
    pub backed_by: Option<String>,
}

/// A family-doctor team (家庭医生团队, "1+N"), based at one institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Team {
    pub id: String,
    pub county_code: String,
    pub institution_id: String,
    pub name: String,
    /// The general practitioner who leads the team.
    pub leader_id: Option<String>,
    /// Most households the team may sign in a period.
    pub capacity_households: i64,
    /// Most residents the team may sign in a period.
    pub capacity_residents: i64,
    /// The day the team was formed; `None` if before the kernel recorded it.
    #[serde(with = "crate::iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub formed_on: Option<Date>,
}

impl Team {
    /// Did the team exist on `day`? A period settles only the teams that
    /// existed by its last day, so that forming a team later changes nothing
    /// in a settled period.
    pub fn existed_on(&self, day: Date) -> bool {
        self.formed_on.is_none_or(|formed| formed <= day)
    }
}

/// Panel capacity from the documents: a team serves 2,000–4,000 households
/// and 5,000–12,000 residents; the upper figures are the default.
pub const DEFAULT_CAPACITY_HOUSEHOLDS: i64 = 4_000;
pub const DEFAULT_CAPACITY_RESIDENTS: i64 = 12_000;

/// The kinds of functional community (功能社区) that sign for their members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommunityKind {
    Employer,
    IndustrialPark,
    OfficeBuilding,
    School,
    NursingHome,
    Childcare,
}

impl CommunityKind {
    const ALL: [CommunityKind; 6] = [
        CommunityKind::Employer,
        CommunityKind::IndustrialPark,
        CommunityKind::OfficeBuilding,
        CommunityKind::School,
        CommunityKind::NursingHome,
        CommunityKind::Childcare,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CommunityKind::Employer => "employer",
            CommunityKind::IndustrialPark => "industrial_park",
            CommunityKind::OfficeBuilding => "office_building",
            CommunityKind::School => "school",
            CommunityKind::NursingHome => "nursing_home",
            CommunityKind::Childcare => "childcare",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A functional community (功能社区): an organisation that signs on behalf
/// of its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Community {
    pub id: String,
    #[serde(default)]
    pub county_code: String,
    pub kind: CommunityKind,
    pub name: String,
}

/// An administrative village (行政村), served by a township centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Village {
    pub id: String,
    pub county_code: String,
    pub township_id: String,
    /// Its village clinic (村卫生室), if it has one.
    pub clinic_id: Option<String>,
    pub name: String,
}

/// A health worker who can serve on teams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub id: String,
    /// Set from the county the member is registered in.
    #[serde(default)]
    pub county_code: String,
    pub institution_id: String,
    pub name: String,
    /// Holds a practising licence and general-practice training (全科医生).
    pub licensed_gp: bool,
}

/// What a member does in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum MemberRole {
    /// 全科医生 leading the team; must be a licensed GP.
    GpLeader,
    /// 助理 (signing assistant).
    Assistant,
    Nurse,
    /// 公卫人员.
    PublicHealth,
    /// 妇幼人员.
    MaternalChild,
    /// 乡村医生: first contact in rural areas.
    VillageDoctor,
    /// 中医药人员.
    Tcm,
    /// 县级医院专科医生: from the county hospital backing the township.
    Specialist,
}

impl MemberRole {
    const ALL: [MemberRole; 8] = [
        MemberRole::GpLeader,
        MemberRole::Assistant,
        MemberRole::Nurse,
        MemberRole::PublicHealth,
        MemberRole::MaternalChild,
        MemberRole::VillageDoctor,
        MemberRole::Tcm,
        MemberRole::Specialist,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MemberRole::GpLeader => "gp_leader",
            MemberRole::Assistant => "assistant",
            MemberRole::Nurse => "nurse",
            MemberRole::PublicHealth => "public_health",
            MemberRole::MaternalChild => "maternal_child",
            MemberRole::VillageDoctor => "village_doctor",
            MemberRole::Tcm => "tcm",
            MemberRole::Specialist => "specialist",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// A member's place in a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Membership {
    pub member_id: String,
    pub role: MemberRole,
}

/// Why a team cannot be formed as asked.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TeamError {
    #[error("member `{0}` cannot lead a team: a team leader must be a licensed general practitioner")]
    LeaderNotGp(String),
    #[error("a team has exactly one GP leader, and {0} were named")]
    LeaderCount(usize),
    #[error("member `{member}` works in county {member_county}, not in the team's county {team_county}")]
    MemberOtherCounty { member: String, member_county: String, team_county: String },
    #[error("specialist `{0}` must come from a county hospital")]
    SpecialistNotFromHospital(String),
    #[error("member `{0}` is named twice")]
    DuplicateMember(String),
    #[error("a team's capacity must be positive, not {0}")]
    Capacity(i64),
    #[error("a team needs a name")]
    MissingName,
}

/// Checks a team's composition. `members` pairs each membership with the
/// member and the level of the member's institution.
pub fn check_team(
    county: &str,
    name: &str,
    members: &[(Membership, &Member, InstitutionLevel)],
    capacity: (i64, i64),
) -> Result<(), TeamError> {
    if name.trim().is_empty() {
        return Err(TeamError::MissingName);
    }
    for value in [capacity.0, capacity.1] {
        if value <= 0 {
            return Err(TeamError::Capacity(value));
        }
    }
    let leaders: Vec<_> = members.iter().filter(|(m, ..)| m.role == MemberRole::GpLeader).collect();
    if leaders.len() != 1 {
        return Err(TeamError::LeaderCount(leaders.len()));
    }
    let mut seen = std::collections::HashSet::new();
    for (membership, member, level) in members {
        if !seen.insert(&membership.member_id) {
            return Err(TeamError::DuplicateMember(membership.member_id.clone()));
        }
        if member.county_code != county {
            return Err(TeamError::MemberOtherCounty {
                member: member.id.clone(),
                member_county: member.county_code.clone(),
                team_county: county.to_owned(),
            });
        }
        if membership.role == MemberRole::GpLeader && !member.licensed_gp {
            return Err(TeamError::LeaderNotGp(member.id.clone()));
        }
        if membership.role == MemberRole::Specialist && *level != InstitutionLevel::CountyHospital {
            return Err(TeamError::SpecialistNotFromHospital(member.id.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, county: &str, gp: bool) -> Member {
        Member {
            id: id.into(),
            county_code: county.into(),
            institution_id: "i".into(),
            name: id.into(),
            licensed_gp: gp,
        }
    }

    fn check(members: &[(&str, MemberRole, Member, InstitutionLevel)]) -> Result<(), TeamError> {
        let members: Vec<_> = members
            .iter()
            .map(|(id, role, m, level)| (Membership { member_id: (*id).into(), role: *role }, m, *level))
            .collect();
        check_team("320322", "一团队", &members, (DEFAULT_CAPACITY_HOUSEHOLDS, DEFAULT_CAPACITY_RESIDENTS))
    }

    const TOWNSHIP: InstitutionLevel = InstitutionLevel::TownshipCentre;
    const HOSPITAL: InstitutionLevel = InstitutionLevel::CountyHospital;

    #[test]
    fn a_team_led_by_a_licensed_gp_with_a_hospital_specialist_is_valid() {
        let team = [
            ("gp", MemberRole::GpLeader, member("gp", "320322", true), TOWNSHIP),
            ("nurse", MemberRole::Nurse, member("nurse", "320322", false), TOWNSHIP),
            ("spec", MemberRole::Specialist, member("spec", "320322", false), HOSPITAL),
        ];
        assert_eq!(check(&team), Ok(()));
    }

    #[test]
    fn team_rules_refuse_with_reasons() {
        let nurse_leads = [("n", MemberRole::GpLeader, member("n", "320322", false), TOWNSHIP)];
        assert_eq!(check(&nurse_leads), Err(TeamError::LeaderNotGp("n".into())));
        let no_leader = [("n", MemberRole::Nurse, member("n", "320322", false), TOWNSHIP)];
        assert_eq!(check(&no_leader), Err(TeamError::LeaderCount(0)));
        let foreign = [
            ("gp", MemberRole::GpLeader, member("gp", "320322", true), TOWNSHIP),
            ("x", MemberRole::Nurse, member("x", "320321", false), TOWNSHIP),
        ];
        assert!(matches!(check(&foreign), Err(TeamError::MemberOtherCounty { .. })));
        let specialist_from_township = [
            ("gp", MemberRole::GpLeader, member("gp", "320322", true), TOWNSHIP),
            ("s", MemberRole::Specialist, member("s", "320322", false), TOWNSHIP),
        ];
        assert_eq!(check(&specialist_from_township), Err(TeamError::SpecialistNotFromHospital("s".into())));
        let gp = member("gp", "320322", true);
        let members = [(Membership { member_id: "gp".into(), role: MemberRole::GpLeader }, &gp, TOWNSHIP)];
        assert_eq!(check_team("320322", "t", &members, (0, 10)), Err(TeamError::Capacity(0)));
    }

    #[test]
    fn role_names_round_trip() {
        for role in MemberRole::ALL {
            assert_eq!(MemberRole::from_name(role.name()), Some(role));
        }
    }

    #[test]
    fn level_names_round_trip() {
        for level in InstitutionLevel::ALL {
            assert_eq!(InstitutionLevel::from_name(level.name()), Some(level));
        }
        assert_eq!(InstitutionLevel::from_name("hospital"), None);
    }
}
