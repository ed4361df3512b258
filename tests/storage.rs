//! Storage behaviour that must hold on both databases: persistence of priced
//! contracts, all-or-nothing writes, and one winner when two clerks sign the
//! same resident at the same moment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::sync::Arc;

use common::{databases, kernel, member, sign};
use qianyue::KernelError;
use qianyue::contracts::SignError;
use tokio::sync::Barrier;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_clerks_signing_one_resident_at_once_exactly_one_wins() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let kernel = kernel(&database, data.path(), &[]).await;
        // Several rounds, each racing both teams of one township for one resident.
        for resident in ["res-pei-001", "res-pei-003", "res-pei-005"] {
            let barrier = Arc::new(Barrier::new(2));
            let attempts = ["team-anguo-1", "team-anguo-2"].map(|team| {
                let (kernel, barrier) = (kernel.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    kernel.sign(&member("320322", team), sign(resident, team, &["PEI-GW"])).await
                })
            });
            let mut results = Vec::new();
            for attempt in attempts {
                results.push(attempt.await.unwrap());
            }
            let wins = results.iter().filter(|r| r.is_ok()).count();
            assert_eq!(wins, 1, "{}: {resident}: {results:?}", database.name);
            let loser = results.iter().find_map(|r| r.as_ref().err()).unwrap();
            assert!(
                matches!(loser, KernelError::Sign(SignError::AlreadySigned { .. })),
                "{}: the loser is told it lost: {loser:?}",
                database.name
            );
            let stored = kernel.store.contracts_of_resident(resident).await.unwrap();
            assert_eq!(stored.len(), 1, "{}: one contract stored", database.name);
        }
    }
}

#[tokio::test]
async fn a_signed_contract_reads_back_exactly_as_priced() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let kernel = kernel(&database, data.path(), &[]).await;
        let who = member("320322", "team-anguo-1");
        let signed =
            kernel.sign(&who, sign("res-pei-006", "team-anguo-1", &["PEI-GW", "PEI-NZ", "PEI-LN"])).await.unwrap();
        let read = kernel.store.contract(&signed.id).await.unwrap().unwrap();
        assert_eq!(read, signed, "{}", database.name);
        assert_eq!(read.lines.len(), 3);
        assert_eq!(read.lines[0].package_code, "PEI-GW", "basic package first");
        assert!(read.lines.iter().all(|l| l.priced_tags.contains(&qianyue::residents::Tag::Elderly)));
        assert_eq!(read.self_pay(), 36_000 + 12_000, "stroke rehab and elderly care at list price");
    }
}

#[tokio::test]
async fn a_refused_signing_writes_nothing() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let kernel = kernel(&database, data.path(), &[]).await;
        let who = member("320322", "team-anguo-1");
        // The maternal package is refused for a man; the whole contract is refused.
        let refused = kernel.sign(&who, sign("res-pei-005", "team-anguo-1", &["PEI-GW", "PEI-YY"])).await;
        assert!(matches!(refused, Err(KernelError::Sign(SignError::NotEligible { .. }))), "{refused:?}");
        assert!(kernel.store.contracts_of_resident("res-pei-005").await.unwrap().is_empty(), "{}", database.name);
        // And the resident can still sign afterwards.
        kernel.sign(&who, sign("res-pei-005", "team-anguo-1", &["PEI-GW"])).await.unwrap();
    }
}

#[tokio::test]
async fn a_team_of_another_county_cannot_sign_even_when_policies_would_let_it() {
    for database in databases().await {
        let data = tempfile::tempdir().unwrap();
        let kernel = kernel(&database, data.path(), &[]).await;
        // A Feng member naming a Feng team for a Pei resident: the policies refuse first.
        let feng = member("320321", "team-huankou-1");
        let refused = kernel.sign(&feng, sign("res-pei-005", "team-huankou-1", &["PEI-GW"])).await;
        assert!(matches!(refused, Err(KernelError::Denied(_))), "{}: {refused:?}", database.name);
    }
}
