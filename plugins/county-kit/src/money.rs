//! Money (金额): integer fen, rounded as the WIT prescribes for every plugin.

/// `percent`% of `amount`, half up to the fen (四舍五入到分):
/// `(amount × percent + 50) / 100`.
///
/// Callers pass non-negative operands and a percentage of at most 100 (the
/// configuration and the request checks see to it). The product is taken in
/// `i128` so that no request amount overflows, and the share is then never
/// larger than `amount`, so it always fits back; outside that contract the
/// share saturates rather than wrapping into a wrong number of fen.
pub fn percent_of(amount: i64, percent: i64) -> i64 {
    let share = (i128::from(amount) * i128::from(percent) + 50) / 100;
    i64::try_from(share).unwrap_or(if share < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_half_up_to_the_fen() {
        // plugins/README.md's example: 40% of 1,005 fen is 402, 60% is 603.
        assert_eq!(percent_of(1005, 40), 402);
        assert_eq!(percent_of(1005, 60), 603);
        assert_eq!(percent_of(1005, 10), 101);
        assert_eq!(percent_of(1004, 40), 402, "401.6 rounds up");
        assert_eq!(percent_of(1003, 40), 401, "401.2 rounds down");
        assert_eq!(percent_of(2011, 50), 1006, "1005.5 rounds up");
        assert_eq!(percent_of(15, 10), 2, "1.5 rounds up");
        assert_eq!(percent_of(14, 10), 1, "1.4 rounds down");
        assert_eq!(percent_of(1, 40), 0);
        assert_eq!(percent_of(1, 49), 0);
        assert_eq!(percent_of(1, 50), 1);
        assert_eq!(percent_of(1, 60), 1);
        assert_eq!(percent_of(5, 10), 1);
        assert_eq!(percent_of(0, 60), 0);
        assert_eq!(percent_of(0, 100), 0);
    }

    #[test]
    fn no_amount_overflows() {
        assert_eq!(percent_of(i64::MAX, 100), i64::MAX);
        assert_eq!(percent_of(i64::MAX, 50), i64::MAX / 2 + 1);
        assert_eq!(percent_of(i64::MAX, 0), 0);
        // Outside the contract: saturated, not wrapped.
        assert_eq!(percent_of(i64::MAX, 200), i64::MAX);
        assert_eq!(percent_of(i64::MIN, 200), i64::MIN);
    }
}
