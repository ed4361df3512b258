//! The annual renewal (视为自动续约): when a period has ended, each active
//! contract of a county renews its basic package into the next period with
//! the same team, unless the resident objected; personalised packages do
//! not renew. A chunk at a time, resumable after a crash.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use super::{Kernel, KernelError};
use crate::authz::{Action, Principal};
use crate::contracts::{Contract, ContractLine, NotRenewed, Period};
use crate::plugins::{PluginError, PriceRequest, Refusal, ResidentFacts};
use crate::residents::Resident;
use crate::store::RenewalWriteError;

/// Contracts per transaction at the most.
pub const MAX_CHUNK: u32 = 5000;

/// Quotes per plugin call. A batch gets a call's fuel and time per request
/// (`Limits::for_items`), so this bounds how long a runaway batch can hold
/// a thread (100 × 50 ms) while keeping the per-call cost of a fresh,
/// configured instance small beside the quotes.
pub(super) const PRICE_BATCH: usize = 100;

/// How far a renewal has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalProgress {
    /// Contracts handled, renewed or not, including by earlier runs.
    pub done: u64,
    pub total: u64,
}

/// What a renewal run did, counting what earlier runs of it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RenewalReport {
    pub county_code: String,
    pub from_period: Period,
    pub to_period: Period,
    pub renewed: u64,
    /// Contracts that expired without a renewal, by reason (`objected`, `team_full`, …).
    pub not_renewed: BTreeMap<String, u64>,
    /// Contracts an earlier, interrupted run of the same renewal had handled.
    pub resumed_after: u64,
}

/// A chunk read and priced, ready to be written.
struct Chunk {
    /// Where it starts (exclusive) and ends, in contract id order.
    after: String,
    last: String,
    handled: u64,
    renewals: Vec<Contract>,
    refused: Vec<(String, NotRenewed)>,
}

impl Kernel {
    /// Renews `county`'s contracts of the ended period `from` into the next,
    /// `chunk` contracts per transaction.
    pub async fn renew(
        &self,
        who: &Principal,
        county: &str,
        from: Period,
        chunk: u32,
        mut progress: impl FnMut(RenewalProgress),
    ) -> Result<RenewalReport, KernelError> {
        self.county_for(who, Action::RenewContracts, county).await?;
        self.check_disclosure(county)?;
        if self.clock.today() <= from.end() {
            return Err(KernelError::Invalid(format!(
                "period {} runs until {}: its contracts renew once it has ended",
                from.year,
                from.end()
            )));
        }
        // The renewals start the next period: the plugin of that day prices them.
        let plugin = self.plugins.for_county(county, from.next().start())?;
        let chunk = chunk.clamp(1, MAX_CHUNK);
        let run = self.store.start_renewal(county, from).await?;
        let earlier = run.renewed + run.not_renewed;
        let total = earlier + run.remaining;
        let mut report = RenewalReport {
            county_code: county.to_owned(),
            from_period: from,
            to_period: from.next(),
            renewed: run.renewed,
            not_renewed: BTreeMap::new(),
            resumed_after: earlier,
        };
        if run.not_renewed > 0 {
            report.not_renewed.insert("in_earlier_runs".into(), run.not_renewed);
        }
        let mut done = earlier;
        progress(RenewalProgress { done, total });
        // A pipeline: while one chunk is written, the next is read and priced
        // on another connection (SQLite's WAL lets readers run beside the writer).
        let mut current = self.prepare_chunk(who, &plugin, county, from, String::new(), chunk).await?;
        while let Some(batch) = current {
            let handled = batch.handled;
            let (written, next) = tokio::join!(
                self.store.write_renewals(county, from, batch.renewals, batch.refused, &who.subject),
                self.prepare_chunk(who, &plugin, county, from, batch.last.clone(), chunk),
            );
            let (renewed, refused) = match written {
                Ok(outcome) => outcome,
                // Someone changed one of these contracts meanwhile: read the chunk again.
                Err(RenewalWriteError::Raced) => {
                    current = self.prepare_chunk(who, &plugin, county, from, batch.after, chunk).await?;
                    continue;
                }
                Err(RenewalWriteError::Store(e)) => return Err(e.into()),
            };
            current = next?;
            report.renewed += renewed;
            for (_, why) in refused {
                *report.not_renewed.entry(why.kind().to_owned()).or_default() += 1;
            }
            done += handled;
            progress(RenewalProgress { done, total });
        }
        self.store.finish_renewal(county, from).await?;
        Ok(report)
    }

    /// Reads and prices the chunk of contracts after `after`; `None` when
    /// none is left.
    async fn prepare_chunk(
        &self,
        who: &Principal,
        plugin: &Arc<crate::plugins::Plugin>,
        county: &str,
        from: Period,
        after: String,
        chunk: u32,
    ) -> Result<Option<Chunk>, KernelError> {
        let contracts = self.store.renewal_chunk(county, from, &after, chunk).await?;
        let Some(last) = contracts.last().map(|(c, _)| c.id.clone()) else { return Ok(None) };
        let handled = contracts.len() as u64;
        let (renewals, refused) = self.price_renewals(who, plugin, contracts).await?;
        Ok(Some(Chunk { after, last, handled, renewals, refused }))
    }

    /// Decides each contract's renewal and reprices the basic packages in one
    /// plugin call, with the residents' facts on the first day of the new period.
    async fn price_renewals(
        &self,
        who: &Principal,
        plugin: &Arc<crate::plugins::Plugin>,
        contracts: Vec<(Contract, Resident)>,
    ) -> Result<(Vec<Contract>, Vec<(String, NotRenewed)>), KernelError> {
        let mut refused = Vec::new();
        let mut pending: Vec<(Contract, Resident, ContractLine)> = Vec::new();
        let mut requests = Vec::new();
        for (contract, resident) in contracts {
            // Personalised packages renew only by the resident's own choice.
            let Some(basic) = contract.renewable_lines().into_iter().next().cloned() else {
                let why = if contract.renewal_objected { NotRenewed::Objected } else { NotRenewed::NoBasicPackage };
                refused.push((contract.id.clone(), why));
                continue;
            };
            let Some(package) = plugin.catalogue.iter().find(|p| p.code == basic.package_code) else {
                refused.push((contract.id.clone(), NotRenewed::Withdrawn(basic.package_code.clone())));
                continue;
            };
            let starts = contract.period.next().start();
            let facts =
                ResidentFacts { age: resident.age_on(starts), sex: resident.sex(), tags: resident.tags_on(starts) };
            requests.push(PriceRequest {
                package_code: package.code.clone(),
                resident: facts,
                starts_on: starts,
                list_price: package.list_price,
            });
            pending.push((contract, resident, basic));
        }
        let (requests, quotes) = {
            let plugin = Arc::clone(plugin);
            crate::plugins::off_runtime(move || -> Result<(Vec<PriceRequest>, Vec<_>), PluginError> {
                let mut quotes = Vec::with_capacity(requests.len());
                for batch in requests.chunks(PRICE_BATCH) {
                    quotes.extend(plugin.price_batch(batch)?);
                }
                Ok((requests, quotes))
            })
            .await?
        };
        let mut renewals = Vec::with_capacity(pending.len());
        for ((contract, resident, basic), (request, quote)) in pending.into_iter().zip(requests.into_iter().zip(quotes))
        {
            let quote = match quote {
                Ok(quote) => quote,
                Err(Refusal::NotEligible(reason) | Refusal::InvalidRequest(reason)) => {
                    refused.push((
                        contract.id.clone(),
                        NotRenewed::NotEligible { package: basic.package_code.clone(), reason },
                    ));
                    continue;
                }
                Err(Refusal::UnknownPackage(code)) => {
                    refused.push((contract.id.clone(), NotRenewed::Withdrawn(code)));
                    continue;
                }
            };
            let line = ContractLine {
                package_code: basic.package_code.clone(),
                package_name: basic.package_name.clone(),
                kind: basic.kind,
                list_price: request.list_price,
                quote,
                priced_age: request.resident.age,
                priced_tags: request.resident.tags,
            };
            let id = uuid::Uuid::now_v7().to_string();
            renewals.push(contract.renewal(
                id,
                resident.household_id,
                vec![line],
                &who.subject,
                (&plugin.hash, &plugin.info.version),
            ));
        }
        Ok((renewals, refused))
    }
}
