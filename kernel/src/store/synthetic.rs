//! Set-based seeding for benchmarks and crash tests (see `crate::synthetic`):
//! a period's contracts for a whole county in four statements.

use super::contracts::{LINE_COLUMNS, bind_line};
use super::{Store, StoreError, date_text};
use crate::contracts::{ContractLine, Period};
use crate::org::Team;

impl Store {
    /// Signs every resident of `team`'s county who has no active contract in
    /// `period` with `team`, `line` as the only line, one in sixteen objecting
    /// to renewal. Writes no events: this is load, not history. Returns how
    /// many contracts it made.
    pub async fn seed_synthetic_contracts(
        &self,
        team: &Team,
        period: Period,
        line: &ContractLine,
        plugin: (&str, &str),
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let made = sqlx::query(
            "INSERT INTO contracts (id, resident_id, household_id, team_id, institution_id, county_code, period, status,
                                    signed_on, signed_by, plugin_hash, plugin_version, renewal_objected)
             SELECT 'syn-' || r.id, r.id, r.household_id, $1, $2, $3, $4, 'active', $5, 'synthetic', $6, $7,
                    CASE WHEN substr(r.id, length(r.id)) = '0' THEN 1 ELSE 0 END
             FROM residents r
             WHERE r.county_code = $3
               AND NOT EXISTS (SELECT 1 FROM contracts c WHERE c.resident_id = r.id AND c.period = $4 AND c.status = 'active')",
        )
        .bind(&team.id)
        .bind(&team.institution_id)
        .bind(&team.county_code)
        .bind(period.year)
        .bind(date_text(period.start()))
        .bind(plugin.0)
        .bind(plugin.1)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let lines = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO contract_lines (contract_id, position, {LINE_COLUMNS})
             SELECT c.id, 0, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 FROM contracts c
             WHERE c.team_id = $1 AND c.period = $2 AND c.signed_by = 'synthetic'
               AND NOT EXISTS (SELECT 1 FROM contract_lines l WHERE l.contract_id = c.id)"
        )));
        bind_line(lines.bind(&team.id).bind(period.year), line).execute(&mut *tx).await?;
        // The household's doctor and the team's load, as signing one by one would have left them.
        sqlx::query("DELETE FROM household_doctors WHERE team_id = $1 AND period = $2")
            .bind(&team.id)
            .bind(period.year)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO household_doctors (household_id, period, team_id, members)
             SELECT household_id, $2, $1, COUNT(*) FROM contracts
             WHERE team_id = $1 AND period = $2 AND status = 'active' AND household_id IS NOT NULL GROUP BY household_id",
        )
        .bind(&team.id)
        .bind(period.year)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM team_load WHERE team_id = $1 AND period = $2")
            .bind(&team.id)
            .bind(period.year)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO team_load (team_id, period, households, residents)
             SELECT $1, $2, COUNT(DISTINCT household_id), COUNT(*) FROM contracts
             WHERE team_id = $1 AND period = $2 AND status = 'active'",
        )
        .bind(&team.id)
        .bind(period.year)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(made)
    }
}
