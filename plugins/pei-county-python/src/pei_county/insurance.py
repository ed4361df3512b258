"""Medical-insurance adjudication (医保报销) of a signed resident's claim.
Mirrors plugins/pei-county/src/rules/insurance.rs.

Pei's documents give two rules: every signed resident's annual outpatient cap
(门诊封顶线) rises by 300 yuan, and for the stroke rehabilitation package the
township health centre reimburses a further 10% of what is left after
insurance. The national poverty rules add a lower deductible for the
registered poor and compensation of their self-pay (兜底). The base
deductibles, ratios and caps are the plugin's defaults in config.json.

The claim is divided in this order: deductible, reimbursement, over-cap,
co-payment, top-up, compensation. Top-up and compensation relieve the
resident, so the resident's shares state what the resident finally pays: the
relief (the top-up first, then the compensation) comes off the co-payment
first, then the over-cap part, then the deductible, and the co-payment is the
remainder so that the shares always add up to the claim.

A deductible met is met, whoever paid it: the part of the deductible the
relief pays stays a "deductible" share, paid by the reliever (the health
centre, then medical assistance), right after the resident's own, so that the
kernel's year-to-date deductible-paid counts it and a later claim of the year
does not charge it again. The top-up and compensation shares keep only what
relieved the co-payment and the over-cap part.
"""

from dataclasses import dataclass

from . import catalogue
from .catalogue import BASIC, STROKE_REHAB
from .common import Date, Refused, Resident, check_date, percent_of

KIND_ZH = {"outpatient": "门诊", "inpatient": "住院", "rehabilitation": "康复"}
LEVEL_ZH = {
    "village_clinic": "村卫生室",
    "township_centre": "乡镇卫生院",
    "county_hospital": "县级医院",
    "above_county": "县外医院",
}


@dataclass(frozen=True)
class YearToDate:
    deductible_paid: int
    outpatient_reimbursed: int
    inpatient_reimbursed: int


@dataclass(frozen=True)
class Claim:
    resident: Resident
    signed_packages: tuple
    kind: str  # "outpatient" | "inpatient" | "rehabilitation"
    level: str  # "village_clinic" | "township_centre" | "county_hospital" | "above_county"
    referred: bool  # Pei's documents give no referral rule: changes nothing
    on: Date
    amount: int
    year_to_date: YearToDate


@dataclass
class Share:
    kind: str
    payer: str
    amount: int
    reason: str


@dataclass
class Adjudication:
    shares: list


def _check(claim):
    """The request itself: no negative money, a date the rules cover, codes
    of the catalogue, and a signed resident — in this order."""
    ytd = claim.year_to_date
    for name, value in (
        ("费用 (amount)", claim.amount),
        ("本年已付起付线 (year-to-date deductible-paid)", ytd.deductible_paid),
        ("本年门诊已报销 (year-to-date outpatient-reimbursed)", ytd.outpatient_reimbursed),
        ("本年住院已报销 (year-to-date inpatient-reimbursed)", ytd.inpatient_reimbursed),
    ):
        if value < 0:
            raise Refused("invalid_request", f"{name}不能为负 (must not be negative): {value}")
    check_date(claim.on)
    for code in claim.signed_packages:
        if catalogue.find(code) is None:
            raise Refused("unknown_package", code)
    if BASIC not in claim.signed_packages:
        raise Refused(
            "not_eligible",
            "未签约居民不适用家庭医生签约医保政策 "
            f"(only residents who signed the basic package {BASIC} get these benefits)",
        )


def _relieve(amount, relief):
    """Takes up to `relief` off `amount`; answers what is left of each."""
    taken = min(amount, relief)
    return amount - taken, relief - taken


def _net_of_relief(reason, gross, net):
    """A resident share's reason, saying what the resident finally pays when
    top-up or compensation took part of it."""
    if gross == net:
        return reason
    return f"{reason}; 扣除补充报销和兜底补偿后个人付 {net} 分"


def _less_deductible(reason, relief, on_deductible):
    """A relief share's reason, saying what of it paid the deductible and is
    shown as a deductible share instead."""
    if on_deductible == 0:
        return reason
    return f"{reason}; 其中起付线 {on_deductible} 分另列, 本项 {relief - on_deductible} 分"


def adjudicate(config, claim):
    _check(claim)
    insurance = config.insurance
    amount = claim.amount
    ytd = claim.year_to_date
    # Rehabilitation uses the outpatient benefits and cap: Pei's stroke
    # rehabilitation is delivered by the township centre outside a stay.
    if claim.kind == "inpatient":
        benefit, reimbursed, cap_raise = insurance.inpatient, ytd.inpatient_reimbursed, 0
    else:
        benefit = insurance.outpatient
        reimbursed = ytd.outpatient_reimbursed
        cap_raise = insurance.signed_outpatient_cap_raise
    care = LEVEL_ZH[claim.level] + KIND_ZH[claim.kind]
    poor = "registered_poor" in claim.resident.tags

    # Deductible (起付线): counted over the year, across referrals, so only
    # what the year has not yet paid is due.
    base_deductible = getattr(benefit.deductible, claim.level)
    if poor:
        percent = insurance.registered_poor.deductible_percent
        deductible_line = percent_of(base_deductible, percent)
        deductible_text = (
            f"{care}起付线 {base_deductible} × {percent}% = {deductible_line} 分 (建档立卡贫困人口降低起付线)"
        )
    else:
        deductible_line = base_deductible
        deductible_text = f"{care}起付线 {base_deductible} 分"
    deductible = min(max(deductible_line - ytd.deductible_paid, 0), amount)
    deductible_text += f", 本年已付 {ytd.deductible_paid} 分, 本次 {deductible} 分"

    # Reimbursement (按比例报销) of what is above the deductible, limited by
    # what the year's cap leaves.
    above = amount - deductible
    ratio = getattr(benefit.ratio_percent, claim.level)
    reimbursable = percent_of(above, ratio)
    cap = benefit.annual_cap + cap_raise
    if cap_raise > 0:
        cap_text = f"{benefit.annual_cap} + 签约居民提高 {cap_raise} = {cap} 分"
    else:
        cap_text = f"{cap} 分"
    cap_left = max(cap - reimbursed, 0)
    reimbursement = min(reimbursable, cap_left)
    reimbursement_text = (
        f"{care}医保报销: ({amount} − {deductible}) × {ratio}% = {reimbursable} 分; "
        f"年封顶线 {cap_text}, 本年已报 {reimbursed} 分"
    )
    if reimbursement < reimbursable:
        reimbursement_text += f", 本次最多报 {cap_left} 分"
    over_cap = reimbursable - reimbursement
    co_payment = above - reimbursable

    # What the resident would pay without Pei's top-up and the poverty
    # compensation.
    balance = amount - reimbursement
    top_up_percent = insurance.stroke_rehab_top_up_percent
    if claim.kind == "rehabilitation" and STROKE_REHAB in claim.signed_packages:
        top_up = percent_of(balance, top_up_percent)
    else:
        top_up = 0
    after_top_up = balance - top_up
    compensation_percent = insurance.registered_poor.compensation_percent
    compensation = percent_of(after_top_up, compensation_percent) if poor else 0

    co_payment_net, relief = _relieve(co_payment, top_up + compensation)
    over_cap_net, relief = _relieve(over_cap, relief)
    deductible_net, _ = _relieve(deductible, relief)
    # The remainder, so that the shares add up to the claim whatever rounding did.
    remainder = amount - deductible_net - reimbursement - over_cap_net - top_up - compensation

    # The deductible's relief, by payer in the relief's order: the top-up
    # reaches it only past the co-payment and the over-cap part, and the
    # compensation pays the rest of it.
    deductible_relief = deductible - deductible_net
    top_up_deductible = min(max(top_up - co_payment - over_cap, 0), deductible_relief)
    compensation_deductible = deductible_relief - top_up_deductible

    shares = [
        Share(
            "deductible",
            "resident",
            deductible_net,
            _net_of_relief(deductible_text, deductible, deductible_net),
        ),
        Share(
            "deductible",
            "health_centre",
            top_up_deductible,
            f"起付线由乡镇卫生院补充报销 (脑卒中康复包): {top_up_deductible} 分, "
            f"本次起付线 {deductible} 分, 计入本年已付起付线",
        ),
        Share(
            "deductible",
            "medical_assistance",
            compensation_deductible,
            f"起付线由医疗救助兜底: {compensation_deductible} 分, "
            f"本次起付线 {deductible} 分, 计入本年已付起付线",
        ),
        Share("reimbursement", "insurance_fund", reimbursement, reimbursement_text),
        Share(
            "over_cap",
            "resident",
            over_cap_net,
            _net_of_relief(
                f"超出年封顶线: {reimbursable} − {reimbursement} = {over_cap} 分",
                over_cap,
                over_cap_net,
            ),
        ),
        Share(
            "co_payment",
            "resident",
            remainder,
            _net_of_relief(
                f"按比例自付: {above} − {reimbursable} = {co_payment} 分", co_payment, remainder
            ),
        ),
        Share(
            "top_up",
            "health_centre",
            top_up - top_up_deductible,
            _less_deductible(
                f"脑卒中康复包: 乡镇卫生院再报销医保后余额 {balance} × {top_up_percent}% = {top_up} 分",
                top_up,
                top_up_deductible,
            ),
        ),
        Share(
            "compensation",
            "medical_assistance",
            compensation - compensation_deductible,
            _less_deductible(
                f"建档立卡贫困人口医疗救助兜底: 个人余额 {after_top_up} × {compensation_percent}% = {compensation} 分",
                compensation,
                compensation_deductible,
            ),
        ),
    ]
    # Shares of nothing are left out: the WIT wants each one to mean something.
    return Adjudication([share for share in shares if share.amount > 0])
