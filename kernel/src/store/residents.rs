//! Residents. The citizen ID is stored in full (it is the natural key) and
//! read back through `CitizenId`, which masks it everywhere it is printed.

use sqlx::any::AnyRow;

use super::{Store, StoreError, is_unique_violation, text};
use crate::residents::{Resident, tags_from_text, tags_to_text};

/// Registering a resident failed.
#[derive(Debug, thiserror::Error)]
pub enum InsertResidentError {
    #[error("a resident with this citizen ID is already registered")]
    DuplicateCitizenId,
    #[error(transparent)]
    Store(#[from] StoreError),
}

const COLUMNS: &str = "id, county_code, name, citizen_id, recorded_tags";

impl Store {
    pub async fn insert_resident(&self, r: &Resident) -> Result<(), InsertResidentError> {
        let result = sqlx::query(
            "INSERT INTO residents (id, county_code, name, citizen_id, recorded_tags) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&r.id)
        .bind(&r.county_code)
        .bind(&r.name)
        .bind(r.citizen_id.expose())
        .bind(tags_to_text(&r.recorded_tags))
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(InsertResidentError::DuplicateCitizenId),
            Err(e) => Err(StoreError::from(e).into()),
        }
    }

    pub async fn resident(&self, id: &str) -> Result<Option<Resident>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM residents WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(resident).transpose()
    }

    /// A page of a county's residents in id order, after `after` if given.
    pub async fn residents(
        &self,
        county_code: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Resident>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM residents WHERE county_code = $1 AND id > $2 ORDER BY id LIMIT $3"
        )))
        .bind(county_code)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(resident).collect()
    }
}

fn resident(r: &AnyRow) -> Result<Resident, StoreError> {
    let corrupt = |column: &'static str, value: String| StoreError::Corrupt {
        table: "residents",
        column,
        value,
    };
    let citizen_id = text(r, "citizen_id")?;
    let tags = text(r, "recorded_tags")?;
    Resident::register(
        text(r, "id")?,
        text(r, "county_code")?,
        &text(r, "name")?,
        &citizen_id,
        tags_from_text(&tags).map_err(|_| corrupt("recorded_tags", tags.clone()))?,
    )
    // Never put the number itself into an error message.
    .map_err(|e| corrupt("citizen_id", e.to_string()))
}
