"""The component: exports world `county-plugin` of qianyue:county@1.0.0
(wit/v1.0.0/county.wit) by converting between the bindings componentize-py
generates (`wit_world`) and the plain rules of `pei_county`.

componentize-py looks here for one class per exported interface, named
after it (Setup, Catalogue, Pricing, Insurance, Incentive). A WIT
`result<T, E>` answer is a return value or a raised `Err(E)`; in a batch it
is a list of `Ok`/`Err`.
"""

from componentize_py_types import Err, Ok

import wit_world
from wit_world.exports import catalogue as wit_catalogue
from wit_world.exports import incentive as wit_incentive
from wit_world.exports import insurance as wit_insurance
from wit_world.exports import pricing as wit_pricing
from wit_world.exports import setup as wit_setup
from wit_world.imports import logging as kernel_log
from wit_world.imports import types as wit

from pei_county import catalogue, common, config, incentive, insurance, pricing
from pei_county.common import Refused

# The accepted configuration, or None. The kernel calls `configure` on every
# fresh instance; a refused document must leave the plugin unconfigured, and
# the kernel may configure an instance again.
_config = None


def _configured():
    if _config is None:
        raise common.not_configured()
    return _config


# --- WIT → rules ------------------------------------------------------------

# WIT flag of each tag name, in the same (WIT) order as common.TAG_NAMES.
_FLAGS = tuple((name, wit.PopulationTags[name.upper()]) for name in common.TAG_NAMES)
# The same as bits: testing `flag in flags` runs the enum module's Python
# code for each of the 16 tags, which the fuel of a price call notices.
_BITS = tuple((name, flag.value) for name, flag in _FLAGS)


def _tags(flags):
    bits = flags.value
    return frozenset(name for name, bit in _BITS if bits & bit)


def _resident(facts):
    return common.Resident(facts.age, facts.sex.name.lower(), _tags(facts.tags))


def _date(date):
    return common.Date(date.year, date.month, date.day)


def _claim(claim):
    ytd = claim.year_to_date
    return insurance.Claim(
        resident=_resident(claim.resident),
        signed_packages=tuple(claim.signed_packages),
        # The rules name enum cases as the golden files do: snake_case.
        kind=claim.kind.name.lower(),
        level=claim.level.name.lower(),
        referred=claim.referred,
        on=_date(claim.on),
        amount=claim.amount,
        year_to_date=insurance.YearToDate(
            ytd.deductible_paid, ytd.outpatient_reimbursed, ytd.inpatient_reimbursed
        ),
    )


def _activity(activity):
    return incentive.TeamActivity(
        period=activity.period,
        residents_signed=activity.residents_signed,
        households_signed=activity.households_signed,
        signings=tuple(
            incentive.PackageSignings(s.package_code, s.signings) for s in activity.signings
        ),
        deliveries=tuple(
            incentive.ItemDelivery(d.package_code, d.item_code, d.owed, d.delivered)
            for d in activity.deliveries
        ),
        assessment_score=activity.assessment_score,
        care_spent=activity.care_spent,
    )


# --- rules → WIT ------------------------------------------------------------

_REFUSALS = {
    "unknown_package": wit.Refusal_UnknownPackage,
    "not_eligible": wit.Refusal_NotEligible,
    "invalid_request": wit.Refusal_InvalidRequest,
}


def _answer(rule, *args):
    """Runs a rule; a refusal becomes the WIT error, raised as `Err`."""
    try:
        return rule(*args)
    except Refused as refusal:
        raise Err(_REFUSALS[refusal.kind](refusal.message))


def _batch(single, requests):
    """A batch answers exactly as the single calls, in order."""
    answers = []
    for request in requests:
        try:
            answers.append(Ok(single(request)))
        except Err as refusal:
            answers.append(refusal)
    return answers


def _flags(names):
    flags = wit.PopulationTags(0)
    for name, flag in _FLAGS:
        if name in names:
            flags |= flag
    return flags


def _package(package, list_price):
    return wit.Package(
        code=package.code,
        name=package.name,
        kind=wit.PackageKind[package.kind.upper()],
        target_groups=_flags(package.target_groups),
        bundled_with=package.bundled_with,
        items=[
            wit.Item(item.code, item.name, item.times_per_year, item.price_cap)
            for item in package.items
        ],
        list_price=list_price,
    )


def _quote(quote):
    return wit_pricing.Quote(
        list_price=quote.list_price,
        adjustments=[
            wit_pricing.Adjustment(wit_pricing.AdjustmentKind[a.kind.upper()], a.amount, a.reason)
            for a in quote.adjustments
        ],
        public_health_fund=quote.public_health_fund,
        insurance_fund=quote.insurance_fund,
        self_pay=quote.self_pay,
        rule=quote.rule,
    )


def _adjudication(adjudication):
    return wit_insurance.Adjudication(
        [
            wit_insurance.Share(
                wit_insurance.ShareKind[s.kind.upper()],
                wit_insurance.Payer[s.payer.upper()],
                s.amount,
                s.reason,
            )
            for s in adjudication.shares
        ]
    )


def _settlement(settlement):
    return wit_incentive.Settlement(
        [
            wit_incentive.SettlementLine(
                wit_incentive.SettlementKind[line.kind.upper()], line.amount, line.reason
            )
            for line in settlement.lines
        ],
        settlement.total,
    )


# --- the exports --------------------------------------------------------------


class Setup(wit_world.exports.Setup):
    def info(self):
        return wit_setup.PluginInfo(
            county_code=common.COUNTY_CODE,
            county_name=common.COUNTY_NAME,
            version=common.VERSION,
            periods=wit_setup.Periods(common.FIRST_PERIOD, common.LAST_PERIOD),
        )

    def configure(self, document):
        global _config
        _config = None
        try:
            _config = config.parse(document)
        except config.ConfigError as error:
            # Only a refusal is logged: configure runs on every fresh
            # instance, so a line for each success would flood the log.
            kernel_log.log(kernel_log.Level.WARNING, f"configuration refused: {error}")
            raise Err(str(error))


class Catalogue(wit_world.exports.Catalogue):
    def packages(self):
        # Empty before a configuration is accepted: the WIT leaves no room
        # for a refusal here, and a catalogue without prices would be wrong.
        if _config is None:
            return []
        return [_package(p, _config.list_prices[p.code]) for p in catalogue.CATALOGUE]

    def basic_package(self, resident):
        _answer(_configured)
        return _answer(catalogue.basic_package, _resident(resident))

    def basic_package_batch(self, residents):
        return _batch(self.basic_package, residents)

    def eligible(self, request):
        _answer(_configured)
        _answer(catalogue.eligible, request.package_code, _resident(request.resident))

    def eligible_batch(self, requests):
        return _batch(self.eligible, requests)


class Pricing(wit_world.exports.Pricing):
    def price(self, request):
        rules_request = pricing.PriceRequest(
            request.package_code, _resident(request.resident), _date(request.starts_on)
        )
        return _quote(_answer(lambda: pricing.price(_configured(), rules_request)))

    def price_batch(self, requests):
        return _batch(self.price, requests)


class Insurance(wit_world.exports.Insurance):
    def adjudicate(self, claim):
        rules_claim = _claim(claim)
        return _adjudication(_answer(lambda: insurance.adjudicate(_configured(), rules_claim)))

    def adjudicate_batch(self, claims):
        return _batch(self.adjudicate, claims)


class Incentive(wit_world.exports.Incentive):
    def settle(self, activity):
        rules_activity = _activity(activity)
        return _settlement(_answer(lambda: incentive.settle(_configured(), rules_activity)))

    def settle_batch(self, activities):
        return _batch(self.settle, activities)
