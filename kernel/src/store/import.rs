//! Bulk writes of the poverty list: one transaction per chunk of rows and a
//! handful of multi-row statements per chunk, so a million rows take seconds.
//! Idempotent by the natural keys — the citizen ID, the household number
//! within the county, the (resident, tag) pair — so a second import of the
//! same file finds everything in place and writes nothing.

use std::collections::{HashMap, HashSet};

use sqlx::AnyConnection;
use time::Date;

use super::events::{self, NewEvent};
use super::residents::{Holder, holder};
use super::{Store, StoreError, backend_of, bulk_sql, date_text, placeholders, rows_per_statement, text};
use crate::residents::poverty_list::PovertyRow;

/// The source recorded with imported tags.
pub const SOURCE: &str = "poverty-list";

/// What one chunk changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportedChunk {
    pub residents_created: u64,
    pub households_created: u64,
    pub tags_added: u64,
    /// Rows whose resident, household and status were all in place already.
    pub unchanged: u64,
    /// Rows (by line) whose citizen ID another county holds, and who holds it:
    /// the kernel decides what the importer may hear of them.
    pub elsewhere: Vec<(u64, Holder)>,
}

impl Store {
    /// Writes a chunk of checked rows of `county`'s list (distinct citizen
    /// IDs) in one transaction, all or nothing.
    pub async fn import_poverty_rows(
        &self,
        county: &str,
        rows: &[PovertyRow],
        recorded_on: Date,
        actor: &str,
    ) -> Result<ImportedChunk, StoreError> {
        let mut outcome = ImportedChunk::default();
        let mut tx = self.begin_write().await?;
        // One transaction for the chunk, statements of a few dozen rows.
        for part in rows.chunks(rows_per_statement(6)) {
            let known = known_residents(&mut tx, part).await?;
            let mut accepted = Vec::with_capacity(part.len());
            for row in part {
                match known.get(row.citizen_id.expose()) {
                    Some(k) if k.county_code != county => outcome.elsewhere.push((row.line, k.clone())),
                    k => accepted.push((row, k)),
                }
            }
            let needed: Vec<&PovertyRow> =
                accepted.iter().filter(|(_, k)| k.is_none_or(|k| k.household_id.is_none())).map(|(r, _)| *r).collect();
            let (households, created) = households_for(&mut tx, county, &needed).await?;
            outcome.households_created += created;
            let tagged = tags_present(&mut tx, &accepted).await?;

            let recorded = date_text(recorded_on);
            let mut new_residents = Vec::new();
            let mut new_tags: Vec<(String, &'static str)> = Vec::new();
            let mut changes = Vec::new();
            for (row, known) in &accepted {
                let tag = row.status.name();
                match known {
                    None => {
                        let id = uuid::Uuid::now_v7().to_string();
                        let household = households.get(&row.household_no).cloned();
                        let payload = serde_json::json!({
                            "county_code": county,
                            "household_id": household,
                            "tags": { tag: { "recorded_on": recorded, "source": SOURCE } },
                        });
                        changes.push(NewEvent::new(
                            format!("resident:{id}"),
                            "resident.registered",
                            payload.to_string(),
                            None,
                        ));
                        new_tags.push((id.clone(), tag));
                        new_residents.push((id, *row, household));
                    }
                    Some(k) => {
                        let household = match &k.household_id {
                            Some(_) => None,
                            None => households.get(&row.household_no).cloned(),
                        };
                        let add_tag = !tagged.contains(&(k.id.clone(), tag));
                        if household.is_none() && !add_tag {
                            outcome.unchanged += 1;
                            continue;
                        }
                        if let Some(household) = &household {
                            sqlx::query(
                                "UPDATE residents SET household_id = $1 WHERE id = $2 AND household_id IS NULL",
                            )
                            .bind(household)
                            .bind(&k.id)
                            .execute(&mut *tx)
                            .await?;
                        }
                        if add_tag {
                            new_tags.push((k.id.clone(), tag));
                        }
                        let payload = serde_json::json!({
                            "household_id": household,
                            "tag": add_tag.then_some(tag),
                            "recorded_on": recorded,
                            "source": SOURCE,
                        });
                        changes.push(NewEvent::new(
                            format!("resident:{}", k.id),
                            "resident.list_updated",
                            payload.to_string(),
                            None,
                        ));
                    }
                }
            }
            insert_residents(&mut tx, county, &new_residents).await?;
            outcome.residents_created += new_residents.len() as u64;
            outcome.tags_added += insert_tags(&mut tx, &new_tags, &recorded).await?;
            events::append_many(&mut tx, &changes, actor).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }
}

async fn known_residents(conn: &mut AnyConnection, rows: &[PovertyRow]) -> Result<HashMap<String, Holder>, StoreError> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT id, county_code, citizen_id, household_id FROM residents WHERE citizen_id IN {}",
        placeholders(1, rows.len(), 1)
    );
    let mut query = sqlx::query(bulk_sql(backend_of(conn), &sql));
    for row in rows {
        query = query.bind(row.citizen_id.expose());
    }
    let mut known = HashMap::new();
    for r in query.fetch_all(&mut *conn).await? {
        known.insert(text(&r, "citizen_id")?, holder(&r)?);
    }
    Ok(known)
}

/// The households (by number) the rows need, created if missing; and how many were created.
async fn households_for(
    conn: &mut AnyConnection,
    county: &str,
    rows: &[&PovertyRow],
) -> Result<(HashMap<String, String>, u64), StoreError> {
    let mut numbers: Vec<&str> = Vec::new();
    let mut seen = HashSet::new();
    for row in rows {
        if seen.insert(row.household_no.as_str()) {
            numbers.push(&row.household_no);
        }
    }
    if numbers.is_empty() {
        return Ok((HashMap::new(), 0));
    }
    let mut ids = existing_households(conn, county, &numbers).await?;
    let missing: Vec<&&PovertyRow> = {
        let mut first_row = HashSet::new();
        rows.iter().filter(|r| !ids.contains_key(&r.household_no) && first_row.insert(&r.household_no)).collect()
    };
    if missing.is_empty() {
        return Ok((ids, 0));
    }
    // A concurrent import of the same list may create some first; theirs win.
    let sql = format!(
        "INSERT INTO households (id, county_code, address, external_no) VALUES {} ON CONFLICT (county_code, external_no) DO NOTHING",
        placeholders(missing.len(), 4, 1)
    );
    let mut query = sqlx::query(bulk_sql(backend_of(conn), &sql));
    for row in &missing {
        query = query.bind(uuid::Uuid::now_v7().to_string()).bind(county).bind(&row.address).bind(&row.household_no);
    }
    let created = query.execute(&mut *conn).await?.rows_affected();
    let numbers: Vec<&str> = missing.iter().map(|r| r.household_no.as_str()).collect();
    ids.extend(existing_households(conn, county, &numbers).await?);
    Ok((ids, created))
}

async fn existing_households(
    conn: &mut AnyConnection,
    county: &str,
    numbers: &[&str],
) -> Result<HashMap<String, String>, StoreError> {
    let sql = format!(
        "SELECT id, external_no FROM households WHERE county_code = $1 AND external_no IN {}",
        placeholders(1, numbers.len(), 2)
    );
    let mut query = sqlx::query(bulk_sql(backend_of(conn), &sql)).bind(county);
    for number in numbers {
        query = query.bind(*number);
    }
    let mut ids = HashMap::new();
    for r in query.fetch_all(&mut *conn).await? {
        ids.insert(text(&r, "external_no")?, text(&r, "id")?);
    }
    Ok(ids)
}

/// The (resident, tag) pairs among known residents that are recorded already.
async fn tags_present(
    conn: &mut AnyConnection,
    accepted: &[(&PovertyRow, Option<&Holder>)],
) -> Result<HashSet<(String, &'static str)>, StoreError> {
    let ids: Vec<&str> = accepted.iter().filter_map(|(_, k)| k.map(|k| k.id.as_str())).collect();
    let mut present = HashSet::new();
    if ids.is_empty() {
        return Ok(present);
    }
    let sql =
        format!("SELECT resident_id, tag FROM resident_tags WHERE resident_id IN {}", placeholders(1, ids.len(), 1));
    let mut query = sqlx::query(bulk_sql(backend_of(conn), &sql));
    for id in &ids {
        query = query.bind(*id);
    }
    for r in query.fetch_all(&mut *conn).await? {
        if let Some(tag) = crate::residents::Tag::from_name(&text(&r, "tag")?) {
            present.insert((text(&r, "resident_id")?, tag.name()));
        }
    }
    Ok(present)
}

async fn insert_residents(
    conn: &mut AnyConnection,
    county: &str,
    residents: &[(String, &PovertyRow, Option<String>)],
) -> Result<(), StoreError> {
    if residents.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO residents (id, county_code, name, citizen_id, household_id, phone) VALUES {}",
        placeholders(residents.len(), 6, 1)
    );
    let mut query = sqlx::query(bulk_sql(backend_of(conn), &sql));
    for (id, row, household) in residents {
        query =
            query.bind(id).bind(county).bind(&row.name).bind(row.citizen_id.expose()).bind(household).bind(&row.phone);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// Records tags; returns how many were new.
async fn insert_tags(
    conn: &mut AnyConnection,
    tags: &[(String, &'static str)],
    recorded: &str,
) -> Result<u64, StoreError> {
    if tags.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "INSERT INTO resident_tags (resident_id, tag, recorded_on, source) VALUES {} ON CONFLICT (resident_id, tag) DO NOTHING",
        placeholders(tags.len(), 4, 1)
    );
    let mut query = sqlx::query(bulk_sql(backend_of(conn), &sql));
    for (id, tag) in tags {
        query = query.bind(id).bind(*tag).bind(recorded).bind(SOURCE);
    }
    Ok(query.execute(&mut *conn).await?.rows_affected())
}
