//! What the kernel and a county plugin say to each other, in the kernel's
//! own types: one type per WIT type of the newest world, so every published
//! world translates into these and nothing else sees generated bindings.
//!
//! They serialise to the snake_case JSON of the golden case files
//! (`plugins/<county>/golden/`) and of the API.

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::residents::{Sex, Tags};

/// Money in fen (分). Integer always.
pub type Fen = i64;

/// Basic (基础, free, by population group) or personalised (个性化, paid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PackageKind {
    Basic,
    Personalised,
}

impl PackageKind {
    pub fn name(self) -> &'static str {
        match self {
            PackageKind::Basic => "basic",
            PackageKind::Personalised => "personalised",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [PackageKind::Basic, PackageKind::Personalised].into_iter().find(|k| k.name() == name)
    }
}

/// A service item (服务项目), how often a year it is owed and its price cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Item {
    pub code: String,
    pub name: String,
    pub times_per_year: u32,
    /// Most a single delivery may be charged (价格上限), fen; 0.1.0 plugins
    /// have none.
    pub price_cap: Option<Fen>,
}

/// A service package (服务包) from a county's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Package {
    pub code: String,
    pub name: String,
    pub kind: PackageKind,
    /// Who may choose it; empty means everyone.
    #[schema(value_type = Vec<crate::residents::Tag>)]
    pub target_groups: Tags,
    /// For a personalised package, the basic package it comes with.
    pub bundled_with: Option<String>,
    pub items: Vec<Item>,
    /// Approved list price for a year (物价核定价格), fen.
    pub list_price: Fen,
}

/// The service years a plugin's rules apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Periods {
    pub first: u16,
    /// `None` while the rules stay in force.
    pub last: Option<u16>,
}

impl Periods {
    /// What a 0.1.0 plugin, which cannot say, is taken to cover.
    pub const ALWAYS: Periods = Periods { first: 0, last: None };
}

/// Who a plugin says it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PluginInfo {
    pub county_code: String,
    pub county_name: String,
    pub version: String,
    pub periods: Periods,
}

/// The facts a plugin may see of a resident; never a name or an ID number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentFacts {
    pub age: u8,
    pub sex: Sex,
    pub tags: Tags,
}

/// May this resident sign this package?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityRequest {
    pub package_code: String,
    pub resident: ResidentFacts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRequest {
    pub package_code: String,
    pub resident: ResidentFacts,
    /// The first day the package would cover.
    #[serde(with = "crate::iso_date")]
    pub starts_on: Date,
    /// The catalogue's list price: sent to 0.1.0 plugins, checked against
    /// the answer of newer ones.
    #[serde(skip)]
    pub list_price: Fen,
}

/// Discount (折扣) or waiver (减免).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    Discount,
    Waiver,
}

/// One itemised reduction of a list price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Adjustment {
    pub kind: AdjustmentKind,
    pub amount: Fen,
    pub reason: String,
}

/// A package's price for one resident, split by payer. Checked by the kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Quote {
    /// All reductions together: the sum of `adjustments` (0.1.0 plugins
    /// give only this total).
    pub discount: Fen,
    /// Each reduction with its reason.
    #[serde(default)]
    pub adjustments: Vec<Adjustment>,
    pub public_health_fund: Fen,
    pub insurance_fund: Fen,
    pub self_pay: Fen,
    /// The plugin's one-line explanation.
    pub rule: String,
}

/// Outpatient (门诊), inpatient (住院) or rehabilitation (康复) care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CareKind {
    Outpatient,
    Inpatient,
    Rehabilitation,
}

/// Where care was given, from the village clinic up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CareLevel {
    VillageClinic,
    TownshipCentre,
    CountyHospital,
    AboveCounty,
}

/// What the resident's insurance year used before a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct YearToDate {
    pub deductible_paid: Fen,
    pub outpatient_reimbursed: Fen,
    pub inpatient_reimbursed: Fen,
}

/// A claim or service episode of a signed resident (医保报销).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub resident: ResidentFacts,
    pub signed_packages: Vec<String>,
    pub kind: CareKind,
    pub level: CareLevel,
    /// Referred upward from primary care (基层转诊).
    pub referred: bool,
    #[serde(with = "crate::iso_date")]
    pub on: Date,
    /// Costs within the policy's scope (政策范围内费用), fen.
    pub amount: Fen,
    pub year_to_date: YearToDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    InsuranceFund,
    HealthCentre,
    MedicalAssistance,
    Resident,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareKind {
    Deductible,
    Reimbursement,
    CoPayment,
    OverCap,
    TopUp,
    Compensation,
}

/// One step of an adjudication: an amount, who pays it and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Share {
    pub kind: ShareKind,
    pub payer: Payer,
    pub amount: Fen,
    pub reason: String,
}

/// A claim divided among its payers. Checked by the kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Adjudication {
    pub shares: Vec<Share>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackageSignings {
    pub package_code: String,
    pub signings: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ItemDelivery {
    pub package_code: String,
    pub item_code: String,
    pub owed: u32,
    pub delivered: u32,
}

/// A team's period as the kernel recorded it, for its settlement (结算).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TeamActivity {
    pub period: u16,
    pub residents_signed: u32,
    pub households_signed: u32,
    pub signings: Vec<PackageSignings>,
    pub deliveries: Vec<ItemDelivery>,
    /// Assessment score (考核得分), 0–100.
    pub assessment_score: u8,
    pub care_spent: Fen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettlementKind {
    PerSigning,
    Fulfilment,
    Capitation,
    SurplusReward,
    Subsidy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SettlementLine {
    pub kind: SettlementKind,
    pub amount: Fen,
    pub reason: String,
}

/// What a team is paid for a period, itemised. Checked by the kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Settlement {
    pub lines: Vec<SettlementLine>,
    pub total: Fen,
}

/// A plugin's reasoned refusal: a business answer, not a failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    #[error("package `{0}` is not in the county's catalogue")]
    UnknownPackage(String),
    #[error("not eligible: {0}")]
    NotEligible(String),
    #[error("the plugin refused the request: {0}")]
    InvalidRequest(String),
}
