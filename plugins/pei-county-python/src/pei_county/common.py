"""What every rule shares: who the plugin is, tags, dates, refusals and the
one rounding rule. Mirrors the top of plugins/pei-county/src/rules.rs."""

from dataclasses import dataclass

COUNTY_CODE = "320322"
COUNTY_NAME = "沛县"
# Not the Rust plugin's "2024.1.1": a stored answer is reproduced from the
# plugin version, so a different build of the same rules needs its own name.
VERSION = "2024.1.1-py"
# Family-doctor signing began in 2016; the rules stay in force (no last year).
FIRST_PERIOD = 2016
LAST_PERIOD = None

# Python ints never overflow; s64 is what the WIT can carry, so amounts that
# would not fit are refused where Rust's checked arithmetic refuses them.
I64_MAX = 2**63 - 1

# Every population tag, in the order of the WIT flags (the order the
# not-eligible messages list them in), with the Chinese name shown to doctors.
TAGS = (
    ("elderly", "65岁及以上老年人"),
    ("child", "0–6岁儿童"),
    ("kindergarten", "入园儿童"),
    ("maternal", "孕产妇"),
    ("hypertension", "高血压患者"),
    ("diabetes", "2型糖尿病患者"),
    ("tuberculosis", "肺结核患者"),
    ("severe_mental_disorder", "严重精神障碍患者"),
    ("disabled", "残疾人"),
    ("copd", "慢阻肺患者"),
    ("stroke", "脑卒中患者"),
    ("tumour", "肿瘤患者"),
    ("registered_poor", "建档立卡贫困人口"),
    ("lifted_out_of_poverty", "脱贫户"),
    ("poverty_monitoring", "监测户"),
    ("special_family_planning", "计生特殊家庭"),
)
TAG_NAMES = tuple(name for name, _ in TAGS)
TAG_ZH = dict(TAGS)


class Refused(Exception):
    """A business answer, not a failure: one of the WIT `refusal` cases.

    `kind` is "unknown_package", "not_eligible" or "invalid_request"."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


def not_configured():
    """What every call but `info` answers before a configuration is accepted."""
    return Refused("invalid_request", "not configured")


@dataclass(frozen=True)
class Resident:
    """What the kernel tells the plugin about a resident: never who they are."""

    age: int
    sex: str  # "male" | "female"; no Pei rule depends on it
    tags: frozenset


@dataclass(frozen=True)
class Date:
    year: int
    month: int
    day: int

    def __str__(self):
        return f"{self.year:04}-{self.month:02}-{self.day:02}"

    def is_valid(self):
        leap = self.year % 4 == 0 and (self.year % 100 != 0 or self.year % 400 == 0)
        if self.month in (1, 3, 5, 7, 8, 10, 12):
            days = 31
        elif self.month in (4, 6, 9, 11):
            days = 30
        elif self.month == 2:
            days = 29 if leap else 28
        else:
            return False
        return 1 <= self.day <= days


def check_date(date):
    """A day the rules can answer for: a real date in a period the plugin
    applies to, so that an old contract is never priced by today's numbers."""
    if not date.is_valid():
        raise Refused("invalid_request", f"日期无效 (invalid date): {date}")
    check_period(date.year, str(date))


def check_period(year, shown):
    if year < FIRST_PERIOD or (LAST_PERIOD is not None and year > LAST_PERIOD):
        raise Refused(
            "invalid_request",
            f"{shown} 不在本插件适用的服务年度内 "
            f"(not in the periods these rules apply to, {FIRST_PERIOD} on)",
        )


def percent_of(amount, percent):
    """`percent`% of `amount`, half up to the fen as the WIT prescribes:
    (amount × percent + 50) / 100. Python's // floors, which is the same as
    truncating here because both operands are never negative (callers check
    amounts, the configuration checks percentages)."""
    assert amount >= 0 and 0 <= percent <= 100
    return (amount * percent + 50) // 100
