//! Contracts and their priced lines, written in one transaction.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, date, date_text, is_unique_violation, parsed, text};
use crate::contracts::{Contract, ContractLine, ContractStatus, Period, SignError};
use crate::plugins::{PackageKind, Quote};
use crate::residents::{tags_from_text, tags_to_text};

/// Storing a contract failed.
#[derive(Debug, thiserror::Error)]
pub enum InsertContractError {
    /// Lost the race, or signed before: the unique index decided.
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

const CONTRACT_COLUMNS: &str = "id, resident_id, team_id, county_code, period, status, signed_on, signed_by, plugin_hash, plugin_version";

impl Store {
    /// Stores a contract with all its lines, or nothing.
    pub async fn insert_contract(&self, c: &Contract) -> Result<(), InsertContractError> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO contracts ({CONTRACT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )))
        .bind(&c.id)
        .bind(&c.resident_id)
        .bind(&c.team_id)
        .bind(&c.county_code)
        .bind(c.period.year)
        .bind(c.status.name())
        .bind(date_text(c.signed_on))
        .bind(&c.signed_by)
        .bind(&c.plugin_hash)
        .bind(&c.plugin_version)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(SignError::AlreadySigned { period: c.period }.into());
            }
            Err(e) => return Err(StoreError::from(e).into()),
        }
        for (position, line) in c.lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO contract_lines (contract_id, position, package_code, package_name, kind, list_price, discount,
                 public_health_fund, insurance_fund, self_pay, rule, priced_age, priced_tags)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&c.id)
            .bind(i32::try_from(position).unwrap_or(i32::MAX))
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
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    pub async fn contract(&self, id: &str) -> Result<Option<Contract>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTRACT_COLUMNS} FROM contracts WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(self.with_lines(&row).await?)),
            None => Ok(None),
        }
    }

    /// A resident's contracts, newest period first.
    pub async fn contracts_of_resident(
        &self,
        resident_id: &str,
    ) -> Result<Vec<Contract>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTRACT_COLUMNS} FROM contracts WHERE resident_id = $1 ORDER BY period DESC, signed_on DESC, id"
        )))
        .bind(resident_id)
        .fetch_all(&self.pool)
        .await?;
        let mut contracts = Vec::with_capacity(rows.len());
        for row in &rows {
            contracts.push(self.with_lines(row).await?);
        }
        Ok(contracts)
    }

    async fn with_lines(&self, row: &AnyRow) -> Result<Contract, StoreError> {
        let id = text(row, "id")?;
        let lines = sqlx::query(
            "SELECT package_code, package_name, kind, list_price, discount, public_health_fund, insurance_fund,
             self_pay, rule, priced_age, priced_tags FROM contract_lines WHERE contract_id = $1 ORDER BY position",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Contract {
            resident_id: text(row, "resident_id")?,
            team_id: text(row, "team_id")?,
            county_code: text(row, "county_code")?,
            period: Period {
                year: row.try_get::<i32, _>("period")?,
            },
            status: parsed(row, "contracts", "status", ContractStatus::from_name)?,
            signed_on: date(row, "contracts", "signed_on")?,
            signed_by: text(row, "signed_by")?,
            plugin_hash: text(row, "plugin_hash")?,
            plugin_version: text(row, "plugin_version")?,
            lines: lines.iter().map(line).collect::<Result<_, _>>()?,
            id,
        })
    }
}

fn line(r: &AnyRow) -> Result<ContractLine, StoreError> {
    let age = r.try_get::<i32, _>("priced_age")?;
    Ok(ContractLine {
        package_code: text(r, "package_code")?,
        package_name: text(r, "package_name")?,
        kind: parsed(r, "contract_lines", "kind", PackageKind::from_name)?,
        list_price: r.try_get("list_price")?,
        quote: Quote {
            discount: r.try_get("discount")?,
            public_health_fund: r.try_get("public_health_fund")?,
            insurance_fund: r.try_get("insurance_fund")?,
            self_pay: r.try_get("self_pay")?,
            rule: text(r, "rule")?,
        },
        priced_age: u8::try_from(age).map_err(|_| StoreError::Corrupt {
            table: "contract_lines",
            column: "priced_age",
            value: age.to_string(),
        })?,
        priced_tags: parsed(r, "contract_lines", "priced_tags", |t| {
            tags_from_text(t).ok()
        })?,
    })
}
