"""Pei's packages and who may sign which. Mirrors the catalogue half of
plugins/pei-county/src/rules.rs.

List prices are not here: they come from the configuration (config.json)."""

from dataclasses import dataclass

from .common import TAG_NAMES, TAG_ZH, Refused


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    times_per_year: int
    # Price cap of one delivery (价格上限), fen; the documents give none.
    price_cap: int | None = None


@dataclass(frozen=True)
class Package:
    code: str
    name: str
    kind: str  # "basic" | "personalised"
    # Residents with any of these tags may sign; empty means everyone may.
    target_groups: frozenset
    bundled_with: str | None
    items: tuple


# Pei's one basic package (公卫包), the same for every population group.
BASIC = "PEI-GW"
PREGNANCY = "PEI-YY"
CHILD_CARE = "PEI-ET"
ELDERLY_CARE = "PEI-LN"
CHECKUP = "PEI-TJ"
STROKE_REHAB = "PEI-NZ"


def _personalised(code, name, target_groups, *items):
    # Every personalised package is bundled (捆绑) with the basic package.
    return Package(code, name, "personalised", frozenset(target_groups), BASIC, items)


# The seven package types of the county's documents plus the stroke
# rehabilitation package, in the Rust plugin's order. Items and yearly counts
# are illustrative: the documents list the packages, not their contents.
CATALOGUE = (
    Package(
        BASIC,
        "公卫包",
        "basic",
        frozenset(),
        None,
        (
            Item("health-record", "健康档案", 1),
            Item("health-assessment", "健康评估", 1),
            Item("health-education", "健康教育", 4),
            Item("tcm-health-management", "中医药健康管理", 1),
        ),
    ),
    _personalised(
        PREGNANCY,
        "优孕优育包",
        ["maternal"],
        Item("prenatal-check", "产前检查", 5),
        Item("postpartum-visit", "产后访视", 2),
    ),
    _personalised(
        CHILD_CARE,
        "儿童保健包",
        ["child"],
        Item("child-health-check", "儿童健康检查", 4),
        Item("growth-assessment", "生长发育评估", 2),
    ),
    _personalised(
        ELDERLY_CARE,
        "老年保健包",
        ["elderly"],
        Item("elderly-checkup", "老年人健康体检", 1),
        Item("follow-up", "面对面随访", 4),
    ),
    _personalised(
        "PEI-MB",
        "慢病服务包",
        ["hypertension", "diabetes", "copd", "stroke", "tumour"],
        Item("fasting-glucose", "空腹血糖检测", 4),
        Item("blood-pressure", "血压测量", 4),
        Item("follow-up", "面对面随访", 4),
    ),
    _personalised(CHECKUP, "健康体检包", [], Item("checkup", "健康体检", 1)),
    _personalised(
        "PEI-TX",
        "特需服务包",
        [],
        Item("home-visit", "上门服务", 4),
        Item("specialist-appointment", "预约专家门诊", 2),
    ),
    _personalised(
        STROKE_REHAB,
        "脑卒中康复包",
        ["stroke"],
        Item("rehabilitation-guidance", "康复训练指导", 12),
        Item("home-follow-up", "上门随访", 4),
    ),
)

_BY_CODE = {package.code: package for package in CATALOGUE}


def find(code):
    """The package with this code, or None."""
    return _BY_CODE.get(code)


def known(code):
    package = _BY_CODE.get(code)
    if package is None:
        raise Refused("unknown_package", code)
    return package


def _not_eligible(package):
    # Groups in WIT flag order, as the Rust plugin lists them; the English
    # half shows the WIT flag names (kebab-case).
    groups = [tag for tag in TAG_NAMES if tag in package.target_groups]
    zh = "、".join(TAG_ZH[tag] for tag in groups)
    en = ", ".join(tag.replace("_", "-") for tag in groups)
    return Refused(
        "not_eligible",
        f"{package.name}仅面向{zh} ({package.code} is only for residents tagged {en})",
    )


def basic_package(resident):
    """The basic package (基础服务包) for a resident. Pei has one for every
    population group, so no resident can get a missing or wrong one."""
    return BASIC


def eligible(package_code, resident):
    """The package if this resident may sign it: a package with target groups
    is for residents with at least one of them, one without for everyone."""
    package = known(package_code)
    if package.target_groups and not (package.target_groups & resident.tags):
        raise _not_eligible(package)
    return package
