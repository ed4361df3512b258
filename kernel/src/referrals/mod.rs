//! Referrals (转诊): a signed resident sent up from their family-doctor team
//! to the county hospital (上转), or back down to the team with the
//! hospital's prescription continued (下转), and the follow-up each one owes.
//!
//! Owns the referral's states and who moves it between them, the green
//! channel (绿色通道) for the poverty groups, the specialist appointments and
//! bed admissions a hospital reserves for each team per day (专家号、预留床位),
//! and the follow-up due within two weeks of a referral (转诊后2周内随访).
//! Pure: the kernel loads the contract, the institutions and the
//! reservations already held, and stores what these functions decide; it
//! must not touch contracts or service records from here.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Date, Duration};
use utoipa::ToSchema;

use crate::org::{Institution, InstitutionLevel};
use crate::residents::{Tag, Tags};
use crate::serde_name;

/// Up to the county hospital, or down to the resident's team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// 上转: from the team's institution to the county hospital.
    Up,
    /// 下转: from the hospital back to the resident's team.
    Down,
}

/// Where a referral stands; `requested` and `accepted` are open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferralStatus {
    /// Sent; the receiving end has not answered.
    Requested,
    /// The receiving end took the patient on.
    Accepted,
    /// The receiving end refused, with a reason.
    Declined,
    /// Seen, admitted and discharged, or taken back into the team's care.
    Completed,
    /// Withdrawn by the sending end before it was completed.
    Cancelled,
}

impl ReferralStatus {
    pub fn is_open(self) -> bool {
        matches!(self, ReferralStatus::Requested | ReferralStatus::Accepted)
    }
}

/// What a hospital reserves for a team each day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReservationKind {
    /// 专家号: an appointment with a specialist.
    SpecialistSlot,
    /// 预留床位: an admission to a reserved bed.
    Bed,
}

/// A reserved appointment or admission, on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reservation {
    pub kind: ReservationKind,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub on: Date,
}

/// How many of a kind a hospital reserves for a team each day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    pub team_id: String,
    pub kind: ReservationKind,
    pub per_day: u32,
}

/// A medicine the hospital prescribed, continued by the team after a
/// referral down (延用上级医院处方).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrescriptionLine {
    /// e.g. `"苯磺酸氨氯地平片"`.
    pub drug: String,
    /// e.g. `"5 mg 每日一次"`.
    pub dosage: String,
    /// Days one dispensing lasts: stable patients may get long ones.
    pub days: u16,
}

/// The follow-up a referral owes the resident's team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowUp {
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub due_on: Date,
    /// When it was done, if it was.
    #[serde(with = "crate::iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub done_on: Option<Date>,
    pub mode: Option<FollowUpMode>,
    pub note: Option<String>,
}

/// How a follow-up reached the resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpMode {
    /// 电话随访: tuberculosis patients who stopped medication get one.
    Phone,
    FaceToFace,
    HomeVisit,
}

/// A referral, as both ends see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Referral {
    pub id: String,
    pub direction: Direction,
    pub resident_id: String,
    /// The resident's contract: the team that sends or receives.
    pub contract_id: String,
    pub team_id: String,
    pub county_code: String,
    pub from_institution: String,
    pub to_institution: String,
    pub reason: String,
    /// The protocol suggestion this referral acts on, if any.
    pub suggestion_id: Option<String>,
    /// 绿色通道: the receiving hospital takes a poverty group's referral first.
    pub green_channel: bool,
    pub reservation: Option<Reservation>,
    /// Empty for a referral up.
    pub prescription: Vec<PrescriptionLine>,
    pub status: ReferralStatus,
    /// Why it was declined, cancelled or completed, as the answering end wrote.
    pub status_note: Option<String>,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub referred_on: Date,
    pub follow_up: FollowUp,
    pub referred_by: String,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: String,
}

/// A referral as the sending end enters it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReferral {
    pub direction: Direction,
    pub resident_id: String,
    /// Up: the county hospital to send the resident to. Down: not given —
    /// the resident's team's institution receives.
    #[serde(default)]
    pub to_institution: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub suggestion_id: Option<String>,
    /// Up only: an appointment or admission from the team's reserved ones.
    #[serde(default)]
    pub reservation: Option<Reservation>,
    /// Down only: the medicines the team continues; at least one.
    #[serde(default)]
    pub prescription: Vec<PrescriptionLine>,
}

/// An answer that moves a referral on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// The receiving end: takes the patient on.
    Accept,
    /// The receiving end: refuses (a note says why).
    Decline,
    /// The receiving end: the patient was seen, or taken back into care.
    Complete,
    /// The sending end: withdraws it (a note says why).
    Cancel,
}

impl Answer {
    /// Whether the sending end gives this answer (the receiving end gives
    /// the others).
    pub fn by_sender(self) -> bool {
        self == Answer::Cancel
    }
}

/// Why a referral or an answer cannot be made.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReferralError {
    #[error("resident `{0}` has no active contract: a team refers and receives its signed residents")]
    NotSigned(String),
    #[error("a referral down is sent by the hospital's staff, from their institution")]
    NoSendingInstitution,
    #[error("a referral needs a reason")]
    NoReason,
    #[error("a referral up names the county hospital it goes to in `to_institution`")]
    NoDestination,
    #[error("`{0}` is not a county hospital of the resident's county: referrals up go to one")]
    NotACountyHospital(String),
    #[error("a referral down goes to the resident's team: leave `to_institution` out")]
    DestinationGivenDown,
    #[error("only a referral up reserves an appointment or a bed")]
    ReservationDown,
    #[error("a referral down continues the hospital's prescription: give at least one medicine")]
    NoPrescription,
    #[error("only a referral down carries a prescription")]
    PrescriptionUp,
    #[error("prescription line {line}: {message}")]
    BadPrescription { line: usize, message: &'static str },
    #[error("the reservation is for {on}, before the day of the referral")]
    ReservationInPast { on: Date },
    #[error("the hospital reserves no {kind} for this team: ask the county to set its reserved capacity")]
    NothingReserved { kind: &'static str },
    #[error("all {per_day} of the team's reserved {kind} on {on} are taken")]
    ReservationFull { kind: &'static str, on: Date, per_day: u32 },
    #[error("a referral that is {status} cannot be answered with {answer}")]
    Transition { status: String, answer: String },
    #[error("a decline or a cancellation needs a note saying why")]
    NoteRequired,
    #[error("the suggestion `{0}` is not an open suggestion for this resident")]
    UnknownSuggestion(String),
    #[error("the follow-up was already done on {0}")]
    AlreadyFollowedUp(Date),
    #[error("a follow-up on {on} is before the referral on {referred_on}")]
    FollowUpBeforeReferral { on: Date, referred_on: Date },
    #[error("{on} is in the future: record a follow-up once it has happened")]
    FollowUpInFuture { on: Date },
}

/// Days from a referral to its follow-up's due day: the national
/// protocols' "within 2 weeks" (2周内).
pub const FOLLOW_UP_DAYS: i64 = 14;

/// The longest a continued prescription may last, in days: long
/// prescriptions (长处方) for stable chronic patients.
const LONGEST_PRESCRIPTION: u16 = 90;

impl ReservationKind {
    pub fn name(self) -> &'static str {
        match self {
            ReservationKind::SpecialistSlot => "specialist appointments",
            ReservationKind::Bed => "bed admissions",
        }
    }
}

/// Checks a referral as entered. `destination` is the institution named in
/// `to_institution`, loaded; `county` the resident's.
pub fn check(
    new: &NewReferral,
    destination: Option<&Institution>,
    county: &str,
    today: Date,
) -> Result<(), ReferralError> {
    if new.reason.trim().is_empty() {
        return Err(ReferralError::NoReason);
    }
    match new.direction {
        Direction::Up => {
            let Some(to) = &new.to_institution else { return Err(ReferralError::NoDestination) };
            county_hospital(to, destination, county)?;
            if !new.prescription.is_empty() {
                return Err(ReferralError::PrescriptionUp);
            }
            if let Some(reservation) = new.reservation
                && reservation.on < today
            {
                return Err(ReferralError::ReservationInPast { on: reservation.on });
            }
        }
        Direction::Down => {
            if new.to_institution.is_some() {
                return Err(ReferralError::DestinationGivenDown);
            }
            if new.reservation.is_some() {
                return Err(ReferralError::ReservationDown);
            }
            if new.prescription.is_empty() {
                return Err(ReferralError::NoPrescription);
            }
            for (i, line) in new.prescription.iter().enumerate() {
                let message = if line.drug.trim().is_empty() {
                    Some("the drug is missing")
                } else if line.dosage.trim().is_empty() {
                    Some("the dosage is missing")
                } else if !(1..=LONGEST_PRESCRIPTION).contains(&line.days) {
                    Some("days must be 1 to 90")
                } else {
                    None
                };
                if let Some(message) = message {
                    return Err(ReferralError::BadPrescription { line: i + 1, message });
                }
            }
        }
    }
    Ok(())
}

/// Whether institution `id` (`found`, if it exists) is a county hospital of
/// `county`: referrals up go to one, and only one reserves capacity.
pub fn county_hospital(id: &str, found: Option<&Institution>, county: &str) -> Result<(), ReferralError> {
    match found {
        Some(i) if i.level == InstitutionLevel::CountyHospital && i.county_code == county => Ok(()),
        _ => Err(ReferralError::NotACountyHospital(id.to_owned())),
    }
}

/// Whether a reservation fits in the team's capacity of its kind, given
/// how many of that kind on that day the team's open or completed
/// referrals already hold (`held`).
pub fn check_capacity(reservation: Reservation, per_day: Option<u32>, held: u32) -> Result<(), ReferralError> {
    let kind = reservation.kind.name();
    match per_day {
        None | Some(0) => Err(ReferralError::NothingReserved { kind }),
        Some(per_day) if held >= per_day => Err(ReferralError::ReservationFull { kind, on: reservation.on, per_day }),
        Some(_) => Ok(()),
    }
}

/// The poverty groups the documents give a green channel (为贫困人口转诊患者建立绿色通道).
pub fn green_channel(tags: &Tags) -> bool {
    tags.iter().any(|t| matches!(t, Tag::RegisteredPoor | Tag::PovertyMonitoring))
}

/// The follow-up a referral made on `on` owes.
pub fn follow_up_due(on: Date) -> FollowUp {
    FollowUp { due_on: on + Duration::days(FOLLOW_UP_DAYS), done_on: None, mode: None, note: None }
}

/// The status an answer moves a referral to.
pub fn answer(status: ReferralStatus, answer: Answer, note: Option<&str>) -> Result<ReferralStatus, ReferralError> {
    use ReferralStatus as S;
    let next = match (status, answer) {
        (S::Requested, Answer::Accept) => S::Accepted,
        (S::Requested, Answer::Decline) => S::Declined,
        (S::Accepted, Answer::Complete) => S::Completed,
        (S::Requested | S::Accepted, Answer::Cancel) => S::Cancelled,
        _ => {
            return Err(ReferralError::Transition { status: serde_name(&status), answer: serde_name(&answer) });
        }
    };
    let needs_note = matches!(answer, Answer::Decline | Answer::Cancel);
    if needs_note && note.is_none_or(|n| n.trim().is_empty()) {
        return Err(ReferralError::NoteRequired);
    }
    Ok(next)
}

/// A follow-up done on `on`, by `mode`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFollowUp {
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub on: Date,
    pub mode: FollowUpMode,
    #[serde(default)]
    pub note: Option<String>,
}

/// The referral's follow-up once `done` is recorded.
pub fn follow_up(referral: &Referral, done: &NewFollowUp, today: Date) -> Result<FollowUp, ReferralError> {
    if let Some(on) = referral.follow_up.done_on {
        return Err(ReferralError::AlreadyFollowedUp(on));
    }
    if done.on < referral.referred_on {
        return Err(ReferralError::FollowUpBeforeReferral { on: done.on, referred_on: referral.referred_on });
    }
    if done.on > today {
        return Err(ReferralError::FollowUpInFuture { on: done.on });
    }
    Ok(FollowUp {
        due_on: referral.follow_up.due_on,
        done_on: Some(done.on),
        mode: Some(done.mode),
        note: done.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned),
    })
}

/// A follow-up a team still owes, for its work list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FollowUpDue {
    pub referral_id: String,
    pub resident_id: String,
    pub direction: Direction,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub due_on: Date,
    /// Days past due (negative: due in that many days).
    pub days_overdue: i64,
}

/// The follow-ups `referrals` still owe, most overdue first. A cancelled
/// or declined referral owes none: the resident never went.
pub fn follow_ups_due(referrals: &[Referral], as_of: Date) -> Vec<FollowUpDue> {
    let mut due: Vec<FollowUpDue> = referrals
        .iter()
        .filter(|r| r.follow_up.done_on.is_none())
        .filter(|r| !matches!(r.status, ReferralStatus::Cancelled | ReferralStatus::Declined))
        .map(|r| FollowUpDue {
            referral_id: r.id.clone(),
            resident_id: r.resident_id.clone(),
            direction: r.direction,
            due_on: r.follow_up.due_on,
            days_overdue: (as_of - r.follow_up.due_on).whole_days(),
        })
        .collect();
    due.sort_by(|a, b| (a.due_on, &a.referral_id).cmp(&(b.due_on, &b.referral_id)));
    due
}

/// The order a receiving hospital works its incoming referrals in: open
/// ones first, the green channel first among them, then oldest first.
pub fn triage(referrals: &mut [Referral]) {
    referrals.sort_by(|a, b| {
        (!a.status.is_open(), !a.green_channel, a.referred_on, &a.id).cmp(&(
            !b.status.is_open(),
            !b.green_channel,
            b.referred_on,
            &b.id,
        ))
    });
}

#[cfg(test)]
mod tests;
