//! Counties, institutions and teams.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, parsed, text};
use crate::org::{County, Institution, InstitutionLevel, Team};

impl Store {
    /// Adds a county; an existing code is left as it is.
    pub async fn insert_county(&self, county: &County) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO counties (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING",
        )
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
        row.map(|r| {
            Ok(County {
                code: text(&r, "code")?,
                name: text(&r, "name")?,
            })
        })
        .transpose()
    }

    pub async fn counties(&self) -> Result<Vec<County>, StoreError> {
        let rows = sqlx::query("SELECT code, name FROM counties ORDER BY code")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(County {
                    code: text(r, "code")?,
                    name: text(r, "name")?,
                })
            })
            .collect()
    }

    pub async fn insert_institution(&self, i: &Institution) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO institutions (id, county_code, name, level, parent_id) VALUES ($1, $2, $3, $4, $5)")
            .bind(&i.id)
            .bind(&i.county_code)
            .bind(&i.name)
            .bind(i.level.name())
            .bind(&i.parent_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn institutions(&self, county_code: &str) -> Result<Vec<Institution>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, county_code, name, level, parent_id FROM institutions WHERE county_code = $1 ORDER BY id",
        )
        .bind(county_code)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Institution {
                    id: text(r, "id")?,
                    county_code: text(r, "county_code")?,
                    name: text(r, "name")?,
                    level: parsed(r, "institutions", "level", InstitutionLevel::from_name)?,
                    parent_id: r.try_get("parent_id")?,
                })
            })
            .collect()
    }

    pub async fn insert_team(&self, t: &Team) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO teams (id, county_code, institution_id, name) VALUES ($1, $2, $3, $4)",
        )
        .bind(&t.id)
        .bind(&t.county_code)
        .bind(&t.institution_id)
        .bind(&t.name)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn team(&self, id: &str) -> Result<Option<Team>, StoreError> {
        let row =
            sqlx::query("SELECT id, county_code, institution_id, name FROM teams WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(team).transpose()
    }

    pub async fn teams(&self, county_code: &str) -> Result<Vec<Team>, StoreError> {
        let rows = sqlx::query("SELECT id, county_code, institution_id, name FROM teams WHERE county_code = $1 ORDER BY id")
            .bind(county_code)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(team).collect()
    }
}

fn team(r: &AnyRow) -> Result<Team, StoreError> {
    Ok(Team {
        id: text(r, "id")?,
        county_code: text(r, "county_code")?,
        institution_id: text(r, "institution_id")?,
        name: text(r, "name")?,
    })
}
