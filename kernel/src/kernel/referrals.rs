//! Referral operations: sending a signed resident up to the county hospital
//! or back down to their team, answering and following up referrals, the
//! capacity hospitals reserve for teams, and moves out of the county. The
//! rules are `referrals`' and `fulfilment`'s; both ends see a referral
//! through the same Cedar action, decided on the referral itself.

use serde::Serialize;
use utoipa::ToSchema;

use super::fulfilment::now;
use super::{Kernel, KernelError, contract_resource, looked_up, not_found};
use crate::authz::{Action, Denied, NOWHERE, Principal, Resource};
use crate::contracts::{Contract, ContractStatus, Period};
use crate::fulfilment::{self, MoveOut, MoveOutReport};
use crate::org::Institution;
use crate::referrals::{
    self, Answer, Capacity, Direction, NewFollowUp, NewReferral, Referral, ReferralError, ReferralStatus,
};
use crate::store::ReferralWriteError;

/// What a move out of the county did.
#[derive(Debug, Serialize, ToSchema)]
pub struct MovedOut {
    /// The contract it ended.
    pub contract: Contract,
    /// The report upward, for a tuberculosis patient.
    pub report: Option<MoveOutReport>,
}

impl From<ReferralWriteError> for KernelError {
    fn from(e: ReferralWriteError) -> Self {
        match e {
            ReferralWriteError::Rule(e) => KernelError::Referral(e),
            ReferralWriteError::ChangedMeanwhile(id) => KernelError::ReferralChanged(id),
            ReferralWriteError::Store(e) => KernelError::Store(e),
        }
    }
}

/// The referral as a Cedar resource: in its team, with both ends.
fn referral_resource(r: &Referral) -> Resource<'_> {
    let institution = match r.direction {
        Direction::Up => &r.from_institution,
        Direction::Down => &r.to_institution,
    };
    Resource::Referral {
        id: &r.id,
        county: &r.county_code,
        team: &r.team_id,
        institution,
        resident: &r.resident_id,
        direction: r.direction,
        sender: &r.from_institution,
        receiver: &r.to_institution,
    }
}

impl Kernel {
    /// Sends a referral: up by the resident's team to a county hospital,
    /// taking a reserved appointment or bed if asked; down by hospital
    /// staff to the resident's team, with the prescription continued.
    pub async fn refer(&self, who: &Principal, new: NewReferral) -> Result<Referral, KernelError> {
        let today = self.clock.today();
        // Every refusal names the same thing, so that it does not tell a missing
        // resident, an unsigned one and a signed one of another county apart.
        let refused =
            |denied: Denied| Denied { action: denied.action, resource: format!("resident `{}`", new.resident_id) };
        let found = self.store.resident(&new.resident_id).await?;
        let contract = match &found {
            Some(resident) => self.active_contract_of(&resident.id).await?,
            None => None,
        };
        let Some((resident, contract)) = found.zip(contract) else {
            // Whether they exist and are signed is told only to a caller who may read them.
            self.resident_for(who, Action::ReadResident, &new.resident_id).await.map_err(|e| match e {
                KernelError::Denied(denied) => KernelError::Denied(refused(denied)),
                e => e,
            })?;
            return Err(ReferralError::NotSigned(new.resident_id.clone()).into());
        };
        let (from, to, destination) = match new.direction {
            Direction::Up => {
                let to = new.to_institution.clone().ok_or(ReferralError::NoDestination)?;
                let destination = self.store.institution(&to).await?;
                (contract.institution_id.clone(), to, destination)
            }
            Direction::Down => {
                let from = who.institution.clone().ok_or(ReferralError::NoSendingInstitution)?;
                (from, contract.institution_id.clone(), None)
            }
        };
        let referral = Referral {
            id: uuid::Uuid::now_v7().to_string(),
            direction: new.direction,
            resident_id: resident.id.clone(),
            contract_id: contract.id.clone(),
            team_id: contract.team_id.clone(),
            county_code: contract.county_code.clone(),
            from_institution: from,
            to_institution: to,
            reason: new.reason.trim().to_owned(),
            suggestion_id: new.suggestion_id.clone(),
            green_channel: new.direction == Direction::Up && referrals::green_channel(&resident.tags_on(today)),
            reservation: new.reservation,
            prescription: new.prescription.clone(),
            status: ReferralStatus::Requested,
            status_note: None,
            referred_on: today,
            follow_up: referrals::follow_up_due(today),
            referred_by: who.subject.clone(),
            updated_at: now(),
        };
        self.authz.decide(who, Action::Refer, &referral_resource(&referral)).map_err(refused)?;
        referrals::check(&new, destination.as_ref(), &contract.county_code, today)?;
        self.store.insert_referral(&referral).await?;
        Ok(referral)
    }

    /// A referral, for either end, the resident's team or the resident.
    pub async fn referral(&self, who: &Principal, id: &str) -> Result<Referral, KernelError> {
        self.referral_for(who, Action::ReadReferral, id).await
    }

    /// A referral, if the policies let `who` do `action` on it.
    async fn referral_for(&self, who: &Principal, action: Action, id: &str) -> Result<Referral, KernelError> {
        let found = self.store.referral(id).await?;
        let resource = match &found {
            Some(r) => referral_resource(r),
            None => Resource::Referral {
                id,
                county: NOWHERE,
                team: NOWHERE,
                institution: NOWHERE,
                resident: NOWHERE,
                direction: Direction::Up,
                sender: NOWHERE,
                receiver: NOWHERE,
            },
        };
        looked_up(self.authz.decide(who, action, &resource), "referral", id, found)
    }

    /// Moves a referral on: the receiving end accepts, declines or
    /// completes it; the sending end cancels it.
    pub async fn answer_referral(
        &self,
        who: &Principal,
        id: &str,
        answer: Answer,
        note: Option<&str>,
    ) -> Result<Referral, KernelError> {
        let action = if answer.by_sender() { Action::CancelReferral } else { Action::AnswerReferral };
        let referral = self.referral_for(who, action, id).await?;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let next = referrals::answer(referral.status, answer, note)?;
        self.store.answer_referral(id, referral.status, next, note, &now()).await?;
        self.store.referral(id).await?.ok_or_else(|| not_found("referral", id))
    }

    /// Records the team's follow-up of a referral.
    pub async fn follow_up_referral(
        &self,
        who: &Principal,
        id: &str,
        done: NewFollowUp,
    ) -> Result<Referral, KernelError> {
        let referral = self.referral_for(who, Action::FollowUpReferral, id).await?;
        let follow_up = referrals::follow_up(&referral, &done, self.clock.today())?;
        self.store.record_follow_up(id, &follow_up, &now()).await?;
        self.store.referral(id).await?.ok_or_else(|| not_found("referral", id))
    }

    /// A team's referrals both ways, oldest first: those the caller may read,
    /// of a team the caller may list (another county's is refused).
    pub async fn team_referrals(&self, who: &Principal, team_id: &str) -> Result<Vec<Referral>, KernelError> {
        self.team_for(who, Action::ListReferrals, team_id).await?;
        let all = self.store.referrals_of_team(team_id).await?;
        Ok(self.readable(who, all))
    }

    /// The referrals an institution sent or received, in the order it works
    /// them: open ones first, the green channel first among those; of an
    /// institution the caller may list (another county's is refused).
    pub async fn institution_referrals(
        &self,
        who: &Principal,
        institution_id: &str,
    ) -> Result<Vec<Referral>, KernelError> {
        self.institution_for(who, Action::ListReferrals, institution_id).await?;
        let all = self.store.referrals_of_institution(institution_id).await?;
        let mut readable = self.readable(who, all);
        referrals::triage(&mut readable);
        Ok(readable)
    }

    fn readable(&self, who: &Principal, referrals: Vec<Referral>) -> Vec<Referral> {
        referrals
            .into_iter()
            .filter(|r| self.authz.decide(who, Action::ReadReferral, &referral_resource(r)).is_ok())
            .collect()
    }

    /// Sets what a county hospital reserves for a team each day; returns
    /// everything it reserves.
    pub async fn set_referral_capacity(
        &self,
        who: &Principal,
        institution_id: &str,
        capacity: Capacity,
    ) -> Result<Vec<Capacity>, KernelError> {
        let hospital = self.hospital_for(who, Action::SetReferralCapacity, institution_id).await?;
        // A team of another county is answered as a missing one: its county is not the caller's business.
        let team = self.store.team(&capacity.team_id).await?.filter(|t| t.county_code == hospital.county_code);
        team.ok_or_else(|| not_found("team", &capacity.team_id))?;
        self.store.set_referral_capacity(&hospital.id, &capacity).await?;
        Ok(self.store.referral_capacity(&hospital.id).await?)
    }

    /// What a county hospital reserves for each team each day.
    pub async fn referral_capacity(&self, who: &Principal, institution_id: &str) -> Result<Vec<Capacity>, KernelError> {
        let hospital = self.hospital_for(who, Action::ReadReferralCapacity, institution_id).await?;
        Ok(self.store.referral_capacity(&hospital.id).await?)
    }

    async fn hospital_for(&self, who: &Principal, action: Action, id: &str) -> Result<Institution, KernelError> {
        let institution = self.institution_for(who, action, id).await?;
        referrals::county_hospital(id, Some(&institution), &institution.county_code)?;
        Ok(institution)
    }

    /// Records that a signed resident moved out of the county: their
    /// contract ends on the day, and a tuberculosis patient's move is
    /// reported upward in the same transaction.
    pub async fn move_out(&self, who: &Principal, resident_id: &str, m: MoveOut) -> Result<MovedOut, KernelError> {
        // Read first, so that whether another county's resident is signed stays its own business.
        let resident = self.resident_for(who, Action::ReadResident, resident_id).await?;
        let contract = self.active_contract_of(&resident.id).await?;
        let contract = contract.ok_or_else(|| ReferralError::NotSigned(resident.id.clone()))?;
        self.authz.decide(who, Action::RecordMoveOut, &contract_resource(&contract))?;
        let today = self.clock.today();
        fulfilment::check_move_out(&m, &contract, today)?;
        let destination = m.destination.trim().to_owned();
        let report = fulfilment::must_report_move_out(&resident.tags_on(m.on)).then(|| MoveOutReport {
            id: uuid::Uuid::now_v7().to_string(),
            resident_id: resident.id.clone(),
            county_code: contract.county_code.clone(),
            team_id: contract.team_id.clone(),
            contract_id: contract.id.clone(),
            moved_on: m.on,
            destination: destination.clone(),
            reported_by: who.subject.clone(),
            reported_at: now(),
        });
        let reason = format!("moved out of the county, to {destination}");
        self.store.move_out(&contract, m.on, report.as_ref(), &who.subject, &reason).await?;
        let contract = self.store.contract(&contract.id).await?.ok_or_else(|| not_found("contract", &contract.id))?;
        Ok(MovedOut { contract, report })
    }

    /// A county's tuberculosis move-out reports, newest move first.
    pub async fn move_out_reports(&self, who: &Principal, county: &str) -> Result<Vec<MoveOutReport>, KernelError> {
        self.county_for(who, Action::ReadMoveOutReports, county).await?;
        Ok(self.store.move_out_reports(county).await?)
    }

    /// The resident's active contract of the current period.
    async fn active_contract_of(&self, resident_id: &str) -> Result<Option<Contract>, KernelError> {
        let period = Period::containing(self.clock.today());
        let contracts = self.store.contracts_of_resident(resident_id).await?;
        Ok(contracts.into_iter().find(|c| c.status == ContractStatus::Active && c.period == period))
    }
}
