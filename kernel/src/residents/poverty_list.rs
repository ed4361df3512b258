//! The poverty-alleviation department's list (帮扶对象名单) as the kernel reads
//! it: one row per person, CSV with a header line.
//!
//! Columns (English or the department's Chinese headers, in any order):
//! `household_no` 户编号, `name` 姓名, `citizen_id` 身份证号,
//! `poverty_status` 人员类别, `address` 住址 and, optionally, `phone` 联系电话.
//! The status is a tag name (`registered_poor`) or the department's label
//! (`建档立卡贫困户`, `脱贫户`, `监测户`, `计生特殊家庭`). This module only
//! checks rows; what is already registered is the store's business.

use serde::Serialize;
use thiserror::Error;
use time::Date;
use utoipa::ToSchema;

use super::{CitizenId, Tag};
use crate::text::{UnstorableText, storable};

/// A checked row of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PovertyRow {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// The department's household number (户编号).
    pub household_no: String,
    pub name: String,
    pub citizen_id: CitizenId,
    pub status: Tag,
    pub address: String,
    pub phone: Option<String>,
}

/// A row that cannot go in, and why. The reason never repeats the citizen ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowRejection {
    pub line: u64,
    pub reason: String,
}

/// The file as a whole cannot be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ListError {
    #[error("the list has no `{0}` column (the header line names the columns)")]
    MissingColumn(&'static str),
    #[error("the list is empty: it needs a header line")]
    Empty,
}

/// Where each column is in the file.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    household_no: usize,
    name: usize,
    citizen_id: usize,
    status: usize,
    address: usize,
    phone: Option<usize>,
}

/// Each column's English name and the department's Chinese headers for it.
const HEADERS: [(&str, &[&str]); 6] = [
    ("household_no", &["户编号", "户号"]),
    ("name", &["姓名"]),
    ("citizen_id", &["身份证号", "证件号码", "公民身份号码"]),
    ("poverty_status", &["人员类别", "帮扶类型"]),
    ("address", &["住址", "家庭住址"]),
    ("phone", &["联系电话", "电话"]),
];

impl Columns {
    /// Finds the columns in the header line.
    pub fn from_header<'a>(header: impl IntoIterator<Item = &'a str>) -> Result<Columns, ListError> {
        let header: Vec<&str> = header.into_iter().map(|h| h.trim().trim_start_matches('\u{feff}')).collect();
        let find = |index: usize| {
            let (english, chinese) = HEADERS[index];
            header.iter().position(|h| h.eq_ignore_ascii_case(english) || chinese.contains(h))
        };
        let required = |index: usize| find(index).ok_or(ListError::MissingColumn(HEADERS[index].0));
        Ok(Columns {
            household_no: required(0)?,
            name: required(1)?,
            citizen_id: required(2)?,
            status: required(3)?,
            address: required(4)?,
            phone: find(5),
        })
    }

    /// Where each stored column is, in the order of [`HEADERS`].
    fn stored(&self) -> [Option<usize>; 6] {
        [
            Some(self.household_no),
            Some(self.name),
            Some(self.citizen_id),
            Some(self.status),
            Some(self.address),
            self.phone,
        ]
    }

    /// Checks one row as of `today`; `field(i)` is the row's i-th field.
    pub fn row<'a>(
        &self,
        line: u64,
        today: Date,
        field: impl Fn(usize) -> Option<&'a str>,
    ) -> Result<PovertyRow, RowRejection> {
        let reject = |reason: String| RowRejection { line, reason };
        for (index, (column, _)) in self.stored().into_iter().zip(HEADERS) {
            if index.and_then(&field).is_some_and(|text| !storable(text)) {
                return Err(reject(UnstorableText::at(format!("the `{column}` field")).to_string()));
            }
        }
        let get = |index: usize| field(index).map(str::trim).unwrap_or("");
        let household_no = get(self.household_no);
        if household_no.is_empty() {
            return Err(reject("the household number (户编号) is empty".into()));
        }
        let name = get(self.name);
        if name.is_empty() {
            return Err(reject("the name is empty".into()));
        }
        let citizen_id = CitizenId::parse(get(self.citizen_id)).map_err(|e| reject(e.to_string()))?;
        citizen_id.check_born_by(today).map_err(|e| reject(e.to_string()))?;
        let status_text = get(self.status);
        let status = poverty_status(status_text).ok_or_else(|| {
            reject(format!(
                "`{status_text}` is not a poverty status: use registered_poor, lifted_out_of_poverty, \
                 poverty_monitoring or special_family_planning"
            ))
        })?;
        let phone = self.phone.map(get).filter(|p| !p.is_empty()).map(str::to_owned);
        Ok(PovertyRow {
            line,
            household_no: household_no.to_owned(),
            name: name.to_owned(),
            citizen_id,
            status,
            address: get(self.address).to_owned(),
            phone,
        })
    }
}

/// The poverty status a list names, by tag name or the department's label.
pub fn poverty_status(text: &str) -> Option<Tag> {
    let tag = match text {
        "建档立卡贫困户" | "建档立卡贫困人口" | "贫困户" => Tag::RegisteredPoor,
        "脱贫户" | "脱贫人口" => Tag::LiftedOutOfPoverty,
        "监测户" | "监测对象" => Tag::PovertyMonitoring,
        "计生特殊家庭" => Tag::SpecialFamilyPlanning,
        name => Tag::from_name(name)?,
    };
    matches!(tag, Tag::RegisteredPoor | Tag::LiftedOutOfPoverty | Tag::PovertyMonitoring | Tag::SpecialFamilyPlanning)
        .then_some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(header: &str) -> Result<Columns, ListError> {
        Columns::from_header(header.split(','))
    }

    fn row(columns: &Columns, text: &str) -> Result<PovertyRow, RowRejection> {
        let fields: Vec<&str> = text.split(',').collect();
        columns.row(7, time::macros::date!(2026 - 03 - 01), |i| fields.get(i).copied())
    }

    fn valid_id() -> String {
        CitizenId::from_first_17("32032219610615001").unwrap().expose().to_owned()
    }

    #[test]
    fn english_and_chinese_headers_in_any_order() {
        let english = columns("name,household_no,citizen_id,poverty_status,address").unwrap();
        let chinese = columns("\u{feff}户编号,姓名,身份证号,人员类别,住址,联系电话").unwrap();
        let r = row(&english, &format!("张三,H-1,{},registered_poor,安国镇", valid_id())).unwrap();
        assert_eq!((r.line, r.household_no.as_str(), r.name.as_str()), (7, "H-1", "张三"));
        assert_eq!((r.status, r.phone), (Tag::RegisteredPoor, None));
        let r = row(&chinese, &format!("H-2,李四,{},监测户,龙固镇,13800001111", valid_id())).unwrap();
        assert_eq!((r.status, r.phone.as_deref()), (Tag::PovertyMonitoring, Some("13800001111")));
    }

    #[test]
    fn a_missing_column_names_it() {
        assert_eq!(
            columns("name,citizen_id,poverty_status,address").unwrap_err(),
            ListError::MissingColumn("household_no")
        );
    }

    #[test]
    fn bad_rows_say_why_without_the_number() {
        let c = columns("household_no,name,citizen_id,poverty_status,address").unwrap();
        let mut mistyped = valid_id();
        let last = mistyped.pop().unwrap();
        mistyped.push(if last == '0' { '1' } else { '0' });
        let cases = [
            (format!(",张三,{},registered_poor,x", valid_id()), "household number"),
            (format!("H,,{},registered_poor,x", valid_id()), "name is empty"),
            ("H,张三,12345,registered_poor,x".to_owned(), "18 characters"),
            (format!("H,张三,{mistyped},registered_poor,x"), "check character"),
            (format!("H,张三,{},diabetes,x", valid_id()), "not a poverty status"),
            (format!("H,张\0三,{},registered_poor,x", valid_id()), "`name` field contains a NUL"),
            (format!("H,张三,{},registered_poor,x\0", valid_id()), "`address` field contains a NUL"),
            ("H,张三,320322209901011230,registered_poor,x".to_owned(), "after today (2026-03-01)"),
        ];
        for (text, expected) in cases {
            let rejection = row(&c, &text).unwrap_err();
            assert!(rejection.reason.contains(expected), "{text}: {}", rejection.reason);
            assert!(!rejection.reason.contains(&valid_id()[..17]), "{}", rejection.reason);
        }
    }

    #[test]
    fn only_poverty_statuses_are_accepted() {
        assert_eq!(poverty_status("脱贫户"), Some(Tag::LiftedOutOfPoverty));
        assert_eq!(poverty_status("special_family_planning"), Some(Tag::SpecialFamilyPlanning));
        assert_eq!(poverty_status("hypertension"), None);
        assert_eq!(poverty_status(""), None);
    }
}
