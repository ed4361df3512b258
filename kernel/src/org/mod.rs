//! The organisation that serves residents: counties (县, by GB/T 2260 code),
//! their institutions in three levels (三级联动: county hospital → township
//! health centre or community centre → village clinic or community station),
//! and family-doctor teams (家庭医生团队).
//!
//! Plain data for now; team membership, roles and panel capacity come with
//! the registry. Knows nothing of storage or HTTP.

use serde::Serialize;
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
}

/// A family-doctor team, based at one institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Team {
    pub id: String,
    pub county_code: String,
    pub institution_id: String,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names_round_trip() {
        for level in InstitutionLevel::ALL {
            assert_eq!(InstitutionLevel::from_name(level.name()), Some(level));
        }
        assert_eq!(InstitutionLevel::from_name("hospital"), None);
    }
}
