//! Counties, institutions and teams.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, date_text, optional_date, parsed, text};
use crate::contracts::GroupContract;
use crate::org::{
    Community, CommunityKind, County, Institution, InstitutionLevel, Member, MemberRole, Membership, Team, Village,
};

impl Store {
    /// Adds a county; an existing code is left as it is.
    pub async fn insert_county(&self, county: &County) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO counties (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING")
            .bind(&county.code)
            .bind(&county.name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn county(&self, code: &str) -> Result<Option<County>, StoreError> {
        let row = sqlx::query("SELECT code, name FROM counties WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(County { code: text(&r, "code")?, name: text(&r, "name")? })).transpose()
    }

    pub async fn counties(&self) -> Result<Vec<County>, StoreError> {
        let rows = sqlx::query("SELECT code, name FROM counties ORDER BY code").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(County { code: text(r, "code")?, name: text(r, "name")? })).collect()
    }

    pub async fn insert_institution(&self, i: &Institution) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO institutions (id, county_code, name, level, parent_id, backed_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&i.id)
        .bind(&i.county_code)
        .bind(&i.name)
        .bind(i.level.name())
        .bind(&i.parent_id)
        .bind(&i.backed_by)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn institutions(&self, county_code: &str) -> Result<Vec<Institution>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, county_code, name, level, parent_id, backed_by FROM institutions WHERE county_code = $1 ORDER BY id",
        )
        .bind(county_code)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(institution).collect()
    }

    pub async fn institution(&self, id: &str) -> Result<Option<Institution>, StoreError> {
        let row =
            sqlx::query("SELECT id, county_code, name, level, parent_id, backed_by FROM institutions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(institution).transpose()
    }

    pub async fn insert_village(&self, v: &Village) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO villages (id, county_code, township_id, clinic_id, name) VALUES ($1, $2, $3, $4, $5)")
            .bind(&v.id)
            .bind(&v.county_code)
            .bind(&v.township_id)
            .bind(&v.clinic_id)
            .bind(&v.name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn insert_member(&self, m: &Member) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO members (id, county_code, institution_id, name, licensed_gp) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&m.id)
        .bind(&m.county_code)
        .bind(&m.institution_id)
        .bind(&m.name)
        .bind(i32::from(m.licensed_gp))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn member(&self, id: &str) -> Result<Option<Member>, StoreError> {
        let row = sqlx::query("SELECT id, county_code, institution_id, name, licensed_gp FROM members WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Member {
                id: text(&r, "id")?,
                county_code: text(&r, "county_code")?,
                institution_id: text(&r, "institution_id")?,
                name: text(&r, "name")?,
                licensed_gp: r.try_get::<i32, _>("licensed_gp")? != 0,
            })
        })
        .transpose()
    }

    pub async fn team_members(&self, team_id: &str) -> Result<Vec<Membership>, StoreError> {
        let rows = sqlx::query("SELECT member_id, role FROM team_members WHERE team_id = $1 ORDER BY member_id")
            .bind(team_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Membership {
                    member_id: text(r, "member_id")?,
                    role: parsed(r, "team_members", "role", MemberRole::from_name)?,
                })
            })
            .collect()
    }

    /// Stores a team with its members in one transaction.
    pub async fn insert_team(&self, t: &Team, members: &[Membership]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO teams (id, county_code, institution_id, name, leader_id, capacity_households, capacity_residents, formed_on)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&t.id)
        .bind(&t.county_code)
        .bind(&t.institution_id)
        .bind(&t.name)
        .bind(&t.leader_id)
        .bind(t.capacity_households)
        .bind(t.capacity_residents)
        .bind(t.formed_on.map(date_text))
        .execute(&mut *tx)
        .await?;
        for m in members {
            sqlx::query("INSERT INTO team_members (team_id, member_id, role) VALUES ($1, $2, $3)")
                .bind(&t.id)
                .bind(&m.member_id)
                .bind(m.role.name())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn team(&self, id: &str) -> Result<Option<Team>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {TEAM_COLUMNS} FROM teams WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(team).transpose()
    }

    pub async fn teams(&self, county_code: &str) -> Result<Vec<Team>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TEAM_COLUMNS} FROM teams WHERE county_code = $1 ORDER BY id"
        )))
        .bind(county_code)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(team).collect()
    }
}

impl Store {
    pub async fn insert_community(&self, c: &Community) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO communities (id, county_code, kind, name) VALUES ($1, $2, $3, $4)")
            .bind(&c.id)
            .bind(&c.county_code)
            .bind(c.kind.name())
            .bind(&c.name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn community(&self, id: &str) -> Result<Option<Community>, StoreError> {
        let row = sqlx::query("SELECT id, county_code, kind, name FROM communities WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Community {
                id: text(&r, "id")?,
                county_code: text(&r, "county_code")?,
                kind: parsed(&r, "communities", "kind", CommunityKind::from_name)?,
                name: text(&r, "name")?,
            })
        })
        .transpose()
    }

    pub async fn insert_group_contract(&self, g: &GroupContract) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO group_contracts (id, community_id, team_id, county_code, period, packages, signed_on, signed_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&g.id)
        .bind(&g.community_id)
        .bind(&g.team_id)
        .bind(&g.county_code)
        .bind(g.period.year)
        .bind(g.packages.join(","))
        .bind(super::date_text(g.signed_on))
        .bind(&g.signed_by)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

const TEAM_COLUMNS: &str =
    "id, county_code, institution_id, name, leader_id, capacity_households, capacity_residents, formed_on";

fn team(r: &AnyRow) -> Result<Team, StoreError> {
    Ok(Team {
        id: text(r, "id")?,
        county_code: text(r, "county_code")?,
        institution_id: text(r, "institution_id")?,
        name: text(r, "name")?,
        leader_id: r.try_get("leader_id")?,
        capacity_households: i64::from(r.try_get::<i32, _>("capacity_households")?),
        capacity_residents: i64::from(r.try_get::<i32, _>("capacity_residents")?),
        formed_on: optional_date(r, "teams", "formed_on")?,
    })
}

fn institution(r: &AnyRow) -> Result<Institution, StoreError> {
    Ok(Institution {
        id: text(r, "id")?,
        county_code: text(r, "county_code")?,
        name: text(r, "name")?,
        level: parsed(r, "institutions", "level", InstitutionLevel::from_name)?,
        parent_id: r.try_get("parent_id")?,
        backed_by: r.try_get("backed_by")?,
    })
}
