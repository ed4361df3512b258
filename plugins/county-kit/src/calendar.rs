//! The calendar (公历). The kernel passes dates as year, month and day
//! without checking them, so each plugin refuses a day that does not exist;
//! which refusal, and in which words, is the plugin's.

/// Whether `year-month-day` is a day of the Gregorian calendar.
pub fn is_real_day(year: u16, month: u8, day: u8) -> bool {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_have_their_days_and_february_its_leap_years() {
        assert!(is_real_day(2025, 1, 31) && is_real_day(2025, 4, 30) && is_real_day(2025, 12, 31));
        assert!(!is_real_day(2025, 4, 31) && !is_real_day(2025, 6, 31) && !is_real_day(2025, 11, 31));
        assert!(is_real_day(2024, 2, 29), "divisible by 4");
        assert!(!is_real_day(2025, 2, 29));
        assert!(!is_real_day(1900, 2, 29), "a century is not leap");
        assert!(is_real_day(2000, 2, 29), "unless divisible by 400");
        assert!(!is_real_day(2025, 0, 1) && !is_real_day(2025, 13, 1) && !is_real_day(2025, 1, 0));
    }
}
