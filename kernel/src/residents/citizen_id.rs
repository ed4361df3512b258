//! The 18-character citizen ID number (公民身份号码, GB 11643-1999).
//!
//! Layout: 6-digit address code (GB/T 2260), 8-digit birth date, 3-digit
//! sequence (odd for men, even for women), and an ISO 7064 MOD 11-2 check
//! character (`0`–`9` or `X`). The number is personal data: `Debug` and
//! `Display` print it masked, so it cannot reach a log by accident. Only
//! [`CitizenId::expose`] gives the full text, for the database.

use std::fmt;

use thiserror::Error;
use time::{Date, Month};

use super::Sex;

/// Weights of the first 17 digits in the check-character sum.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each value of the weighted sum modulo 11.
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// A citizen ID whose length, birth date and check character are valid.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CitizenId(String);

/// Why a text is not a valid citizen ID. Messages never repeat the number.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CitizenIdError {
    #[error("a citizen ID has 18 characters, this one has {0}")]
    Length(usize),
    #[error("a citizen ID has digits in its first 17 places")]
    NotDigits,
    #[error("the last character of a citizen ID is a digit or `X`")]
    BadLastCharacter,
    #[error("the birth date in the citizen ID does not exist")]
    BirthDate,
    #[error("the check character of the citizen ID is wrong: the number was mistyped")]
    CheckDigit,
    #[error("the birth date in the citizen ID is after today ({today}): the number was mistyped")]
    BornInFuture { today: Date },
    #[error("the birth date in the citizen ID is before {EARLIEST_BIRTH}: the number was mistyped")]
    BornTooEarly,
}

/// No one alive was born earlier. The oldest verified person ever lived 122
/// years, and the registry serves the living: 1900-01-01 already admits a
/// 126-year-old in 2026, so a date before it is a typo (`18…` for `19…`),
/// not a resident. A fixed day rather than "today minus N years" keeps the
/// rule the same on replays and in tests.
pub const EARLIEST_BIRTH: Date = time::macros::date!(1900 - 01 - 01);

impl CitizenId {
    /// Validates `text` (a lower-case `x` is accepted and stored upper-case).
    pub fn parse(text: &str) -> Result<Self, CitizenIdError> {
        let text = text.trim().to_ascii_uppercase();
        let chars: Vec<char> = text.chars().collect();
        let [body @ .., last] = chars.as_slice() else {
            return Err(CitizenIdError::Length(0));
        };
        if chars.len() != 18 {
            return Err(CitizenIdError::Length(chars.len()));
        }
        if !body.iter().all(char::is_ascii_digit) {
            return Err(CitizenIdError::NotDigits);
        }
        if !(last.is_ascii_digit() || *last == 'X') {
            return Err(CitizenIdError::BadLastCharacter);
        }
        let id = CitizenId(text);
        id.birth_date().ok_or(CitizenIdError::BirthDate)?;
        if check_character(body) != Some(*last) {
            return Err(CitizenIdError::CheckDigit);
        }
        Ok(id)
    }

    /// Completes 17 digits with their check character (for demo and test data).
    pub fn from_first_17(digits: &str) -> Result<Self, CitizenIdError> {
        let body: Vec<char> = digits.chars().collect();
        let check = check_character(&body).ok_or(CitizenIdError::NotDigits)?;
        Self::parse(&format!("{digits}{check}"))
    }

    /// Refuses a birth date after `today` or before [`EARLIEST_BIRTH`]:
    /// such a number parses (the date exists) but names no one who can be
    /// registered. `today` is the caller's (the kernel's clock), so this
    /// stays pure.
    pub fn check_born_by(&self, today: Date) -> Result<(), CitizenIdError> {
        let born = self.birth_date().ok_or(CitizenIdError::BirthDate)?;
        if born > today {
            return Err(CitizenIdError::BornInFuture { today });
        }
        if born < EARLIEST_BIRTH {
            return Err(CitizenIdError::BornTooEarly);
        }
        Ok(())
    }

    /// The GB/T 2260 code of the place where the number was issued.
    pub fn address_code(&self) -> &str {
        self.0.get(..6).unwrap_or_default()
    }

    /// The birth date encoded in places 7–14.
    pub fn birth_date(&self) -> Option<Date> {
        let year: i32 = self.0.get(6..10)?.parse().ok()?;
        let month: u8 = self.0.get(10..12)?.parse().ok()?;
        let day: u8 = self.0.get(12..14)?.parse().ok()?;
        Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
    }

    /// Sex from the parity of the 17th digit.
    pub fn sex(&self) -> Sex {
        let digit = self.0.chars().nth(16).and_then(|c| c.to_digit(10)).unwrap_or(0);
        if digit % 2 == 1 { Sex::Male } else { Sex::Female }
    }

    /// The number with the birth date and sequence hidden: `320322********0011`.
    pub fn masked(&self) -> String {
        let head = self.0.get(..6).unwrap_or_default();
        let tail = self.0.get(14..).unwrap_or_default();
        format!("{head}********{tail}")
    }

    /// The full number. Call only to store it; never log or return it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn check_character(body: &[char]) -> Option<char> {
    if body.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, weight) in body.iter().zip(WEIGHTS) {
        sum += c.to_digit(10)? * weight;
    }
    CHECK.get((sum % 11) as usize).copied()
}

impl fmt::Debug for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CitizenId({})", self.masked())
    }
}

impl fmt::Display for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    // The worked example of GB 11643-1999, appendix A.
    const STANDARD_EXAMPLE: &str = "11010519491231002X";

    #[test]
    fn accepts_the_standard_example_and_derives_facts() {
        let id = CitizenId::parse(STANDARD_EXAMPLE).unwrap();
        assert_eq!(id.birth_date(), Some(date!(1949 - 12 - 31)));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.address_code(), "110105");
    }

    #[test]
    fn lower_case_x_is_accepted() {
        let id = CitizenId::parse(&STANDARD_EXAMPLE.to_lowercase()).unwrap();
        assert_eq!(id.expose(), STANDARD_EXAMPLE);
    }

    #[test]
    fn a_wrong_check_character_is_refused() {
        assert_eq!(CitizenId::parse("110105194912310021"), Err(CitizenIdError::CheckDigit));
    }

    #[test]
    fn shape_errors_are_named() {
        assert_eq!(CitizenId::parse("1101051949"), Err(CitizenIdError::Length(10)));
        assert_eq!(CitizenId::parse("11010519491231002X1"), Err(CitizenIdError::Length(19)));
        assert_eq!(CitizenId::parse("1101051949123100AX"), Err(CitizenIdError::NotDigits));
        assert_eq!(CitizenId::parse("11010519491231002Y"), Err(CitizenIdError::BadLastCharacter));
        assert_eq!(CitizenId::from_first_17("11010519490231002"), Err(CitizenIdError::BirthDate));
    }

    #[test]
    fn completing_17_digits_gives_a_valid_number() {
        let id = CitizenId::from_first_17("32032219560101001").unwrap();
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(CitizenId::parse(id.expose()).unwrap(), id);
    }

    #[test]
    fn a_birth_date_after_today_or_before_1900_is_refused() {
        let today = date!(2026 - 03 - 01);
        // Check characters computed by hand (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11).
        let future = CitizenId::parse("320322209901011230").unwrap();
        assert_eq!(future.check_born_by(today), Err(CitizenIdError::BornInFuture { today }));
        let tomorrow = CitizenId::from_first_17("32032220260302001").unwrap();
        assert_eq!(tomorrow.check_born_by(today), Err(CitizenIdError::BornInFuture { today }));
        let born_today = CitizenId::from_first_17("32032220260301001").unwrap();
        assert_eq!(born_today.check_born_by(today), Ok(()));
        let too_early = CitizenId::from_first_17("32032218991231001").unwrap();
        assert_eq!(too_early.check_born_by(today), Err(CitizenIdError::BornTooEarly));
        let earliest = CitizenId::from_first_17("32032219000101001").unwrap();
        assert_eq!(earliest.check_born_by(today), Ok(()));
        assert!(CitizenIdError::BornInFuture { today }.to_string().contains("2026-03-01"));
    }

    #[test]
    fn debug_and_display_never_show_the_number() {
        let id = CitizenId::parse(STANDARD_EXAMPLE).unwrap();
        for shown in [format!("{id:?}"), format!("{id}")] {
            assert!(!shown.contains("19491231"), "{shown}");
            assert!(shown.contains("110105********002X"), "{shown}");
        }
    }

    #[test]
    fn every_single_digit_typo_is_caught() {
        // MOD 11-2 detects all single-character substitutions.
        let original: Vec<char> = STANDARD_EXAMPLE.chars().collect();
        for place in 0..17 {
            for digit in '0'..='9' {
                if original[place] == digit {
                    continue;
                }
                let mut typo = original.clone();
                typo[place] = digit;
                let text: String = typo.into_iter().collect();
                assert!(CitizenId::parse(&text).is_err(), "{place} {digit}");
            }
        }
    }
}
