"""Team incentives (激励): what a family-doctor team earns for a period.
Mirrors plugins/pei-county/src/rules/incentive.rs.

Pei's documents: each signing of the pregnancy package (优孕优育包) or the
elderly-care package (老年保健包) earns the team 15 yuan; the new 10-yuan
per-capita public-health subsidy goes entirely to signing work; signing
income is paid after assessment (考核). The subsidy is paid only when the
assessment score reaches the configured pass mark, and its line is left out
otherwise. Lines of zero are left out. Pei pays neither by fulfilment nor by
capitation, so deliveries and care spending change nothing.
"""

from dataclasses import dataclass

from . import catalogue
from .common import I64_MAX, Refused, check_period


@dataclass(frozen=True)
class PackageSignings:
    package_code: str
    signings: int


@dataclass(frozen=True)
class ItemDelivery:
    package_code: str
    item_code: str
    owed: int
    delivered: int


@dataclass(frozen=True)
class TeamActivity:
    period: int
    residents_signed: int
    households_signed: int
    signings: tuple
    deliveries: tuple
    assessment_score: int
    care_spent: int


@dataclass
class SettlementLine:
    kind: str  # "per_signing" | "fulfilment" | "capitation" | "surplus_reward" | "subsidy"
    amount: int
    reason: str


@dataclass
class Settlement:
    lines: list
    total: int


def _payable(amount):
    """Python ints do not overflow, but the WIT's fen is an s64: refuse what
    it cannot carry, as the Rust plugin's checked arithmetic does."""
    if amount > I64_MAX:
        raise Refused("invalid_request", "结算金额过大 (the settlement is too large to pay)")
    return amount


def settle(config, activity):
    score = activity.assessment_score
    if score > 100:
        raise Refused(
            "invalid_request",
            f"考核得分应在 0–100 之间 (assessment score must be 0–100): {score}",
        )
    if activity.care_spent < 0:
        raise Refused(
            "invalid_request",
            f"医疗费用不能为负 (care spent must not be negative): {activity.care_spent}",
        )
    check_period(activity.period, f"服务年度 {activity.period} (period {activity.period})")
    for entry in activity.signings:
        if catalogue.find(entry.package_code) is None:
            raise Refused("unknown_package", entry.package_code)

    incentive = config.incentive
    lines = []
    # One line per rewarded package, in catalogue order, however many
    # entries the kernel sent for it.
    for package in catalogue.CATALOGUE:
        each = incentive.per_signing.get(package.code)
        if each is None:
            continue
        count = sum(e.signings for e in activity.signings if e.package_code == package.code)
        amount = _payable(count * each)
        if amount > 0:
            lines.append(
                SettlementLine(
                    "per_signing", amount, f"{package.name}签约 {count} × {each} 分 = {amount} 分"
                )
            )

    pass_mark = incentive.subsidy_pass_mark
    per_resident = incentive.subsidy_per_resident
    residents = activity.residents_signed
    # Checked even below the pass mark, as the Rust plugin does.
    subsidy = _payable(residents * per_resident)
    if score >= pass_mark and subsidy > 0:
        lines.append(
            SettlementLine(
                "subsidy",
                subsidy,
                f"基本公共卫生服务人均补助用于签约服务: {residents} 人 × {per_resident} 分 = {subsidy} 分 "
                f"(考核 {score} 分, 合格线 {pass_mark} 分)",
            )
        )

    total = _payable(sum(line.amount for line in lines))
    return Settlement(lines, total)
