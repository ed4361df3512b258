//! The annual renewal's reads and writes, a chunk of contracts at a time.
//!
//! Each chunk is one transaction that expires the old contracts, stores the
//! renewals, updates households' doctors and teams' loads for the next
//! period, appends every event and advances the run's progress row. A crash
//! loses at most the chunk in flight; the next run picks up at the first
//! contract still active, and the unique index on `renewed_from` makes a
//! second renewal of one contract impossible whatever happens.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use super::contracts::{CONTRACT_COLUMNS, contract_from_row, insert_lines, select_contracts, stream};
use super::events::{self, NewEvent};
use super::{
    Backend, Store, StoreError, backend_of, bulk_sql, date_text, is_unique_violation, placeholders, rows_per_statement,
    text,
};
use crate::contracts::{Contract, ContractEvent, NotRenewed, Period};
use crate::residents::Resident;

/// How far a county's renewal of a period has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalRun {
    pub renewed: u64,
    pub not_renewed: u64,
    /// Contracts of the period still waiting.
    pub remaining: u64,
}

/// A chunk could not be written as read: another writer changed one of its
/// contracts in between. Read the chunk again.
#[derive(Debug)]
pub enum RenewalWriteError {
    Raced,
    Store(StoreError),
}

impl From<sqlx::Error> for RenewalWriteError {
    fn from(e: sqlx::Error) -> Self {
        if is_unique_violation(&e) { RenewalWriteError::Raced } else { RenewalWriteError::Store(e.into()) }
    }
}

impl From<StoreError> for RenewalWriteError {
    fn from(e: StoreError) -> Self {
        RenewalWriteError::Store(e)
    }
}

impl Store {
    /// Opens (or reopens) the run of `county`'s renewal of `period`.
    pub async fn start_renewal(&self, county: &str, period: Period) -> Result<RenewalRun, StoreError> {
        sqlx::query(
            "INSERT INTO renewal_runs (county_code, from_period, started_at) VALUES ($1, $2, $3)
             ON CONFLICT (county_code, from_period) DO NOTHING",
        )
        .bind(county)
        .bind(period.year)
        .bind(events::now())
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(
            "SELECT renewed, not_renewed,
                    (SELECT COUNT(*) FROM contracts WHERE county_code = $1 AND period = $2 AND status = 'active') AS remaining
             FROM renewal_runs WHERE county_code = $1 AND from_period = $2",
        )
        .bind(county)
        .bind(period.year)
        .fetch_one(&self.pool)
        .await?;
        let count = |column: &str| row.try_get::<i64, _>(column).map(|n| u64::try_from(n).unwrap_or(0));
        let (renewed, not_renewed) = (count("renewed")?, count("not_renewed")?);
        Ok(RenewalRun { renewed, not_renewed, remaining: count("remaining")? })
    }

    /// The next `limit` active contracts of the period in id order after
    /// `after`, with their lines and residents (with tags).
    pub async fn renewal_chunk(
        &self,
        county: &str,
        period: Period,
        after: &str,
        limit: u32,
    ) -> Result<Vec<(Contract, Resident)>, StoreError> {
        let condition = "WHERE c.county_code = $1 AND c.period = $2 AND c.status = 'active' AND c.id > $3 \
             ORDER BY c.id LIMIT $4";
        let rows = sqlx::query(sqlx::AssertSqlSafe(select_contracts(self.backend, condition)))
            .bind(county)
            .bind(period.year)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        let contracts: Vec<Contract> = rows.iter().map(contract_from_row).collect::<Result<_, _>>()?;
        if contracts.is_empty() {
            return Ok(Vec::new());
        }
        let resident_ids: Vec<String> = contracts.iter().map(|c| c.resident_id.clone()).collect();
        let mut residents: HashMap<String, Resident> =
            self.residents_by_id(&resident_ids).await?.into_iter().map(|r| (r.id.clone(), r)).collect();
        contracts
            .into_iter()
            .map(|c| {
                let resident = residents.remove(&c.resident_id).ok_or_else(|| StoreError::Corrupt {
                    table: "contracts",
                    column: "resident_id",
                    value: c.resident_id.clone(),
                })?;
                Ok((c, resident))
            })
            .collect()
    }

    /// Writes one chunk of `county`'s renewal of `period`: `renewals` replace
    /// their `renewed_from` contracts, the `refused` contracts (by id) expire
    /// without one. Renewals whose place in the next period is taken join
    /// the returned refusals.
    pub async fn write_renewals(
        &self,
        county: &str,
        period: Period,
        renewals: Vec<Contract>,
        mut refused: Vec<(String, NotRenewed)>,
        actor: &str,
    ) -> Result<(u64, Vec<(String, NotRenewed)>), RenewalWriteError> {
        let next = period.next();
        let ended = period.end();
        let mut tx = self.begin_write().await?;
        let lock = if self.backend == Backend::Postgres { " FOR UPDATE" } else { "" };
        // Serialises concurrent runs of the same county and period (PostgreSQL
        // locks the row; SQLite's write transaction already excludes them).
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT renewed FROM renewal_runs WHERE county_code = $1 AND from_period = $2{lock}"
        )))
        .bind(county)
        .bind(period.year)
        .fetch_one(&mut *tx)
        .await?;

        let old_ids: Vec<String> = renewals
            .iter()
            .filter_map(|c| c.renewed_from.clone())
            .chain(refused.iter().map(|(id, _)| id.clone()))
            .collect();
        if old_ids.is_empty() {
            return Ok((0, refused));
        }
        let mut expired = 0;
        for chunk in old_ids.chunks(rows_per_statement(1)) {
            let sql = format!(
                "UPDATE contracts SET status = 'expired', ended_on = $1 WHERE status = 'active' AND id IN {}",
                placeholders(1, chunk.len(), 2)
            );
            let mut query = sqlx::query(bulk_sql(self.backend, &sql)).bind(date_text(ended));
            for id in chunk {
                query = query.bind(id);
            }
            expired += query.execute(&mut *tx).await?.rows_affected();
        }
        if expired != old_ids.len() as u64 {
            return Err(RenewalWriteError::Raced);
        }

        let mut places = Places::load(&mut tx, &renewals, next, lock).await?;
        let mut kept = Vec::with_capacity(renewals.len());
        for renewal in renewals {
            match places.take(&renewal) {
                Ok(()) => kept.push(renewal),
                Err(why) => refused.push((renewal.renewed_from.unwrap_or_default(), why)),
            }
        }
        insert_renewals(&mut tx, &kept).await?;
        insert_lines(&mut tx, &kept).await.map_err(|e| match e {
            super::ContractWriteError::Store(e) => RenewalWriteError::Store(e),
            _ => RenewalWriteError::Raced,
        })?;
        places.save(&mut tx, next).await?;

        let ended_event = ContractEvent::Expired { on: ended };
        let ended_payload = events::json(&ended_event)?;
        let renewed = kept.len() as u64;
        let mut changes = Vec::with_capacity(kept.len() * 2 + refused.len());
        for c in kept {
            let old = c.renewed_from.clone().unwrap_or_default();
            changes.push(NewEvent::new(
                stream(&old),
                ended_event.kind(),
                ended_payload.clone(),
                Some(format!("renewed as {}", c.id)),
            ));
            let stream_of_new = stream(&c.id);
            let signed = ContractEvent::Signed { contract: Box::new(c) };
            changes.push(NewEvent::new(
                stream_of_new,
                signed.kind(),
                events::json(&signed)?,
                Some(format!("automatic renewal of {old}")),
            ));
        }
        for (id, why) in &refused {
            changes.push(NewEvent::new(
                stream(id),
                ended_event.kind(),
                ended_payload.clone(),
                Some(format!("not renewed: {why}")),
            ));
        }
        events::append_many(&mut tx, &changes, actor).await?;
        let last = old_ids.iter().max().cloned().unwrap_or_default();
        sqlx::query(
            "UPDATE renewal_runs SET last_contract_id = $1, renewed = renewed + $2, not_renewed = not_renewed + $3
             WHERE county_code = $4 AND from_period = $5",
        )
        .bind(last)
        .bind(renewed as i64)
        .bind(refused.len() as i64)
        .bind(county)
        .bind(period.year)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((renewed, refused))
    }

    /// Marks the run finished.
    pub async fn finish_renewal(&self, county: &str, period: Period) -> Result<(), StoreError> {
        sqlx::query("UPDATE renewal_runs SET finished_at = $1 WHERE county_code = $2 AND from_period = $3")
            .bind(events::now())
            .bind(county)
            .bind(period.year)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Stores renewed contracts by copying what stays the same from the rows
/// they renew: only the new id, the old id and the household are bound per
/// contract. `Contract::renewal` makes the same values, for the event.
async fn insert_renewals(conn: &mut AnyConnection, renewals: &[Contract]) -> Result<(), RenewalWriteError> {
    let Some(first) = renewals.first() else { return Ok(()) };
    for chunk in renewals.chunks(rows_per_statement(3)) {
        let sql = format!(
            "INSERT INTO contracts ({CONTRACT_COLUMNS})
             SELECT v.column1, c.resident_id, v.column3, c.team_id, c.institution_id, c.county_code, $1, 'active',
                    $2, $3, $4, $5, NULL, NULL, 0, c.id, NULL
             FROM (VALUES {}) AS v JOIN contracts c ON c.id = v.column2",
            placeholders(chunk.len(), 3, 6)
        );
        let mut query = sqlx::query(bulk_sql(backend_of(conn), &sql))
            .bind(first.period.year)
            .bind(date_text(first.signed_on))
            .bind(&first.signed_by)
            .bind(&first.plugin_hash)
            .bind(&first.plugin_version);
        for c in chunk {
            query = query.bind(&c.id).bind(&c.renewed_from).bind(&c.household_id);
        }
        // A unique index: someone signed one of these residents meanwhile.
        let inserted = query.execute(&mut *conn).await?.rows_affected();
        if inserted != chunk.len() as u64 {
            return Err(RenewalWriteError::Raced);
        }
    }
    Ok(())
}

/// The next period's places as the renewals claim them: who already signed,
/// each household's doctor, each team's load against its capacity.
struct Places {
    signed: std::collections::HashSet<String>,
    /// Household → (team, members); `true` once changed.
    households: HashMap<String, (String, i64, bool)>,
    /// Team → (households, residents, capacity households, capacity residents, changed).
    teams: HashMap<String, (i64, i64, i64, i64, bool)>,
}

impl Places {
    async fn load(
        conn: &mut AnyConnection,
        renewals: &[Contract],
        next: Period,
        lock: &str,
    ) -> Result<Places, StoreError> {
        let mut places = Places { signed: Default::default(), households: HashMap::new(), teams: HashMap::new() };
        if renewals.is_empty() {
            return Ok(places);
        }
        let residents: Vec<&str> = renewals.iter().map(|c| c.resident_id.as_str()).collect();
        for chunk in residents.chunks(rows_per_statement(1)) {
            let sql = format!(
                "SELECT resident_id FROM contracts WHERE period = $1 AND status = 'active' AND resident_id IN {}",
                placeholders(1, chunk.len(), 2)
            );
            let mut query = sqlx::query(bulk_sql(backend_of(conn), &sql)).bind(next.year);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut *conn).await? {
                places.signed.insert(text(&row, "resident_id")?);
            }
        }

        let households: Vec<&str> = renewals.iter().filter_map(|c| c.household_id.as_deref()).collect();
        for chunk in households.chunks(rows_per_statement(1)) {
            let sql = format!(
                "SELECT household_id, team_id, members FROM household_doctors WHERE period = $1 AND household_id IN {}{lock}",
                placeholders(1, chunk.len(), 2)
            );
            let mut query = sqlx::query(bulk_sql(backend_of(conn), &sql)).bind(next.year);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut *conn).await? {
                let members = i64::from(row.try_get::<i32, _>("members")?);
                places.households.insert(text(&row, "household_id")?, (text(&row, "team_id")?, members, false));
            }
        }

        let mut teams: Vec<&str> = renewals.iter().map(|c| c.team_id.as_str()).collect();
        teams.sort_unstable();
        teams.dedup();
        for team in teams {
            // Make sure the row exists so it can be locked and updated.
            sqlx::query(
                "INSERT INTO team_load (team_id, period) VALUES ($1, $2) ON CONFLICT (team_id, period) DO NOTHING",
            )
            .bind(team)
            .bind(next.year)
            .execute(&mut *conn)
            .await?;
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT l.households, l.residents, t.capacity_households, t.capacity_residents
                 FROM team_load l JOIN teams t ON t.id = l.team_id WHERE l.team_id = $1 AND l.period = $2{}",
                if lock.is_empty() { "" } else { " FOR UPDATE OF l" }
            )))
            .bind(team)
            .bind(next.year)
            .fetch_one(&mut *conn)
            .await?;
            let get = |c: &str| row.try_get::<i32, _>(c).map(i64::from);
            places.teams.insert(
                team.to_owned(),
                (get("households")?, get("residents")?, get("capacity_households")?, get("capacity_residents")?, false),
            );
        }
        Ok(places)
    }

    /// Claims a place for `c` in the next period, or says why there is none.
    fn take(&mut self, c: &Contract) -> Result<(), NotRenewed> {
        if !self.signed.insert(c.resident_id.clone()) {
            return Err(NotRenewed::AlreadySigned);
        }
        let mut new_household = 0;
        if let Some(household) = &c.household_id {
            match self.households.get(household) {
                Some((team, _, _)) if team != &c.team_id => {
                    self.signed.remove(&c.resident_id);
                    return Err(NotRenewed::HouseholdHasOtherDoctor(team.clone()));
                }
                Some(_) => {}
                None => new_household = 1,
            }
        }
        let Some(load) = self.teams.get_mut(&c.team_id) else {
            self.signed.remove(&c.resident_id);
            return Err(NotRenewed::TeamFull(c.team_id.clone()));
        };
        if load.0 + new_household > load.2 || load.1 + 1 > load.3 {
            self.signed.remove(&c.resident_id);
            return Err(NotRenewed::TeamFull(c.team_id.clone()));
        }
        load.0 += new_household;
        load.1 += 1;
        load.4 = true;
        if let Some(household) = &c.household_id {
            let entry = self.households.entry(household.clone()).or_insert_with(|| (c.team_id.clone(), 0, true));
            entry.1 += 1;
            entry.2 = true;
        }
        Ok(())
    }

    async fn save(&self, conn: &mut AnyConnection, next: Period) -> Result<(), StoreError> {
        let households: Vec<(&String, &(String, i64, bool))> = self.households.iter().filter(|(_, h)| h.2).collect();
        for chunk in households.chunks(rows_per_statement(4)) {
            let sql = format!(
                "INSERT INTO household_doctors (household_id, period, team_id, members) VALUES {}
                 ON CONFLICT (household_id, period) DO UPDATE SET members = excluded.members",
                placeholders(chunk.len(), 4, 1)
            );
            let mut query = sqlx::query(bulk_sql(backend_of(conn), &sql));
            for (household, (team, members, _)) in chunk {
                query = query.bind(*household).bind(next.year).bind(team).bind(*members);
            }
            query.execute(&mut *conn).await?;
        }
        for (team, load) in self.teams.iter().filter(|(_, l)| l.4) {
            sqlx::query("UPDATE team_load SET households = $1, residents = $2 WHERE team_id = $3 AND period = $4")
                .bind(load.0)
                .bind(load.1)
                .bind(team)
                .bind(next.year)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}
