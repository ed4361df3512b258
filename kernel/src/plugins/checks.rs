//! The kernel's checks on what a plugin answers. A plugin is untrusted: an
//! answer that fails here is an error shown to the county, never a stored
//! number.

use std::collections::HashSet;

use super::model::{Adjudication, Fen, Package, PackageKind, Quote, Settlement};

/// Sums amounts, `None` on overflow so that a huge answer is refused rather
/// than wrapped.
fn sum(amounts: impl IntoIterator<Item = Fen>) -> Option<Fen> {
    amounts.into_iter().try_fold(0, Fen::checked_add)
}

fn negative<'a>(named: impl IntoIterator<Item = (&'a str, Fen)>) -> Result<(), String> {
    match named.into_iter().find(|(_, v)| *v < 0) {
        Some((name, value)) => Err(format!("{name} is negative ({value} fen)")),
        None => Ok(()),
    }
}

/// A quote must split exactly what remains of the list price after its
/// reductions, and its itemised reductions must add up to the discount.
pub(super) fn quote(list_price: Fen, q: &Quote) -> Result<(), String> {
    negative([
        ("discount", q.discount),
        ("public-health-fund", q.public_health_fund),
        ("insurance-fund", q.insurance_fund),
        ("self-pay", q.self_pay),
    ])?;
    negative(q.adjustments.iter().map(|a| ("an adjustment", a.amount)))?;
    if !q.adjustments.is_empty() && sum(q.adjustments.iter().map(|a| a.amount)) != Some(q.discount) {
        return Err(format!("the adjustments do not add up to the discount of {} fen", q.discount));
    }
    let paid = sum([q.public_health_fund, q.insurance_fund, q.self_pay]);
    match (paid, list_price.checked_sub(q.discount)) {
        (Some(paid), Some(due)) if paid == due => Ok(()),
        _ => Err(format!(
            "the payers' shares ({} + {} + {} fen) do not add up to list price {list_price} minus discount {} fen",
            q.public_health_fund, q.insurance_fund, q.self_pay, q.discount
        )),
    }
}

/// Every share non-negative, together exactly the claim.
pub(super) fn adjudication(amount: Fen, a: &Adjudication) -> Result<(), String> {
    negative(a.shares.iter().map(|s| ("a share", s.amount)))?;
    match sum(a.shares.iter().map(|s| s.amount)) {
        Some(total) if total == amount => Ok(()),
        total => Err(format!(
            "the shares add up to {} fen, not to the claim's {amount} fen",
            total.map_or_else(|| "more than".to_owned(), |t| t.to_string())
        )),
    }
}

/// Every line non-negative, their sum the total.
pub(super) fn settlement(s: &Settlement) -> Result<(), String> {
    negative(s.lines.iter().map(|l| ("a settlement line", l.amount)).chain([("the total", s.total)]))?;
    match sum(s.lines.iter().map(|l| l.amount)) {
        Some(total) if total == s.total => Ok(()),
        _ => Err(format!("the lines do not add up to the total of {} fen", s.total)),
    }
}

/// A catalogue the kernel can rely on: unique codes, no negative prices, and
/// every personalised package bundled with a basic one that exists.
pub(super) fn catalogue(packages: &[Package]) -> Result<(), String> {
    let mut seen = HashSet::new();
    for p in packages {
        if !seen.insert(p.code.as_str()) {
            return Err(format!("package code `{}` appears twice in the catalogue", p.code));
        }
        if p.list_price < 0 {
            return Err(format!("package `{}` has a negative list price", p.code));
        }
        if let Some(item) = p.items.iter().find(|i| i.price_cap.is_some_and(|cap| cap < 0)) {
            return Err(format!("item `{}` of package `{}` has a negative price cap", item.code, p.code));
        }
    }
    for p in packages {
        match (p.kind, &p.bundled_with) {
            (PackageKind::Basic, Some(_)) => {
                return Err(format!("basic package `{}` cannot be bundled with another", p.code));
            }
            (PackageKind::Personalised, None) => {
                return Err(format!("personalised package `{}` names no basic package to bundle with", p.code));
            }
            (PackageKind::Personalised, Some(basic)) => {
                let is_basic = packages.iter().any(|b| &b.code == basic && b.kind == PackageKind::Basic);
                if !is_basic {
                    return Err(format!(
                        "package `{}` is bundled with `{basic}`, which is not a basic package of the catalogue",
                        p.code
                    ));
                }
            }
            (PackageKind::Basic, None) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::model::{Adjustment, AdjustmentKind, Payer, SettlementKind, SettlementLine, Share, ShareKind};
    use crate::residents::Tags;

    fn q(discount: Fen, phf: Fen, ins: Fen, own: Fen) -> Quote {
        Quote {
            discount,
            adjustments: vec![],
            public_health_fund: phf,
            insurance_fund: ins,
            self_pay: own,
            rule: String::new(),
        }
    }

    #[test]
    fn quote_checks_name_the_problem() {
        assert_eq!(quote(1000, &q(600, 100, 100, 200)), Ok(()));
        assert!(quote(1000, &q(0, 0, 0, 999)).unwrap_err().contains("do not add up"));
        assert!(quote(1000, &q(0, 0, 1001, -1)).unwrap_err().contains("self-pay is negative"));
        assert!(quote(i64::MAX, &q(0, i64::MAX, i64::MAX, 0)).is_err(), "overflow is refused, not wrapped");
        let adjustment = |amount| Adjustment { kind: AdjustmentKind::Discount, amount, reason: String::new() };
        let itemised = Quote { adjustments: vec![adjustment(400), adjustment(200)], ..q(600, 0, 0, 400) };
        assert_eq!(quote(1000, &itemised), Ok(()));
        let short = Quote { adjustments: vec![adjustment(400)], ..q(600, 0, 0, 400) };
        assert!(quote(1000, &short).unwrap_err().contains("adjustments do not add up"));
    }

    #[test]
    fn shares_must_make_the_claim() {
        let share =
            |amount| Share { kind: ShareKind::Reimbursement, payer: Payer::InsuranceFund, amount, reason: "r".into() };
        assert_eq!(adjudication(1000, &Adjudication { shares: vec![share(600), share(400)] }), Ok(()));
        assert!(adjudication(1000, &Adjudication { shares: vec![share(600)] }).unwrap_err().contains("600 fen"));
        assert!(adjudication(0, &Adjudication { shares: vec![share(-5), share(5)] }).unwrap_err().contains("negative"));
        let huge = Adjudication { shares: vec![share(i64::MAX), share(i64::MAX)] };
        assert!(adjudication(1, &huge).unwrap_err().contains("more than"));
    }

    #[test]
    fn settlement_lines_must_make_the_total() {
        let line = |amount| SettlementLine { kind: SettlementKind::Subsidy, amount, reason: "r".into() };
        assert_eq!(settlement(&Settlement { lines: vec![line(1), line(2)], total: 3 }), Ok(()));
        assert!(settlement(&Settlement { lines: vec![line(1)], total: 3 }).unwrap_err().contains("total of 3"));
        assert!(settlement(&Settlement { lines: vec![line(-1)], total: -1 }).unwrap_err().contains("negative"));
    }

    #[test]
    fn catalogue_checks_catch_bad_bundles() {
        let package = |code: &str, kind, bundled: Option<&str>| Package {
            code: code.into(),
            name: code.into(),
            kind,
            target_groups: Tags::new(),
            bundled_with: bundled.map(Into::into),
            items: vec![],
            list_price: 0,
        };
        let basic = package("B", PackageKind::Basic, None);
        assert!(catalogue(&[basic.clone(), package("P", PackageKind::Personalised, Some("B"))]).is_ok());
        assert!(catalogue(&[basic.clone(), basic.clone()]).unwrap_err().contains("twice"));
        assert!(catalogue(&[package("P", PackageKind::Personalised, None)]).unwrap_err().contains("names no basic"));
        assert!(catalogue(&[basic, package("P", PackageKind::Personalised, Some("X"))]).unwrap_err().contains("`X`"));
    }
}
