//! Plugins built against `qianyue:county@1.0.0`: the generated bindings, the
//! host's `logging` import, and the translation to the kernel's types. This
//! file changes only to follow the kernel's types; the WIT it binds is
//! frozen.

use std::cell::OnceCell;

use wasmtime::component::{Component, HasSelf, Instance, InstancePre, Linker};
use wasmtime::{Engine, Store};

use super::model::{
    Adjudication, Adjustment, AdjustmentKind, CareKind, CareLevel, Claim, EligibilityRequest, Item, Package,
    PackageKind, Payer, Periods, PluginInfo, PriceRequest, Quote, Refusal, ResidentFacts, Settlement, SettlementKind,
    SettlementLine, Share, ShareKind, TeamActivity,
};
use super::sandbox::{self, Sandbox, SharedLimits};
use super::{CallFailure, flags_of, tags_of};
use crate::residents::{Sex, Tag};

wasmtime::component::bindgen!({
    path: "../wit/v1.0.0",
    world: "county-plugin",
});

use self::exports::qianyue::county::{catalogue as wit_catalogue, incentive as wit_incentive};
use self::exports::qianyue::county::{insurance as wit_insurance, pricing as wit_pricing, setup as wit_setup};
use self::qianyue::county::logging;
use self::qianyue::county::types as wit;

/// The world's name as counties see it in error messages.
pub(super) const WORLD: &str = "qianyue:county/county-plugin@1.0.0";

/// Lines a single call may log, and the length each is cut to: a plugin
/// must not be able to flood the kernel's log.
const LOG_LINES_PER_CALL: u32 = 20;
const LOG_LINE_BYTES: usize = 1000;

impl logging::Host for Sandbox {
    fn log(&mut self, level: logging::Level, message: String) {
        if !self.count_log_line(LOG_LINES_PER_CALL) {
            return;
        }
        let mut end = message.len().min(LOG_LINE_BYTES);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let message = &message[..end];
        let plugin = self.plugin_label();
        match level {
            logging::Level::Debug => tracing::debug!(plugin, "{message}"),
            logging::Level::Info => tracing::info!(plugin, "{message}"),
            logging::Level::Warning => tracing::warn!(plugin, "{message}"),
            logging::Level::Error => tracing::error!(plugin, "{message}"),
        }
    }
}

/// Adds the world's one import to the sandbox's linker.
pub(super) fn add_imports(linker: &mut Linker<Sandbox>) -> wasmtime::Result<()> {
    logging::add_to_linker::<Sandbox, HasSelf<Sandbox>>(linker, |s| s)
}

/// Offers `config` to a component instantiated outside a [`Runner`] (the
/// one a snapshot is taken of).
pub(super) fn configure(
    store: &mut Store<Sandbox>,
    instance: &Instance,
    config: &str,
) -> wasmtime::Result<Result<(), String>> {
    CountyPlugin::new(&mut *store, instance)?.qianyue_county_setup().call_configure(store, config)
}

/// Where each exported interface's functions are in a component, found
/// once: a fresh instance then looks up (and type-checks) only the
/// functions of the interface its call uses, not the whole world's.
struct Exports {
    setup: wit_setup::GuestIndices,
    catalogue: wit_catalogue::GuestIndices,
    pricing: wit_pricing::GuestIndices,
    insurance: wit_insurance::GuestIndices,
    incentive: wit_incentive::GuestIndices,
}

impl Exports {
    fn new(pre: &InstancePre<Sandbox>) -> wasmtime::Result<Exports> {
        Ok(Exports {
            setup: wit_setup::GuestIndices::new(pre)?,
            catalogue: wit_catalogue::GuestIndices::new(pre)?,
            pricing: wit_pricing::GuestIndices::new(pre)?,
            insurance: wit_insurance::GuestIndices::new(pre)?,
            incentive: wit_incentive::GuestIndices::new(pre)?,
        })
    }
}

/// An instance, with its interfaces' functions as each is first used (a
/// warm instance looks them up once).
struct Live<'a> {
    exports: &'a Exports,
    instance: Instance,
    setup: OnceCell<wit_setup::Guest>,
    catalogue: OnceCell<wit_catalogue::Guest>,
    pricing: OnceCell<wit_pricing::Guest>,
    insurance: OnceCell<wit_insurance::Guest>,
    incentive: OnceCell<wit_incentive::Guest>,
}

impl<'a> Live<'a> {
    fn new(exports: &'a Exports, instance: Instance) -> Self {
        Live {
            exports,
            instance,
            setup: OnceCell::new(),
            catalogue: OnceCell::new(),
            pricing: OnceCell::new(),
            insurance: OnceCell::new(),
            incentive: OnceCell::new(),
        }
    }

    fn setup(&self, store: &mut Store<Sandbox>) -> wasmtime::Result<wit_setup::Guest> {
        loaded(&self.setup, || self.exports.setup.load(store, &self.instance))
    }
    fn catalogue(&self, store: &mut Store<Sandbox>) -> wasmtime::Result<wit_catalogue::Guest> {
        loaded(&self.catalogue, || self.exports.catalogue.load(store, &self.instance))
    }
    fn pricing(&self, store: &mut Store<Sandbox>) -> wasmtime::Result<wit_pricing::Guest> {
        loaded(&self.pricing, || self.exports.pricing.load(store, &self.instance))
    }
    fn insurance(&self, store: &mut Store<Sandbox>) -> wasmtime::Result<wit_insurance::Guest> {
        loaded(&self.insurance, || self.exports.insurance.load(store, &self.instance))
    }
    fn incentive(&self, store: &mut Store<Sandbox>) -> wasmtime::Result<wit_incentive::Guest> {
        loaded(&self.incentive, || self.exports.incentive.load(store, &self.instance))
    }
}

fn loaded<G: Clone>(cell: &OnceCell<G>, load: impl FnOnce() -> wasmtime::Result<G>) -> wasmtime::Result<G> {
    if let Some(guest) = cell.get() {
        return Ok(guest.clone());
    }
    let guest = load()?;
    Ok(cell.get_or_init(|| guest).clone())
}

/// A compiled component and its county's configuration document, ready to
/// be instantiated and configured for each call.
pub(super) struct Runner {
    engine: Engine,
    pre: InstancePre<Sandbox>,
    exports: Exports,
    limits: SharedLimits,
    config: String,
    /// The component is a snapshot taken after `configure` accepted
    /// `config` (see `snapshot.rs`): its instances start configured.
    preconfigured: bool,
    label: String,
}

impl Runner {
    pub(super) fn new(
        linker: &Linker<Sandbox>,
        component: &Component,
        limits: SharedLimits,
        config: &str,
        preconfigured: bool,
    ) -> Result<Self, String> {
        let pre = linker
            .instantiate_pre(component)
            .map_err(|e| format!("it needs an import the sandbox does not offer ({e})"))?;
        let exports = Exports::new(&pre).map_err(|e| format!("it does not export the world {WORLD} ({e})"))?;
        Ok(Runner {
            engine: component.engine().clone(),
            pre,
            exports,
            limits,
            config: config.to_owned(),
            preconfigured,
            label: String::from("?"),
        })
    }

    /// Names the plugin in its log lines, and gives it its county's limits,
    /// once it has said who it is.
    pub(super) fn identified(&mut self, info: &PluginInfo, limits: SharedLimits) {
        self.label = format!("{}@{}", info.county_code, info.version);
        self.limits = limits;
    }

    /// A fresh instance, configured unless it starts so; `Err` carries the
    /// plugin's reason for refusing its configuration.
    pub(super) fn session(&self, call: &'static str) -> Result<Result<Session<'_>, String>, CallFailure> {
        let limits = sandbox::current(&self.limits);
        let mut store = sandbox::store(&self.engine, &limits, &self.label)
            .map_err(|e| CallFailure::Trap { call, message: e.to_string() })?;
        let configured = self.pre.instantiate(&mut store).and_then(|instance| {
            let accepted = match self.preconfigured {
                true => Ok(()),
                false => {
                    Live::new(&self.exports, instance).setup(&mut store)?.call_configure(&mut store, &self.config)?
                }
            };
            Ok(accepted.map(|()| Live::new(&self.exports, instance)))
        });
        match configured {
            Ok(Ok(live)) => Ok(Ok(Session { runner: self, store, live: Some(live) })),
            Ok(Err(message)) => Ok(Err(message)),
            // From a snapshot nothing runs but the instantiation: say so, not `configure`.
            Err(e) => {
                Err(sandbox::classify(if self.preconfigured { "instantiate" } else { call }, 1, &store, &limits, e))
            }
        }
    }

    /// A session for calls after load: a configuration refused now fails
    /// like a crash, since it was accepted at load and cannot be the
    /// caller's fault.
    pub(super) fn configured(&self, call: &'static str) -> Result<Session<'_>, CallFailure> {
        self.session(call)?.map_err(|message| CallFailure::Trap {
            call,
            message: format!("the plugin refused its configuration: {message}"),
        })
    }

    pub(super) fn info(&self) -> Result<PluginInfo, CallFailure> {
        let limits = sandbox::current(&self.limits);
        let mut store = sandbox::store(&self.engine, &limits, &self.label)
            .map_err(|e| CallFailure::Trap { call: "info", message: e.to_string() })?;
        let info = self
            .pre
            .instantiate(&mut store)
            .and_then(|instance| Live::new(&self.exports, instance).setup(&mut store)?.call_info(&mut store))
            .map_err(|e| sandbox::classify("info", 1, &store, &limits, e))?;
        Ok(PluginInfo {
            county_code: info.county_code,
            county_name: info.county_name,
            version: info.version,
            periods: Periods { first: info.periods.first, last: info.periods.last },
        })
    }

    /// Offers the configuration document; `Err` carries the plugin's reason
    /// for refusing it.
    pub(super) fn configure(&self) -> Result<Result<(), String>, CallFailure> {
        Ok(self.session("configure")?.map(drop))
    }
}

/// One configured instance kept for the calls of one kernel operation (a
/// signing's basic-package question and its prices): each call gets its own
/// fuel and deadline, and a call that fails ends the session, since an
/// instance that trapped refuses every further call.
pub(super) struct Session<'r> {
    runner: &'r Runner,
    store: Store<Sandbox>,
    /// `None` once a call failed: an instance that trapped refuses every further call.
    live: Option<Live<'r>>,
}

impl Session<'_> {
    fn call<R>(
        &mut self,
        call: &'static str,
        items: usize,
        f: impl FnOnce(&Live<'_>, &mut Store<Sandbox>) -> wasmtime::Result<R>,
    ) -> Result<R, CallFailure> {
        let live = self.live.take().ok_or_else(|| CallFailure::Trap {
            call,
            message: "an earlier call of the same operation failed and its instance was discarded".into(),
        })?;
        let limits = sandbox::current(&self.runner.limits).for_items(items);
        sandbox::arm(&mut self.store, &limits).map_err(|e| CallFailure::Trap { call, message: e.to_string() })?;
        let answer = f(&live, &mut self.store).map_err(|e| sandbox::classify(call, items, &self.store, &limits, e))?;
        self.live = Some(live);
        Ok(answer)
    }

    pub(super) fn packages(&mut self) -> Result<Vec<Package>, CallFailure> {
        let packages = self.call("packages", 1, |p, s| p.catalogue(s)?.call_packages(s))?;
        Ok(packages.into_iter().map(package).collect())
    }

    pub(super) fn basic_package(&mut self, r: &ResidentFacts) -> Result<Result<String, Refusal>, CallFailure> {
        let facts = resident(r);
        let answer = self.call("basic-package", 1, |p, s| p.catalogue(s)?.call_basic_package(s, facts))?;
        Ok(answer.map_err(refusal))
    }

    pub(super) fn eligible(
        &mut self,
        requests: &[EligibilityRequest],
    ) -> Result<Vec<Result<(), Refusal>>, CallFailure> {
        let requests: Vec<_> = requests
            .iter()
            .map(|r| wit_catalogue::EligibilityRequest {
                package_code: r.package_code.clone(),
                resident: resident(&r.resident),
            })
            .collect();
        let answers =
            self.call("eligible-batch", requests.len(), |p, s| p.catalogue(s)?.call_eligible_batch(s, &requests))?;
        Ok(answers.into_iter().map(|a| a.map_err(refusal)).collect())
    }

    pub(super) fn price_batch(
        &mut self,
        requests: &[PriceRequest],
    ) -> Result<Vec<Result<Priced, Refusal>>, CallFailure> {
        let requests: Vec<_> = requests.iter().map(price_request).collect();
        let answers = self.call("price-batch", requests.len(), |p, s| p.pricing(s)?.call_price_batch(s, &requests))?;
        Ok(answers.into_iter().map(|a| a.map(quote).map_err(refusal)).collect())
    }

    pub(super) fn adjudicate_batch(
        &mut self,
        claims: &[Claim],
    ) -> Result<Vec<Result<Adjudication, Refusal>>, CallFailure> {
        let claims: Vec<_> = claims.iter().map(claim).collect();
        let answers =
            self.call("adjudicate-batch", claims.len(), |p, s| p.insurance(s)?.call_adjudicate_batch(s, &claims))?;
        Ok(answers.into_iter().map(|a| a.map(adjudication).map_err(refusal)).collect())
    }

    pub(super) fn settle_batch(
        &mut self,
        activities: &[TeamActivity],
    ) -> Result<Vec<Result<Settlement, Refusal>>, CallFailure> {
        let activities: Vec<_> = activities.iter().map(activity).collect();
        let answers =
            self.call("settle-batch", activities.len(), |p, s| p.incentive(s)?.call_settle_batch(s, &activities))?;
        Ok(answers.into_iter().map(|a| a.map(settlement).map_err(refusal)).collect())
    }
}

/// A quote with the list price the plugin priced from, which the kernel
/// checks against its catalogue.
pub(super) struct Priced {
    pub list_price: i64,
    pub quote: Quote,
}

const TAG_FLAGS: [(Tag, wit::PopulationTags); 16] = super::tag_table!(wit::PopulationTags);

fn flags(tags: &crate::residents::Tags) -> wit::PopulationTags {
    flags_of(&TAG_FLAGS, wit::PopulationTags::empty(), tags)
}

fn tags(flags: wit::PopulationTags) -> crate::residents::Tags {
    tags_of(&TAG_FLAGS, |flag| flags.contains(flag))
}

fn resident(r: &ResidentFacts) -> wit::ResidentFacts {
    wit::ResidentFacts {
        age: r.age,
        sex: match r.sex {
            Sex::Male => wit::Sex::Male,
            Sex::Female => wit::Sex::Female,
        },
        tags: flags(&r.tags),
    }
}

fn date(d: time::Date) -> wit::Date {
    // Years of the kernel's dates are four digits (ISO 8601 without sign).
    wit::Date { year: u16::try_from(d.year()).unwrap_or(0), month: u8::from(d.month()), day: d.day() }
}

fn package(p: wit::Package) -> Package {
    Package {
        code: p.code,
        name: p.name,
        kind: match p.kind {
            wit::PackageKind::Basic => PackageKind::Basic,
            wit::PackageKind::Personalised => PackageKind::Personalised,
        },
        target_groups: tags(p.target_groups),
        bundled_with: p.bundled_with,
        items: p
            .items
            .into_iter()
            .map(|i| Item { code: i.code, name: i.name, times_per_year: i.times_per_year, price_cap: i.price_cap })
            .collect(),
        list_price: p.list_price,
    }
}

fn price_request(r: &PriceRequest) -> wit_pricing::PriceRequest {
    wit_pricing::PriceRequest {
        package_code: r.package_code.clone(),
        resident: resident(&r.resident),
        starts_on: date(r.starts_on),
    }
}

fn quote(q: wit_pricing::Quote) -> Priced {
    let adjustments: Vec<Adjustment> = q
        .adjustments
        .into_iter()
        .map(|a| Adjustment {
            kind: match a.kind {
                wit_pricing::AdjustmentKind::Discount => AdjustmentKind::Discount,
                wit_pricing::AdjustmentKind::Waiver => AdjustmentKind::Waiver,
            },
            amount: a.amount,
            reason: a.reason,
        })
        .collect();
    // An overflowing sum stays unequal to anything, so the check refuses it.
    let discount = adjustments.iter().try_fold(0i64, |s, a| s.checked_add(a.amount)).unwrap_or(i64::MIN);
    Priced {
        list_price: q.list_price,
        quote: Quote {
            discount,
            adjustments,
            public_health_fund: q.public_health_fund,
            insurance_fund: q.insurance_fund,
            self_pay: q.self_pay,
            rule: q.rule,
        },
    }
}

fn claim(c: &Claim) -> wit_insurance::Claim {
    wit_insurance::Claim {
        resident: resident(&c.resident),
        signed_packages: c.signed_packages.clone(),
        kind: match c.kind {
            CareKind::Outpatient => wit_insurance::CareKind::Outpatient,
            CareKind::Inpatient => wit_insurance::CareKind::Inpatient,
            CareKind::Rehabilitation => wit_insurance::CareKind::Rehabilitation,
        },
        level: match c.level {
            CareLevel::VillageClinic => wit_insurance::CareLevel::VillageClinic,
            CareLevel::TownshipCentre => wit_insurance::CareLevel::TownshipCentre,
            CareLevel::CountyHospital => wit_insurance::CareLevel::CountyHospital,
            CareLevel::AboveCounty => wit_insurance::CareLevel::AboveCounty,
        },
        referred: c.referred,
        on: date(c.on),
        amount: c.amount,
        year_to_date: wit_insurance::YearToDate {
            deductible_paid: c.year_to_date.deductible_paid,
            outpatient_reimbursed: c.year_to_date.outpatient_reimbursed,
            inpatient_reimbursed: c.year_to_date.inpatient_reimbursed,
        },
    }
}

fn adjudication(a: wit_insurance::Adjudication) -> Adjudication {
    use wit_insurance::{Payer as P, ShareKind as K};
    Adjudication {
        shares: a
            .shares
            .into_iter()
            .map(|s| Share {
                kind: match s.kind {
                    K::Deductible => ShareKind::Deductible,
                    K::Reimbursement => ShareKind::Reimbursement,
                    K::CoPayment => ShareKind::CoPayment,
                    K::OverCap => ShareKind::OverCap,
                    K::TopUp => ShareKind::TopUp,
                    K::Compensation => ShareKind::Compensation,
                },
                payer: match s.payer {
                    P::InsuranceFund => Payer::InsuranceFund,
                    P::HealthCentre => Payer::HealthCentre,
                    P::MedicalAssistance => Payer::MedicalAssistance,
                    P::Resident => Payer::Resident,
                },
                amount: s.amount,
                reason: s.reason,
            })
            .collect(),
    }
}

fn activity(a: &TeamActivity) -> wit_incentive::TeamActivity {
    wit_incentive::TeamActivity {
        period: a.period,
        residents_signed: a.residents_signed,
        households_signed: a.households_signed,
        signings: a
            .signings
            .iter()
            .map(|s| wit_incentive::PackageSignings { package_code: s.package_code.clone(), signings: s.signings })
            .collect(),
        deliveries: a
            .deliveries
            .iter()
            .map(|d| wit_incentive::ItemDelivery {
                package_code: d.package_code.clone(),
                item_code: d.item_code.clone(),
                owed: d.owed,
                delivered: d.delivered,
            })
            .collect(),
        assessment_score: a.assessment_score,
        care_spent: a.care_spent,
    }
}

fn settlement(s: wit_incentive::Settlement) -> Settlement {
    use wit_incentive::SettlementKind as K;
    Settlement {
        lines: s
            .lines
            .into_iter()
            .map(|l| SettlementLine {
                kind: match l.kind {
                    K::PerSigning => SettlementKind::PerSigning,
                    K::Fulfilment => SettlementKind::Fulfilment,
                    K::Capitation => SettlementKind::Capitation,
                    K::SurplusReward => SettlementKind::SurplusReward,
                    K::Subsidy => SettlementKind::Subsidy,
                },
                amount: l.amount,
                reason: l.reason,
            })
            .collect(),
        total: s.total,
    }
}

fn refusal(e: wit::Refusal) -> Refusal {
    match e {
        wit::Refusal::UnknownPackage(code) => Refusal::UnknownPackage(code),
        wit::Refusal::NotEligible(why) => Refusal::NotEligible(why),
        wit::Refusal::InvalidRequest(why) => Refusal::InvalidRequest(why),
    }
}
