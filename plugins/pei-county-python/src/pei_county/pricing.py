"""What a package costs a resident and who pays it. Mirrors the pricing half
of plugins/pei-county/src/rules.rs."""

from dataclasses import dataclass, field

from . import catalogue
from .catalogue import BASIC, CHECKUP, CHILD_CARE
from .common import Date, Resident, check_date, percent_of


@dataclass(frozen=True)
class PriceRequest:
    package_code: str
    resident: Resident
    starts_on: Date


@dataclass
class Adjustment:
    kind: str  # "discount" (折扣) | "waiver" (减免; Pei grants none on packages)
    amount: int
    reason: str


@dataclass
class Quote:
    list_price: int
    adjustments: list = field(default_factory=list)
    public_health_fund: int = 0
    insurance_fund: int = 0
    self_pay: int = 0
    rule: str = ""


def _discounted(package, label, list_price, percent):
    """A package at `percent`% of list, self-paid, its discount itemised.

    The discount is the difference, not its own percentage, so that rounding
    cannot make the two disagree with the list price; a discount of nothing
    is left out, because the WIT wants every adjustment positive."""
    price = percent_of(list_price, percent)
    discount = list_price - price
    adjustments = []
    if discount > 0:
        adjustments.append(
            Adjustment(
                "discount",
                discount,
                f"{label}{package.name}优惠: {list_price} − {price} = {discount} 分",
            )
        )
    return Quote(
        list_price=list_price,
        adjustments=adjustments,
        self_pay=price,
        rule=f"{label}{package.name}按标价 {percent}% 收费: {list_price} × {percent}% = {price} 分",
    )


def price(config, request):
    """Price one package for one resident: the code first, then the date,
    then eligibility (the order the golden cases pin down)."""
    package = catalogue.known(request.package_code)
    check_date(request.starts_on)
    catalogue.eligible(package.code, request.resident)
    list_price = config.list_prices[package.code]

    if package.code == BASIC:
        # The basic package is free to residents: the public-health fund pays.
        return Quote(
            list_price=list_price,
            public_health_fund=list_price,
            rule=f"{package.name}由基本公共卫生服务经费全额支付: {list_price} 分",
        )
    if package.code == CHECKUP:
        # 体检包四折
        return _discounted(package, "", list_price, config.checkup_percent)
    if package.code == CHILD_CARE and "kindergarten" in request.resident.tags:
        # 入园儿童儿童保健包六折
        return _discounted(package, "入园儿童", list_price, config.kindergarten_percent)
    return Quote(
        list_price=list_price,
        self_pay=list_price,
        rule=f"{package.name}原价, 个人自付: {list_price} 分",
    )
