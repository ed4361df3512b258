//! Contracts (签约协议): a resident's agreement with one team for one service
//! period, and the priced packages it bundles.
//!
//! Owns the rules that need no I/O: which package choices are valid (exactly
//! one basic package; personalised packages only with the basic package they
//! are bundled with), what a contract records, its states and the events that
//! move it between them — and the fold that rebuilds a contract from its
//! events. It must not call plugins or the database itself: the kernel passes
//! in the catalogue, the plugin's quotes and the stored facts.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Date, Month};
use utoipa::ToSchema;

use crate::plugins::{Fen, Package, PackageKind, Quote};
use crate::residents::Tags;

/// A service period (服务周期): one calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub struct Period {
    pub year: i32,
}

impl Period {
    pub fn containing(date: Date) -> Period {
        Period { year: date.year() }
    }

    pub fn start(self) -> Date {
        Date::from_calendar_date(self.year, Month::January, 1).unwrap_or(Date::MIN)
    }

    pub fn end(self) -> Date {
        Date::from_calendar_date(self.year, Month::December, 31).unwrap_or(Date::MAX)
    }

    pub fn next(self) -> Period {
        Period { year: self.year + 1 }
    }
}

/// Where a contract is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    /// In force for its period.
    Active,
    /// Ended early by the resident or the team, with a reason (解约).
    Terminated,
    /// Its period is over; a renewed contract may follow it.
    Expired,
}

impl ContractStatus {
    const ALL: [ContractStatus; 3] = [ContractStatus::Active, ContractStatus::Terminated, ContractStatus::Expired];

    pub fn name(self) -> &'static str {
        match self {
            ContractStatus::Active => "active",
            ContractStatus::Terminated => "terminated",
            ContractStatus::Expired => "expired",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// One priced package of a contract, with the facts it was priced from, so
/// the price can be reproduced from the plugin version that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContractLine {
    pub package_code: String,
    pub package_name: String,
    pub kind: PackageKind,
    pub list_price: Fen,
    #[serde(flatten)]
    pub quote: Quote,
    /// The resident's age when priced.
    pub priced_age: u8,
    /// The resident's population tags when priced.
    #[schema(value_type = Vec<crate::residents::Tag>)]
    pub priced_tags: Tags,
}

/// A signed contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Contract {
    pub id: String,
    pub resident_id: String,
    /// The resident's household when signed; it has one family doctor at a time.
    pub household_id: Option<String>,
    pub team_id: String,
    /// The team's institution: a switch of doctor stays within it.
    pub institution_id: String,
    pub county_code: String,
    pub period: Period,
    pub status: ContractStatus,
    /// When it stopped being active, if it did.
    #[serde(default, with = "crate::iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub ended_on: Option<Date>,
    pub end_reason: Option<String>,
    /// The resident objected to the automatic renewal of the basic package.
    #[serde(default)]
    pub renewal_objected: bool,
    /// The contract of the previous period this one renews.
    pub renewed_from: Option<String>,
    /// The group contract (functional community) it was signed under.
    pub group_id: Option<String>,
    /// ISO 8601 date of signing.
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub signed_on: Date,
    /// The subject of the token that signed it.
    pub signed_by: String,
    /// SHA-256 of the plugin component that priced the lines.
    pub plugin_hash: String,
    pub plugin_version: String,
    pub lines: Vec<ContractLine>,
}

impl Contract {
    /// What the resident pays in total, in fen.
    pub fn self_pay(&self) -> Fen {
        self.lines.iter().map(|l| l.quote.self_pay).sum()
    }
}

/// Why a contract cannot be signed as asked.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SignError {
    #[error("choose at least the basic package")]
    NoPackages,
    #[error("package `{0}` is chosen twice")]
    DuplicatePackage(String),
    #[error("package `{code}` is not in the catalogue of county {county}")]
    UnknownPackage { code: String, county: String },
    #[error("a contract needs exactly one basic package, and none was chosen")]
    NoBasicPackage,
    #[error("a contract has exactly one basic package, and both `{0}` and `{1}` were chosen")]
    SeveralBasicPackages(String, String),
    #[error("the resident's population group gets basic package `{expected}`, not `{chosen}`")]
    WrongBasicPackage { chosen: String, expected: String },
    #[error("personalised package `{package}` comes with basic package `{basic}`, which was not chosen")]
    NotBundled { package: String, basic: String },
    #[error("the resident cannot have package `{package}`: {reason}")]
    NotEligible { package: String, reason: String },
    #[error("the resident already has an active contract for {period}", period = .period.year)]
    AlreadySigned { period: Period },
    #[error("the household's family doctor for {period} is team `{team}`: another member of the household signs with the same team", period = .period.year)]
    HouseholdHasOtherDoctor { team: String, period: Period },
    #[error("team `{team}` is full for {period}: it serves {capacity} {unit}, its capacity", period = .period.year)]
    TeamFull { team: String, period: Period, capacity: i64, unit: &'static str },
}

/// A group contract (团体签约): a community signed its members with one team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupContract {
    pub id: String,
    pub community_id: String,
    pub team_id: String,
    pub county_code: String,
    pub period: Period,
    /// The packages every member signed.
    pub packages: Vec<String>,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub signed_on: Date,
    pub signed_by: String,
}

/// Why a signed contract cannot change as asked.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LifecycleError {
    #[error("contract `{id}` is {status}, not active", status = .status.name())]
    NotActive { id: String, status: ContractStatus },
    #[error("a reason is required")]
    ReasonRequired,
    #[error("the contract is already with team `{0}`")]
    SameTeam(String),
    #[error(
        "team `{to}` belongs to another institution: switching institution waits for the next period (the contract is with institution `{from}`)"
    )]
    OtherInstitution { from: String, to: String },
}

/// What happened to a contract: the payloads of its event stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ContractEvent {
    Signed {
        contract: Box<Contract>,
    },
    /// Moved to another team of the same institution mid-period.
    Switched {
        from_team: String,
        to_team: String,
    },
    Terminated {
        #[serde(with = "crate::iso_date")]
        on: Date,
        reason: String,
    },
    RenewalObjected,
    Expired {
        #[serde(with = "crate::iso_date")]
        on: Date,
    },
}

impl ContractEvent {
    /// The event kind as stored: `contract.signed`, `contract.switched`, …
    pub fn kind(&self) -> &'static str {
        match self {
            ContractEvent::Signed { .. } => "contract.signed",
            ContractEvent::Switched { .. } => "contract.switched",
            ContractEvent::Terminated { .. } => "contract.terminated",
            ContractEvent::RenewalObjected => "contract.renewal_objected",
            ContractEvent::Expired { .. } => "contract.expired",
        }
    }
}

/// Rebuilds a contract from its events, oldest first. `None` if the stream
/// does not start with the signing.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a ContractEvent>) -> Option<Contract> {
    let mut contract: Option<Contract> = None;
    for event in events {
        match (event, contract.as_mut()) {
            (ContractEvent::Signed { contract: signed }, None) => contract = Some((**signed).clone()),
            (ContractEvent::Switched { to_team, .. }, Some(c)) => c.team_id = to_team.clone(),
            (ContractEvent::Terminated { on, reason }, Some(c)) => {
                c.status = ContractStatus::Terminated;
                c.ended_on = Some(*on);
                c.end_reason = Some(reason.clone());
            }
            (ContractEvent::RenewalObjected, Some(c)) => c.renewal_objected = true,
            (ContractEvent::Expired { on }, Some(c)) => {
                c.status = ContractStatus::Expired;
                c.ended_on = Some(*on);
            }
            _ => return None,
        }
    }
    contract
}

impl Contract {
    /// Checks a change may be made: the contract must still be active.
    pub fn ensure_active(&self) -> Result<(), LifecycleError> {
        match self.status {
            ContractStatus::Active => Ok(()),
            status => Err(LifecycleError::NotActive { id: self.id.clone(), status }),
        }
    }

    /// Checks a switch to `team` of `institution` within the period.
    pub fn check_switch(&self, team: &str, institution: &str) -> Result<(), LifecycleError> {
        self.ensure_active()?;
        if team == self.team_id {
            return Err(LifecycleError::SameTeam(team.to_owned()));
        }
        if institution != self.institution_id {
            return Err(LifecycleError::OtherInstitution {
                from: self.institution_id.clone(),
                to: institution.to_owned(),
            });
        }
        Ok(())
    }

    /// The basic lines that renew into the next period; personalised packages
    /// renew only by the resident's own choice.
    pub fn renewable_lines(&self) -> Vec<&ContractLine> {
        if self.renewal_objected {
            return vec![];
        }
        self.lines.iter().filter(|l| l.kind == PackageKind::Basic).collect()
    }
}

/// Why a contract of an ended period is not renewed into the next.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NotRenewed {
    #[error("the resident objected to the renewal")]
    Objected,
    #[error("the contract has no basic package to renew")]
    NoBasicPackage,
    #[error("the county no longer offers package `{0}`")]
    Withdrawn(String),
    #[error("the county's rules refuse package `{package}` now: {reason}")]
    NotEligible { package: String, reason: String },
    #[error("the resident has already signed for the next period")]
    AlreadySigned,
    #[error("the household's family doctor for the next period is team `{0}`")]
    HouseholdHasOtherDoctor(String),
    #[error("team `{0}` is full for the next period")]
    TeamFull(String),
}

impl NotRenewed {
    /// A short name for counting: `objected`, `team_full`, …
    pub fn kind(&self) -> &'static str {
        match self {
            NotRenewed::Objected => "objected",
            NotRenewed::NoBasicPackage => "no_basic_package",
            NotRenewed::Withdrawn(_) => "withdrawn",
            NotRenewed::NotEligible { .. } => "not_eligible",
            NotRenewed::AlreadySigned => "already_signed",
            NotRenewed::HouseholdHasOtherDoctor(_) => "household_has_other_doctor",
            NotRenewed::TeamFull(_) => "team_full",
        }
    }
}

impl Contract {
    /// The contract that renews this one for the next period (视为自动续约):
    /// same team, the basic package repriced as `lines`, in force from the
    /// first day of the period.
    pub fn renewal(
        &self,
        id: String,
        household_id: Option<String>,
        lines: Vec<ContractLine>,
        by: &str,
        plugin: (&str, &str),
    ) -> Contract {
        let period = self.period.next();
        Contract {
            id,
            resident_id: self.resident_id.clone(),
            household_id,
            team_id: self.team_id.clone(),
            institution_id: self.institution_id.clone(),
            county_code: self.county_code.clone(),
            period,
            status: ContractStatus::Active,
            ended_on: None,
            end_reason: None,
            renewal_objected: false,
            renewed_from: Some(self.id.clone()),
            group_id: None,
            signed_on: period.start(),
            signed_by: by.to_owned(),
            plugin_hash: plugin.0.to_owned(),
            plugin_version: plugin.1.to_owned(),
            lines,
        }
    }
}

/// The documents forbid a missing or wrong basic package (不得漏选或错选): the
/// chosen one must be the one the plugin assigns to the resident's group.
pub fn check_basic_package(chosen: &[&Package], assigned: &str) -> Result<(), SignError> {
    match chosen.iter().find(|p| p.kind == PackageKind::Basic) {
        Some(basic) if basic.code != assigned => {
            Err(SignError::WrongBasicPackage { chosen: basic.code.clone(), expected: assigned.to_owned() })
        }
        _ => Ok(()),
    }
}

/// Checks a choice of package codes against the catalogue and returns the
/// chosen packages, basic first.
pub fn choose_packages<'a>(
    catalogue: &'a [Package],
    county: &str,
    chosen: &[String],
) -> Result<Vec<&'a Package>, SignError> {
    if chosen.is_empty() {
        return Err(SignError::NoPackages);
    }
    let mut packages: Vec<&Package> = Vec::with_capacity(chosen.len());
    for code in chosen {
        if packages.iter().any(|p| &p.code == code) {
            return Err(SignError::DuplicatePackage(code.clone()));
        }
        let package = catalogue
            .iter()
            .find(|p| &p.code == code)
            .ok_or_else(|| SignError::UnknownPackage { code: code.clone(), county: county.to_owned() })?;
        packages.push(package);
    }
    let basics: Vec<&&Package> = packages.iter().filter(|p| p.kind == PackageKind::Basic).collect();
    let basic = match basics.as_slice() {
        [] => return Err(SignError::NoBasicPackage),
        [one] => one.code.clone(),
        [a, b, ..] => {
            return Err(SignError::SeveralBasicPackages(a.code.clone(), b.code.clone()));
        }
    };
    for p in &packages {
        if let Some(bundled) = &p.bundled_with
            && bundled != &basic
        {
            return Err(SignError::NotBundled { package: p.code.clone(), basic: bundled.clone() });
        }
    }
    packages.sort_by_key(|p| p.kind != PackageKind::Basic);
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(code: &str, kind: PackageKind, bundled_with: Option<&str>) -> Package {
        Package {
            code: code.into(),
            name: code.into(),
            kind,
            target_groups: Tags::new(),
            bundled_with: bundled_with.map(Into::into),
            items: vec![],
            list_price: 100,
        }
    }

    fn catalogue() -> Vec<Package> {
        vec![
            package("BASIC", PackageKind::Basic, None),
            package("OTHER-BASIC", PackageKind::Basic, None),
            package("CHECKUP", PackageKind::Personalised, Some("BASIC")),
            package("ELSEWHERE", PackageKind::Personalised, Some("OTHER-BASIC")),
        ]
    }

    /// Signs `chosen` against the test catalogue: the codes chosen, basic first.
    fn check(chosen: &[&str]) -> Result<Vec<String>, SignError> {
        let chosen: Vec<String> = chosen.iter().map(|c| (*c).to_owned()).collect();
        let catalogue = catalogue();
        choose_packages(&catalogue, "320322", &chosen).map(|ps| ps.iter().map(|p| p.code.clone()).collect())
    }

    #[test]
    fn the_basic_package_alone_or_with_its_bundle_is_valid() {
        assert_eq!(check(&["BASIC"]).unwrap(), ["BASIC"]);
        assert_eq!(check(&["CHECKUP", "BASIC"]).unwrap(), ["BASIC", "CHECKUP"]);
    }

    #[test]
    fn refusals_name_the_rule() {
        assert_eq!(check(&[]), Err(SignError::NoPackages));
        assert_eq!(check(&["CHECKUP"]), Err(SignError::NoBasicPackage));
        assert_eq!(check(&["BASIC", "BASIC"]), Err(SignError::DuplicatePackage("BASIC".into())));
        assert_eq!(
            check(&["BASIC", "OTHER-BASIC"]),
            Err(SignError::SeveralBasicPackages("BASIC".into(), "OTHER-BASIC".into()))
        );
        assert_eq!(
            check(&["BASIC", "ELSEWHERE"]),
            Err(SignError::NotBundled { package: "ELSEWHERE".into(), basic: "OTHER-BASIC".into() })
        );
        assert_eq!(
            check(&["BASIC", "NOPE"]),
            Err(SignError::UnknownPackage { code: "NOPE".into(), county: "320322".into() })
        );
    }

    #[test]
    fn the_basic_package_must_be_the_one_the_plugin_assigns() {
        let catalogue = catalogue();
        let chosen = choose_packages(&catalogue, "320322", &["CHECKUP".into(), "BASIC".into()]).unwrap();
        assert_eq!(check_basic_package(&chosen, "BASIC"), Ok(()));
        let wrong = check_basic_package(&chosen, "OTHER-BASIC").unwrap_err();
        assert_eq!(wrong, SignError::WrongBasicPackage { chosen: "BASIC".into(), expected: "OTHER-BASIC".into() });
        assert_eq!(wrong.to_string(), "the resident's population group gets basic package `OTHER-BASIC`, not `BASIC`");
    }

    #[test]
    fn a_period_is_the_calendar_year() {
        let period = Period::containing(time::macros::date!(2026 - 11 - 23));
        assert_eq!(period.year, 2026);
        assert_eq!(period.start(), time::macros::date!(2026 - 01 - 01));
        assert_eq!(period.end(), time::macros::date!(2026 - 12 - 31));
    }
}
