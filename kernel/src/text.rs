//! Text crossing the kernel's edges. Coming in: PostgreSQL's `text` cannot
//! hold U+0000 (SQLite can), so a NUL is refused where text comes in — the
//! API's body, path and query extractors, the import's rows — and never
//! reaches a database, which would refuse it on one backend only, in the
//! middle of a write. Command-line arguments need no check: they reach the
//! process as C strings, which cannot hold a NUL. Going out: a cell of a
//! spreadsheet the kernel writes never starts like a formula.

use std::borrow::Cow;

use thiserror::Error;

/// Text that no database the kernel runs on can store.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{place} contains a NUL character (U+0000), which cannot be stored: remove it and try again")]
pub struct UnstorableText {
    /// Where the character is, for the person who sent it (`the request body`).
    pub place: String,
}

impl UnstorableText {
    pub fn at(place: impl Into<String>) -> Self {
        UnstorableText { place: place.into() }
    }
}

/// Whether a database can store `text`.
pub fn storable(text: &str) -> bool {
    !text.contains('\0')
}

/// A text cell of a CSV or XLSX file the kernel writes, made inert: a cell
/// starting with `=`, `+`, `-`, `@`, a tab or a carriage return is what a
/// spreadsheet program runs as a formula (CSV injection, OWASP), so it gets a
/// leading `'`, which shows the text as it was typed. Names and ids come from
/// clerks and uploads, so every text cell goes through here; both formats
/// do it, so that the XLSX (whose string cells are never evaluated) stays
/// safe when someone saves it again as CSV.
///
/// Amounts are not text and do not come here: they are the kernel's own
/// `i64`, written as a number — in CSV as digits after an optional `-`,
/// which a spreadsheet reads as that number and nothing else — so a debit
/// of `-100` fen stays a number the finance office can add up, where a
/// `'-100` would be text that a sum skips.
pub fn spreadsheet_cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_nul_is_refused() {
        assert!(storable("张三 \u{1} \t"));
        assert!(!storable("张\0三"));
        let refused = UnstorableText::at("the name").to_string();
        assert!(refused.starts_with("the name contains a NUL"), "{refused}");
    }

    #[test]
    fn a_cell_that_starts_like_a_formula_is_prefixed() {
        for formula in ["=HYPERLINK(\"x\",\"点击\")", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(spreadsheet_cell(formula), format!("'{formula}"));
        }
        for text in ["湖西团队", "a=b", "t-1", ""] {
            assert_eq!(spreadsheet_cell(text), text);
        }
    }
}
