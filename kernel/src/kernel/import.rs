//! Import of the poverty-alleviation department's list: read and check every
//! row, write the good ones in chunks, report each bad one by line.

use std::collections::HashMap;
use std::io::Read;

use serde::Serialize;
use time::Date;
use utoipa::ToSchema;

use super::{Kernel, KernelError};
use crate::authz::{Action, Principal};
use crate::residents::poverty_list::{Columns, ListError, PovertyRow, RowRejection};
use crate::store::{Holder, ImportedChunk};

/// Rows written per transaction: larger commits write each touched index
/// page less often; a crash loses at most this many, which a re-import of
/// the same file then writes.
const CHUNK: usize = 10_000;

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    /// Data rows read (the header not counted).
    pub rows: u64,
    pub residents_created: u64,
    pub households_created: u64,
    /// Poverty statuses recorded on residents who did not have them.
    pub tags_added: u64,
    /// Rows already fully in the registry: a re-import has only these.
    pub unchanged: u64,
    /// Every row that did not go in, with its line and why.
    pub rejected: Vec<RowRejection>,
}

impl ImportReport {
    fn add(&mut self, chunk: ImportedChunk, elsewhere: impl Fn(&Holder) -> KernelError) {
        self.residents_created += chunk.residents_created;
        self.households_created += chunk.households_created;
        self.tags_added += chunk.tags_added;
        self.unchanged += chunk.unchanged;
        let refused = chunk
            .elsewhere
            .iter()
            .map(|(line, holder)| RowRejection { line: *line, reason: elsewhere(holder).to_string() });
        self.rejected.extend(refused);
    }
}

impl Kernel {
    /// Imports `county`'s poverty list from CSV, the poverty status recorded
    /// as of `recorded_on`. Good rows go in even when others are rejected;
    /// `progress` hears the bytes read so far after each chunk.
    pub async fn import_poverty_list(
        &self,
        who: &Principal,
        county: &str,
        csv: impl Read,
        recorded_on: Date,
        mut progress: impl FnMut(u64),
    ) -> Result<ImportReport, KernelError> {
        self.county_for(who, Action::ImportResidents, county).await?;
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(csv);
        let header =
            reader.headers().map_err(|e| KernelError::Invalid(format!("the header line: {}", unreadable(&e))))?;
        if header.is_empty() {
            return Err(ListError::Empty.into());
        }
        let columns = Columns::from_header(header.iter())?;

        let today = self.clock.today();
        let elsewhere = |holder: &Holder| self.registered_elsewhere(who, holder);
        let mut report = ImportReport::default();
        // A person listed twice is a mistake in the list, reported at the second line.
        let mut first_line: HashMap<String, u64> = HashMap::new();
        let mut chunk: Vec<PovertyRow> = Vec::with_capacity(CHUNK);
        let mut record = csv::StringRecord::new();
        loop {
            let line = reader.position().line();
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                    return Err(KernelError::Invalid(format!("cannot read the list: {e}")));
                }
                Err(e) => {
                    report.rows += 1;
                    report.rejected.push(RowRejection { line: line_of(&e).unwrap_or(line), reason: unreadable(&e) });
                    continue;
                }
            }
            report.rows += 1;
            let line = record.position().map_or(line, |p| p.line());
            let row = match columns.row(line, today, |i| record.get(i)) {
                Ok(row) => row,
                Err(rejection) => {
                    report.rejected.push(rejection);
                    continue;
                }
            };
            if let Some(first) = first_line.get(row.citizen_id.expose()) {
                let reason = format!("the same citizen ID is already on line {first}");
                report.rejected.push(RowRejection { line, reason });
                continue;
            }
            first_line.insert(row.citizen_id.expose().to_owned(), line);
            chunk.push(row);
            if chunk.len() == CHUNK {
                report.add(self.store.import_poverty_rows(county, &chunk, recorded_on, &who.subject).await?, elsewhere);
                chunk.clear();
                progress(reader.position().byte());
            }
        }
        if !chunk.is_empty() {
            report.add(self.store.import_poverty_rows(county, &chunk, recorded_on, &who.subject).await?, elsewhere);
        }
        progress(reader.position().byte());
        report.rejected.sort_by_key(|r| r.line);
        Ok(report)
    }
}

fn line_of(error: &csv::Error) -> Option<u64> {
    error.position().map(|p| p.line())
}

/// A row the CSV reader could not read, in words a clerk can act on.
fn unreadable(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "the row is not UTF-8 text: save the list as UTF-8 (not GBK) and import it again".into()
        }
        _ => format!("the row cannot be read as CSV: {error}"),
    }
}
