//! Contracts and their priced lines. Every lifecycle change is one
//! transaction that also updates the household's doctor and the team's load
//! and appends the event; the rules that must survive concurrency (one active
//! contract per resident and period, one doctor per household, team capacity)
//! are decided by the database inside that transaction.

use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::Date;

use super::{
    Backend, Store, StoreError, backend_of, bulk_sql, date, date_text, events, is_unique_violation, optional_date,
    parsed, placeholders, rows_per_statement, text,
};
use crate::contracts::{Contract, ContractEvent, ContractLine, ContractStatus, LifecycleError, Period, SignError};
use crate::plugins::{PackageKind, Quote};
use crate::residents::{tags_from_text, tags_to_text};

/// A contract could not be stored or changed.
#[derive(Debug, thiserror::Error)]
pub enum ContractWriteError {
    /// Lost a race or broke a signing rule the database referees.
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ContractWriteError {
    fn from(e: sqlx::Error) -> Self {
        ContractWriteError::Store(e.into())
    }
}

pub(super) const CONTRACT_COLUMNS: &str = "id, resident_id, household_id, team_id, institution_id, county_code, period, status, \
     signed_on, signed_by, plugin_hash, plugin_version, ended_on, end_reason, renewal_objected, renewed_from, group_id";

/// A contract line's columns after its contract id and position, in the
/// order [`bind_line`] binds them.
pub(super) const LINE_COLUMNS: &str = "package_code, package_name, kind, list_price, discount, public_health_fund, \
     insurance_fund, self_pay, rule, priced_age, priced_tags, adjustments";
/// How many columns a line has in all.
const LINE_WIDTH: usize = 14;

impl Store {
    /// Stores a new contract with all its lines and its event, or nothing.
    pub async fn insert_contract(&self, c: &Contract, actor: &str) -> Result<(), ContractWriteError> {
        let mut tx = self.begin_write().await?;
        insert_contracts(&mut tx, std::slice::from_ref(c)).await?;
        join_team(&mut tx, c.household_id.as_deref(), &c.team_id, c.period).await?;
        let event = ContractEvent::Signed { contract: Box::new(c.clone()) };
        events::append(&mut tx, &stream(&c.id), event.kind(), &event, actor, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves `contracts` (a household's active ones) to `to_team` in one go.
    pub async fn switch_team(
        &self,
        contracts: &[Contract],
        to_team: &str,
        actor: &str,
        reason: &str,
    ) -> Result<(), ContractWriteError> {
        let mut tx = self.begin_write().await?;
        for c in contracts {
            let moved =
                sqlx::query("UPDATE contracts SET team_id = $1 WHERE id = $2 AND status = 'active' AND team_id = $3")
                    .bind(to_team)
                    .bind(&c.id)
                    .bind(&c.team_id)
                    .execute(&mut *tx)
                    .await?;
            if moved.rows_affected() != 1 {
                return Err(LifecycleError::NotActive { id: c.id.clone(), status: ContractStatus::Terminated }.into());
            }
            leave_team(&mut tx, c.household_id.as_deref(), &c.team_id, c.period).await?;
        }
        // Only once the whole household has left the old team is it free to join the new one.
        for c in contracts {
            join_team(&mut tx, c.household_id.as_deref(), to_team, c.period).await?;
            let event = ContractEvent::Switched { from_team: c.team_id.clone(), to_team: to_team.to_owned() };
            events::append(&mut tx, &stream(&c.id), event.kind(), &event, actor, Some(reason)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends an active contract early.
    pub async fn terminate_contract(
        &self,
        c: &Contract,
        on: Date,
        actor: &str,
        reason: &str,
    ) -> Result<(), ContractWriteError> {
        let mut tx = self.begin_write().await?;
        end_contract(&mut tx, c, on, actor, reason).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the resident's objection to the automatic renewal.
    pub async fn object_to_renewal(&self, c: &Contract, actor: &str, reason: &str) -> Result<(), ContractWriteError> {
        let mut tx = self.begin_write().await?;
        let marked = sqlx::query("UPDATE contracts SET renewal_objected = 1 WHERE id = $1 AND status = 'active'")
            .bind(&c.id)
            .execute(&mut *tx)
            .await?;
        if marked.rows_affected() != 1 {
            return Err(LifecycleError::NotActive { id: c.id.clone(), status: ContractStatus::Terminated }.into());
        }
        let event = ContractEvent::RenewalObjected;
        events::append(&mut tx, &stream(&c.id), event.kind(), &event, actor, Some(reason)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn contract(&self, id: &str) -> Result<Option<Contract>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(select_contracts(self.backend, "WHERE c.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(contract_from_row).transpose()
    }

    /// A resident's contracts, newest period first.
    pub async fn contracts_of_resident(&self, resident_id: &str) -> Result<Vec<Contract>, StoreError> {
        self.contracts_where("resident_id = $1 ORDER BY period DESC, signed_on DESC, id", resident_id).await
    }

    /// A household's active contracts in a period.
    pub async fn active_contracts_of_household(
        &self,
        household_id: &str,
        period: Period,
    ) -> Result<Vec<Contract>, StoreError> {
        let condition = "WHERE c.household_id = $1 AND c.period = $2 AND c.status = 'active' ORDER BY c.id";
        let rows = sqlx::query(sqlx::AssertSqlSafe(select_contracts(self.backend, condition)))
            .bind(household_id)
            .bind(period.year)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(contract_from_row).collect()
    }

    /// A team's active contracts in a period, by resident.
    pub async fn active_contracts_of_team(&self, team_id: &str, period: Period) -> Result<Vec<Contract>, StoreError> {
        let mut contracts = self.contracts_of_period("team_id", team_id, period).await?;
        contracts.retain(|c| c.status == ContractStatus::Active);
        Ok(contracts)
    }

    /// The contracts of a period whose `column` (a team, a county) is
    /// `value`, whatever their status, in no particular order.
    pub(super) async fn contracts_of_period(
        &self,
        column: &'static str,
        value: &str,
        period: Period,
    ) -> Result<Vec<Contract>, StoreError> {
        // Row by row: a county's million rows held at once as `AnyRow`s
        // cost more than the contracts they become.
        let query = select_contracts(self.backend, &format!("WHERE c.{column} = $1 AND c.period = $2"));
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(query)).bind(value).bind(period.year).fetch(&self.pool);
        let mut contracts = Vec::new();
        while let Some(row) = rows.try_next().await? {
            contracts.push(contract_from_row(&row)?);
        }
        Ok(contracts)
    }

    /// Every contract, in id order (for rebuilding from events and audits).
    pub async fn all_contracts(&self) -> Result<Vec<Contract>, StoreError> {
        self.contracts_where("$1 = $1 ORDER BY id", "").await
    }

    async fn contracts_where(&self, condition: &'static str, value: &str) -> Result<Vec<Contract>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(select_contracts(self.backend, &format!("WHERE {condition}"))))
            .bind(value)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(contract_from_row).collect()
    }

    /// The team of the resident's active contract in `period`, if any.
    pub async fn active_team_of(&self, resident_id: &str, period: Period) -> Result<Option<String>, StoreError> {
        let row =
            sqlx::query("SELECT team_id FROM contracts WHERE resident_id = $1 AND period = $2 AND status = 'active'")
                .bind(resident_id)
                .bind(period.year)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| text(&r, "team_id")).transpose()
    }

    /// The signed households and residents of a team in a period.
    pub async fn team_load(&self, team_id: &str, period: Period) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query("SELECT households, residents FROM team_load WHERE team_id = $1 AND period = $2")
            .bind(team_id)
            .bind(period.year)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => (r.try_get("households")?, r.try_get("residents")?),
            None => (0, 0),
        })
    }
}

/// Whole contracts, each with its lines, from `contracts c` and `rest` (a
/// condition and an order): every read of contracts goes through it.
pub(super) fn select_contracts(backend: Backend, rest: &str) -> String {
    format!("SELECT {CONTRACT_COLUMNS}, {} FROM contracts c {rest}", lines_json(backend))
}

/// A contract from a row [`select_contracts`] read.
pub(super) fn contract_from_row(row: &AnyRow) -> Result<Contract, StoreError> {
    let ended_on = optional_date(row, "contracts", "ended_on")?;
    Ok(Contract {
        resident_id: text(row, "resident_id")?,
        household_id: row.try_get("household_id")?,
        team_id: text(row, "team_id")?,
        institution_id: text(row, "institution_id")?,
        county_code: text(row, "county_code")?,
        period: Period { year: row.try_get::<i32, _>("period")? },
        status: parsed(row, "contracts", "status", ContractStatus::from_name)?,
        signed_on: date(row, "contracts", "signed_on")?,
        signed_by: text(row, "signed_by")?,
        plugin_hash: text(row, "plugin_hash")?,
        plugin_version: text(row, "plugin_version")?,
        ended_on,
        end_reason: row.try_get("end_reason")?,
        renewal_objected: row.try_get::<i32, _>("renewal_objected")? != 0,
        renewed_from: row.try_get("renewed_from")?,
        group_id: row.try_get("group_id")?,
        lines: lines_from_json(row)?,
        id: text(row, "id")?,
    })
}

pub(super) fn stream(contract_id: &str) -> String {
    format!("contract:{contract_id}")
}

/// Inserts contracts with their lines, a few multi-row statements for many
/// contracts. A second active contract of a resident in a period breaks a
/// unique index and fails the whole statement.
pub(super) async fn insert_contracts(
    conn: &mut AnyConnection,
    contracts: &[Contract],
) -> Result<(), ContractWriteError> {
    for chunk in contracts.chunks(rows_per_statement(17)) {
        let sql = format!("INSERT INTO contracts ({CONTRACT_COLUMNS}) VALUES {}", placeholders(chunk.len(), 17, 1));
        let mut query = sqlx::query(bulk_sql(backend_of(conn), &sql));
        for c in chunk {
            query = query
                .bind(&c.id)
                .bind(&c.resident_id)
                .bind(&c.household_id)
                .bind(&c.team_id)
                .bind(&c.institution_id)
                .bind(&c.county_code)
                .bind(c.period.year)
                .bind(c.status.name())
                .bind(date_text(c.signed_on))
                .bind(&c.signed_by)
                .bind(&c.plugin_hash)
                .bind(&c.plugin_version)
                .bind(c.ended_on.map(date_text))
                .bind(&c.end_reason)
                .bind(i32::from(c.renewal_objected))
                .bind(&c.renewed_from)
                .bind(&c.group_id);
        }
        match query.execute(&mut *conn).await {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(SignError::AlreadySigned { period: chunk[0].period }.into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    insert_lines(conn, contracts).await
}

/// Inserts the lines of contracts whose rows are in place.
pub(super) async fn insert_lines(conn: &mut AnyConnection, contracts: &[Contract]) -> Result<(), ContractWriteError> {
    let lines: Vec<(&Contract, usize, &ContractLine)> =
        contracts.iter().flat_map(|c| c.lines.iter().enumerate().map(move |(i, l)| (c, i, l))).collect();
    for chunk in lines.chunks(rows_per_statement(LINE_WIDTH)) {
        let sql = format!(
            "INSERT INTO contract_lines (contract_id, position, {LINE_COLUMNS}) VALUES {}",
            placeholders(chunk.len(), LINE_WIDTH, 1)
        );
        let mut query = sqlx::query(bulk_sql(backend_of(conn), &sql));
        for (c, position, line) in chunk {
            query = bind_line(query.bind(&c.id).bind(i32::try_from(*position).unwrap_or(i32::MAX)), line);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Binds a line's twelve columns after its contract id and position.
pub(super) fn bind_line<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    line: &'q ContractLine,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query
        .bind(&line.package_code)
        .bind(&line.package_name)
        .bind(line.kind.name())
        .bind(line.list_price)
        .bind(line.quote.discount)
        .bind(line.quote.public_health_fund)
        .bind(line.quote.insurance_fund)
        .bind(line.quote.self_pay)
        .bind(&line.quote.rule)
        .bind(i32::from(line.priced_age))
        .bind(tags_to_text(&line.priced_tags))
        .bind(serde_json::to_string(&line.quote.adjustments).unwrap_or_else(|_| "[]".into()))
}

/// Counts a resident into a team's panel: the household's doctor must be this
/// team (or none yet), and the team must have room.
pub(super) async fn join_team(
    conn: &mut AnyConnection,
    household: Option<&str>,
    team: &str,
    period: Period,
) -> Result<(), ContractWriteError> {
    let mut new_household = 0_i64;
    if let Some(household) = household {
        // The first member sets the household's doctor; later members must match it.
        sqlx::query(
            "INSERT INTO household_doctors (household_id, period, team_id, members) VALUES ($1, $2, $3, 1)
             ON CONFLICT (household_id, period) DO UPDATE SET members = household_doctors.members + 1
             WHERE household_doctors.team_id = excluded.team_id",
        )
        .bind(household)
        .bind(period.year)
        .bind(team)
        .execute(&mut *conn)
        .await?;
        let row = sqlx::query("SELECT team_id, members FROM household_doctors WHERE household_id = $1 AND period = $2")
            .bind(household)
            .bind(period.year)
            .fetch_one(&mut *conn)
            .await?;
        let doctor = text(&row, "team_id")?;
        if doctor != team {
            return Err(SignError::HouseholdHasOtherDoctor { team: doctor, period }.into());
        }
        if row.try_get::<i32, _>("members")? == 1 {
            new_household = 1;
        }
    }
    sqlx::query("INSERT INTO team_load (team_id, period) VALUES ($1, $2) ON CONFLICT (team_id, period) DO NOTHING")
        .bind(team)
        .bind(period.year)
        .execute(&mut *conn)
        .await?;
    let counted = sqlx::query(
        "UPDATE team_load SET residents = residents + 1, households = households + $3
         WHERE team_id = $1 AND period = $2
           AND residents + 1 <= (SELECT capacity_residents FROM teams WHERE id = $1)
           AND households + $3 <= (SELECT capacity_households FROM teams WHERE id = $1)",
    )
    .bind(team)
    .bind(period.year)
    .bind(new_household)
    .execute(&mut *conn)
    .await?;
    if counted.rows_affected() == 1 {
        return Ok(());
    }
    let row = sqlx::query(
        "SELECT l.residents, l.households, t.capacity_residents, t.capacity_households
         FROM team_load l JOIN teams t ON t.id = l.team_id WHERE l.team_id = $1 AND l.period = $2",
    )
    .bind(team)
    .bind(period.year)
    .fetch_one(&mut *conn)
    .await?;
    let residents_full = row.try_get::<i32, _>("residents")? >= row.try_get::<i32, _>("capacity_residents")?;
    let (capacity, unit) = if residents_full {
        (row.try_get::<i32, _>("capacity_residents")?, "residents")
    } else {
        (row.try_get::<i32, _>("capacity_households")?, "households")
    };
    Err(SignError::TeamFull { team: team.to_owned(), period, capacity: i64::from(capacity), unit }.into())
}

/// Counts a resident out of a team's panel, releasing the household's doctor
/// when its last member leaves.
/// Terminates an active contract on `on` within a write transaction: its
/// team's counts and its event go with it.
pub(super) async fn end_contract(
    conn: &mut AnyConnection,
    c: &Contract,
    on: Date,
    actor: &str,
    reason: &str,
) -> Result<(), ContractWriteError> {
    let ended = sqlx::query(
        "UPDATE contracts SET status = 'terminated', ended_on = $1, end_reason = $2 WHERE id = $3 AND status = 'active'",
    )
    .bind(date_text(on))
    .bind(reason)
    .bind(&c.id)
    .execute(&mut *conn)
    .await?;
    if ended.rows_affected() != 1 {
        return Err(LifecycleError::NotActive { id: c.id.clone(), status: ContractStatus::Terminated }.into());
    }
    leave_team(conn, c.household_id.as_deref(), &c.team_id, c.period).await?;
    let event = ContractEvent::Terminated { on, reason: reason.to_owned() };
    events::append(conn, &stream(&c.id), event.kind(), &event, actor, Some(reason)).await?;
    Ok(())
}

async fn leave_team(
    conn: &mut AnyConnection,
    household: Option<&str>,
    team: &str,
    period: Period,
) -> Result<(), ContractWriteError> {
    let mut left_household = 0_i64;
    if let Some(household) = household {
        sqlx::query("UPDATE household_doctors SET members = members - 1 WHERE household_id = $1 AND period = $2")
            .bind(household)
            .bind(period.year)
            .execute(&mut *conn)
            .await?;
        let emptied =
            sqlx::query("DELETE FROM household_doctors WHERE household_id = $1 AND period = $2 AND members <= 0")
                .bind(household)
                .bind(period.year)
                .execute(&mut *conn)
                .await?;
        left_household = i64::try_from(emptied.rows_affected()).unwrap_or(0);
    }
    sqlx::query(
        "UPDATE team_load SET residents = residents - 1, households = households - $3 WHERE team_id = $1 AND period = $2",
    )
    .bind(team)
    .bind(period.year)
    .bind(left_household)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A line's stored values, its position first, then [`LINE_COLUMNS`]: an
/// element of [`lines_json`]'s array.
#[derive(serde::Deserialize)]
struct LineParts(i64, String, String, String, i64, i64, i64, i64, i64, String, i64, String, String);

fn line_of(p: LineParts) -> Result<ContractLine, StoreError> {
    let corrupt = |column, value: String| StoreError::Corrupt { table: "contract_lines", column, value };
    let LineParts(
        _,
        package_code,
        package_name,
        kind,
        list_price,
        discount,
        public_health_fund,
        insurance_fund,
        self_pay,
        rule,
        age,
        tags,
        adjustments,
    ) = p;
    Ok(ContractLine {
        package_code,
        package_name,
        kind: PackageKind::from_name(&kind).ok_or_else(|| corrupt("kind", kind.clone()))?,
        list_price,
        quote: Quote {
            discount,
            adjustments: serde_json::from_str(&adjustments).map_err(|_| corrupt("adjustments", adjustments.clone()))?,
            public_health_fund,
            insurance_fund,
            self_pay,
            rule,
        },
        priced_age: u8::try_from(age).map_err(|_| corrupt("priced_age", age.to_string()))?,
        priced_tags: tags_from_text(&tags).map_err(|_| corrupt("priced_tags", tags.clone()))?,
    })
}

/// A contract's lines as one JSON array of [`LineParts`], a column of its
/// contract's row (`c`). Decoding a row's values is most of the cost of
/// reading a county's million contracts: this makes each contract's lines
/// one value instead of a row of fourteen each.
fn lines_json(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "(SELECT json_group_array(json_array(l.position, l.package_code, l.package_name, l.kind, l.list_price, \
             l.discount, l.public_health_fund, l.insurance_fund, l.self_pay, l.rule, l.priced_age, l.priced_tags, \
             l.adjustments)) FROM contract_lines l WHERE l.contract_id = c.id) AS lines"
        }
        Backend::Postgres => {
            "(SELECT COALESCE(json_agg(json_build_array(l.position, l.package_code, l.package_name, l.kind, \
             l.list_price, l.discount, l.public_health_fund, l.insurance_fund, l.self_pay, l.rule, l.priced_age, \
             l.priced_tags, l.adjustments)), '[]'::json)::text FROM contract_lines l WHERE l.contract_id = c.id) AS lines"
        }
    }
}

/// The lines [`lines_json`] gave, in their order.
fn lines_from_json(row: &AnyRow) -> Result<Vec<ContractLine>, StoreError> {
    let json = text(row, "lines")?;
    let mut parts: Vec<LineParts> = serde_json::from_str(&json).map_err(|_| StoreError::Corrupt {
        table: "contract_lines",
        column: "*",
        value: json.clone(),
    })?;
    parts.sort_by_key(|p| p.0);
    parts.into_iter().map(line_of).collect()
}
