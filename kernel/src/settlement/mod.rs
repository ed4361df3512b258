//! Settlement (结算): what each team of a county is paid for a period, by the
//! county's incentive plugin, from what the kernel recorded.
//!
//! Owns how a team's period becomes the plugin's `team-activity` (its
//! signings, deliveries against what was owed, assessment score and the care
//! its residents' claims cost) and the finance office's exports (CSV, XLSX).
//! Pure: the kernel loads the inputs, calls the plugin and stores the result.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use crate::assessment::Priced;
use crate::claims::StoredClaim;
use crate::contracts::Period;
use crate::fulfilment::{self, ServiceRecord};
use crate::plugins::{Fen, ItemDelivery, PackageSignings, Settlement, SettlementKind, TeamActivity};
use crate::text::spreadsheet_cell;

/// A team's period as its settlement sees it. Contracts of any status
/// count: a terminated contract was signed and owed until it ended.
pub fn activity(
    period: Period,
    contracts: &[&Priced],
    records: &[ServiceRecord],
    claims: &[StoredClaim],
    assessment_score: u8,
) -> TeamActivity {
    let mut by_contract: HashMap<&str, Vec<ServiceRecord>> = HashMap::new();
    for r in records {
        by_contract.entry(r.contract_id.as_str()).or_default().push(r.clone());
    }
    let residents: BTreeSet<&str> = contracts.iter().map(|(c, _)| c.resident_id.as_str()).collect();
    let households: BTreeSet<&str> = contracts.iter().filter_map(|(c, _)| c.household_id.as_deref()).collect();
    let mut signings: BTreeMap<&str, u32> = BTreeMap::new();
    let mut deliveries: BTreeMap<(String, String), (u32, u32)> = BTreeMap::new();
    for (contract, packages) in contracts {
        for line in &contract.lines {
            *signings.entry(line.package_code.as_str()).or_default() += 1;
        }
        let own = by_contract.get(contract.id.as_str()).map_or(&[][..], Vec::as_slice);
        for item in fulfilment::schedule(contract, packages, own, period.end()) {
            let entry = deliveries.entry((item.package_code, item.item_code)).or_default();
            entry.0 += item.owed;
            // Deliveries beyond what was owed earn nothing.
            entry.1 += item.delivered.min(item.owed);
        }
    }
    let contract_ids: BTreeSet<&str> = contracts.iter().map(|(c, _)| c.id.as_str()).collect();
    TeamActivity {
        period: u16::try_from(period.year).unwrap_or_default(),
        residents_signed: u32::try_from(residents.len()).unwrap_or(u32::MAX),
        households_signed: u32::try_from(households.len()).unwrap_or(u32::MAX),
        signings: signings
            .into_iter()
            .map(|(code, signings)| PackageSignings { package_code: code.to_owned(), signings })
            .collect(),
        deliveries: deliveries
            .into_iter()
            .map(|((package_code, item_code), (owed, delivered))| ItemDelivery {
                package_code,
                item_code,
                owed,
                delivered,
            })
            .collect(),
        assessment_score,
        care_spent: claims.iter().filter(|c| contract_ids.contains(c.contract_id.as_str())).map(|c| c.amount).sum(),
    }
}

/// One team's settlement of a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TeamSettlement {
    pub team_id: String,
    pub team_name: String,
    /// What the plugin was given.
    pub activity: TeamActivity,
    pub settlement: Settlement,
}

/// A county's settlement of a period: every team's, stored once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SettlementReport {
    pub county_code: String,
    pub period: i32,
    pub plugin_hash: String,
    pub plugin_version: String,
    pub settled_by: String,
    pub settled_at: String,
    /// Whether the settlement was stored by an earlier run, which this run
    /// recomputed and found identical.
    pub stored_before: bool,
    pub teams: Vec<TeamSettlement>,
    /// All teams together, in fen.
    pub total: Fen,
}

const KINDS: [(SettlementKind, &str); 5] = [
    (SettlementKind::PerSigning, "签约奖励 per signing"),
    (SettlementKind::Fulfilment, "履约 fulfilment"),
    (SettlementKind::Capitation, "按人头 capitation"),
    (SettlementKind::SurplusReward, "结余留用 surplus reward"),
    (SettlementKind::Subsidy, "签约补助 subsidy"),
];

/// The finance office's table: a row per team; every amount in fen.
fn rows(report: &SettlementReport) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut header: Vec<String> =
        ["团队 team", "团队名称 name", "签约人数 residents", "签约户数 households", "考核得分 score"]
            .map(str::to_owned)
            .to_vec();
    header.extend(KINDS.iter().map(|(_, name)| format!("{name} (分)")));
    header.push("合计 total (分)".to_owned());
    let rows = report
        .teams
        .iter()
        .map(|t| {
            let mut row = vec![
                Cell::Text(t.team_id.clone()),
                Cell::Text(t.team_name.clone()),
                Cell::Number(i64::from(t.activity.residents_signed)),
                Cell::Number(i64::from(t.activity.households_signed)),
                Cell::Number(i64::from(t.activity.assessment_score)),
            ];
            for (kind, _) in KINDS {
                let amount = t.settlement.lines.iter().filter(|l| l.kind == kind).map(|l| l.amount).sum();
                row.push(Cell::Number(amount));
            }
            row.push(Cell::Number(t.settlement.total));
            row
        })
        .collect();
    (header, rows)
}

enum Cell {
    Text(String),
    Number(i64),
}

/// The settlement as CSV (RFC 4180, UTF-8 with a byte-order mark so that
/// spreadsheet programs read the Chinese headers).
pub fn csv(report: &SettlementReport) -> String {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
    };
    let (header, rows) = rows(report);
    let mut out = String::from("\u{feff}");
    out.push_str(&header.iter().map(|h| quote(h)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(s) => quote(&spreadsheet_cell(s)),
                Cell::Number(n) => n.to_string(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The settlement as an XLSX workbook: the table, then a row of totals.
pub fn xlsx(report: &SettlementReport) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let (header, rows) = rows(report);
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(format!("{} {}", report.county_code, report.period))?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (col, title) in (0u16..).zip(&header) {
        sheet.write_string_with_format(0, col, title, &bold)?;
    }
    for (row, cells) in (1u32..).zip(&rows) {
        for (col, cell) in (0u16..).zip(cells) {
            match cell {
                Cell::Text(s) => sheet.write_string(row, col, spreadsheet_cell(s))?,
                // Fen are whole numbers far below 2^53: exact as a spreadsheet number.
                Cell::Number(n) => sheet.write_number(row, col, *n as f64)?,
            };
        }
    }
    let total_row = u32::try_from(rows.len()).unwrap_or(u32::MAX).saturating_add(1);
    sheet.write_string_with_format(total_row, 0, "合计 total", &bold)?;
    let last_col = u16::try_from(header.len()).unwrap_or(u16::MAX).saturating_sub(1);
    sheet.write_number_with_format(total_row, last_col, report.total as f64, &bold)?;
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests;
