//! Residents, their recorded tags and their households. The citizen ID is
//! stored in full (it is the natural key) and read back through `CitizenId`,
//! which masks it everywhere it is printed.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{
    Store, StoreError, bulk_sql, date, date_text, events, is_unique_violation, parsed, placeholders,
    rows_per_statement, text,
};
use crate::contracts::Period;
use crate::residents::{CitizenId, Household, RecordedTags, Resident, Tag, TagRecord, UnsignedReason};

/// Registering a resident failed.
#[derive(Debug, thiserror::Error)]
pub enum InsertResidentError {
    /// The citizen ID is registered already, to `Holder`.
    #[error("a resident with this citizen ID is already registered")]
    DuplicateCitizenId(Holder),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The resident registered under a citizen ID someone tried again: what the
/// kernel needs to decide who may hear of them, and nothing personal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub id: String,
    pub county_code: String,
    pub household_id: Option<String>,
}

const COLUMNS: &str = "id, county_code, name, citizen_id, household_id, phone";

impl Store {
    /// Registers a resident with their tags, and records the event.
    pub async fn insert_resident(&self, r: &Resident, actor: &str) -> Result<(), InsertResidentError> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO residents (id, county_code, name, citizen_id, household_id, phone) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&r.id)
        .bind(&r.county_code)
        .bind(&r.name)
        .bind(r.citizen_id.expose())
        .bind(&r.household_id)
        .bind(&r.phone)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                // PostgreSQL refuses anything more in the failed transaction.
                drop(tx);
                return Err(match self.holder(&r.citizen_id).await? {
                    Some(holder) => InsertResidentError::DuplicateCitizenId(holder),
                    // Deleted in between: the race is the database's to referee again.
                    None => StoreError::from(e).into(),
                });
            }
            Err(e) => return Err(StoreError::from(e).into()),
        }
        insert_tags(&mut tx, &r.id, &r.recorded_tags).await?;
        // The event names the resident by id only: the log holds no citizen ID.
        let payload = serde_json::json!({
            "county_code": r.county_code,
            "household_id": r.household_id,
            "tags": r.recorded_tags,
        });
        events::append(&mut tx, &format!("resident:{}", r.id), "resident.registered", &payload, actor, None).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Who holds `citizen_id`, if anyone.
    async fn holder(&self, citizen_id: &CitizenId) -> Result<Option<Holder>, StoreError> {
        let row = sqlx::query("SELECT id, county_code, household_id FROM residents WHERE citizen_id = $1")
            .bind(citizen_id.expose())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| holder(&r)).transpose()
    }

    pub async fn resident(&self, id: &str) -> Result<Option<Resident>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM residents WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut resident = resident(&row)?;
        resident.recorded_tags = self.tags_of(&[id.to_owned()]).await?.remove(id).unwrap_or_default();
        Ok(Some(resident))
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
        self.with_tags(rows.iter().map(resident).collect::<Result<_, _>>()?).await
    }

    /// Residents by id, with their tags; ids that name nobody are left out.
    pub async fn residents_by_id(&self, ids: &[String]) -> Result<Vec<Resident>, StoreError> {
        let mut residents = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(rows_per_statement(1)) {
            let sql = format!("SELECT {COLUMNS} FROM residents WHERE id IN {}", placeholders(1, chunk.len(), 1));
            let mut query = sqlx::query(bulk_sql(self.backend, &sql));
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(&self.pool).await? {
                residents.push(resident(&row)?);
            }
        }
        self.with_tags(residents).await
    }

    /// The members of a household.
    pub async fn household_members(&self, household_id: &str) -> Result<Vec<Resident>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM residents WHERE household_id = $1 ORDER BY id"
        )))
        .bind(household_id)
        .fetch_all(&self.pool)
        .await?;
        self.with_tags(rows.iter().map(resident).collect::<Result<_, _>>()?).await
    }

    /// Every resident of a county with their tags, in two statements: for
    /// jobs that read a whole county (assessment, settlement).
    pub async fn all_residents(&self, county_code: &str) -> Result<Vec<Resident>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM residents WHERE county_code = $1 ORDER BY id"
        )))
        .bind(county_code)
        .fetch_all(&self.pool)
        .await?;
        let mut residents: Vec<Resident> = rows.iter().map(resident).collect::<Result<_, _>>()?;
        let mut all = self.recorded_tags_of_county(county_code).await?;
        for r in &mut residents {
            r.recorded_tags = all.remove(&r.id).unwrap_or_default();
        }
        Ok(residents)
    }

    /// The recorded tags of a county's residents, by resident.
    pub async fn recorded_tags_of_county(
        &self,
        county_code: &str,
    ) -> Result<HashMap<String, RecordedTags>, StoreError> {
        self.recorded_tags_among(county_code, &Tag::ALL).await
    }

    /// Only the recorded `tags` of a county's residents, by resident: a
    /// settlement's score reads two tags of a million residents' many.
    pub async fn recorded_tags_among(
        &self,
        county_code: &str,
        tags: &[Tag],
    ) -> Result<HashMap<String, RecordedTags>, StoreError> {
        let sql = format!(
            "SELECT t.resident_id, t.tag, t.recorded_on, t.source FROM resident_tags t \
             JOIN residents r ON r.id = t.resident_id WHERE r.county_code = $1 AND t.tag IN {}",
            placeholders(1, tags.len(), 2)
        );
        let mut query = sqlx::query(bulk_sql(self.backend, &sql)).bind(county_code);
        for tag in tags {
            query = query.bind(tag.name());
        }
        tag_rows(&query.fetch_all(&self.pool).await?)
    }

    async fn with_tags(&self, mut residents: Vec<Resident>) -> Result<Vec<Resident>, StoreError> {
        let ids: Vec<String> = residents.iter().map(|r| r.id.clone()).collect();
        let mut tags = self.tags_of(&ids).await?;
        for r in &mut residents {
            r.recorded_tags = tags.remove(&r.id).unwrap_or_default();
        }
        Ok(residents)
    }

    async fn tags_of(&self, ids: &[String]) -> Result<HashMap<String, RecordedTags>, StoreError> {
        let mut all: HashMap<String, RecordedTags> = HashMap::new();
        for chunk in ids.chunks(rows_per_statement(1)) {
            let sql = format!(
                "SELECT resident_id, tag, recorded_on, source FROM resident_tags WHERE resident_id IN {}",
                placeholders(1, chunk.len(), 1)
            );
            let mut query = sqlx::query(bulk_sql(self.backend, &sql));
            for id in chunk {
                query = query.bind(id);
            }
            for (resident, tags) in tag_rows(&query.fetch_all(&self.pool).await?)? {
                all.entry(resident).or_default().extend(tags);
            }
        }
        Ok(all)
    }

    /// A page of a county's residents, in id order after `after`, with no
    /// active contract in `period`; also the last id scanned, for the next page.
    pub async fn residents_without_contract(
        &self,
        county_code: &str,
        period: Period,
        after: &str,
        limit: u32,
    ) -> Result<(Vec<Resident>, Option<String>), StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, CASE WHEN EXISTS (SELECT 1 FROM contracts c WHERE c.resident_id = residents.id
                                       AND c.period = $3 AND c.status = 'active') THEN 1 ELSE 0 END AS signed
             FROM residents WHERE county_code = $1 AND id > $2 ORDER BY id LIMIT $4"
        )))
        .bind(county_code)
        .bind(after)
        .bind(period.year)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let last = rows.last().map(|r| text(r, "id")).transpose()?;
        let mut unsigned = Vec::new();
        for row in &rows {
            // An integer, not a boolean: SQLite has no boolean type.
            if row.try_get::<i32, _>("signed")? == 0 {
                unsigned.push(resident(row)?);
            }
        }
        let next = if rows.len() == usize::try_from(limit).unwrap_or(usize::MAX) { last } else { None };
        Ok((self.with_tags(unsigned).await?, next))
    }

    /// The recorded reasons why residents are not signed in `period` (未签约情况说明).
    pub async fn unsigned_reasons(
        &self,
        ids: &[String],
        period: Period,
    ) -> Result<HashMap<String, UnsignedReason>, StoreError> {
        let mut reasons = HashMap::new();
        for chunk in ids.chunks(rows_per_statement(1)) {
            let sql = format!(
                "SELECT resident_id, reason, recorded_by, recorded_on FROM unsigned_reasons
                 WHERE period = $1 AND resident_id IN {}",
                placeholders(1, chunk.len(), 2)
            );
            let mut query = sqlx::query(bulk_sql(self.backend, &sql)).bind(period.year);
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(&self.pool).await? {
                let reason = UnsignedReason {
                    reason: text(&row, "reason")?,
                    recorded_by: text(&row, "recorded_by")?,
                    recorded_on: date(&row, "unsigned_reasons", "recorded_on")?,
                };
                reasons.insert(text(&row, "resident_id")?, reason);
            }
        }
        Ok(reasons)
    }

    /// Records (or replaces) why a resident is not signed in `period`.
    pub async fn record_unsigned_reason(
        &self,
        resident_id: &str,
        period: Period,
        reason: &UnsignedReason,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO unsigned_reasons (resident_id, period, reason, recorded_by, recorded_on) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (resident_id, period) DO UPDATE SET reason = excluded.reason,
                 recorded_by = excluded.recorded_by, recorded_on = excluded.recorded_on",
        )
        .bind(resident_id)
        .bind(period.year)
        .bind(&reason.reason)
        .bind(&reason.recorded_by)
        .bind(date_text(reason.recorded_on))
        .execute(&mut *tx)
        .await?;
        let payload = serde_json::json!({ "period": period.year });
        let stream = format!("resident:{resident_id}");
        events::append(
            &mut tx,
            &stream,
            "resident.unsigned_reason",
            &payload,
            &reason.recorded_by,
            Some(&reason.reason),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn insert_household(&self, h: &Household) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO households (id, county_code, village_id, address, external_no) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&h.id)
        .bind(&h.county_code)
        .bind(&h.village_id)
        .bind(&h.address)
        .bind(&h.external_no)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn household(&self, id: &str) -> Result<Option<Household>, StoreError> {
        let row = sqlx::query("SELECT id, county_code, village_id, address, external_no FROM households WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Household {
                id: text(&r, "id")?,
                county_code: text(&r, "county_code")?,
                village_id: r.try_get("village_id")?,
                address: text(&r, "address")?,
                external_no: r.try_get("external_no")?,
            })
        })
        .transpose()
    }
}

/// Inserts tag records; a tag already recorded keeps its first date.
pub(super) async fn insert_tags(
    conn: &mut AnyConnection,
    resident_id: &str,
    tags: &RecordedTags,
) -> Result<(), StoreError> {
    for (tag, record) in tags {
        sqlx::query(
            "INSERT INTO resident_tags (resident_id, tag, recorded_on, source) VALUES ($1, $2, $3, $4)
             ON CONFLICT (resident_id, tag) DO NOTHING",
        )
        .bind(resident_id)
        .bind(tag.name())
        .bind(date_text(record.recorded_on))
        .bind(&record.source)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Rows of `resident_id, tag, recorded_on, source`, by resident.
fn tag_rows(rows: &[AnyRow]) -> Result<HashMap<String, RecordedTags>, StoreError> {
    let mut all: HashMap<String, RecordedTags> = HashMap::new();
    for row in rows {
        let tag = parsed(row, "resident_tags", "tag", Tag::from_name)?;
        let record =
            TagRecord { recorded_on: date(row, "resident_tags", "recorded_on")?, source: text(row, "source")? };
        all.entry(text(row, "resident_id")?).or_default().insert(tag, record);
    }
    Ok(all)
}

fn resident(r: &AnyRow) -> Result<Resident, StoreError> {
    let corrupt = |column: &'static str, value: String| StoreError::Corrupt { table: "residents", column, value };
    let citizen_id = text(r, "citizen_id")?;
    let mut resident = Resident::register(
        text(r, "id")?,
        text(r, "county_code")?,
        &text(r, "name")?,
        &citizen_id,
        RecordedTags::new(),
    )
    // Never put the number itself into an error message.
    .map_err(|e| corrupt("citizen_id", e.to_string()))?;
    resident.household_id = r.try_get("household_id")?;
    resident.phone = r.try_get("phone")?;
    Ok(resident)
}

pub(super) fn holder(r: &AnyRow) -> Result<Holder, StoreError> {
    Ok(Holder { id: text(r, "id")?, county_code: text(r, "county_code")?, household_id: r.try_get("household_id")? })
}
