"""The county's configuration document (配置文件, config.json): the numbers Pei
changes without new code. Mirrors plugins/pei-county/src/rules/config.rs and
accepts exactly the same documents.

The kernel hands the document to `setup.configure` on every fresh instance,
so this is one cheap pass. Every field is required, unknown fields are refused
(a misspelt field must not silently fall back to a default), every number is
range-checked, and a refusal names the field, because the county officer who
uploaded the document reads it. Range, missing-field and unknown-field
messages are word for word the Rust plugin's (which come from serde); JSON
syntax errors are worded by Python's json module and carry no position suffix
of serde's kind.
"""

import json
from types import SimpleNamespace

from . import catalogue
from .common import I64_MAX

# The most any configured amount may be, in fen (one billion yuan): far above
# any real price or cap; the Rust plugin picked it so that no product of an
# amount and a count or percentage overflows an i64.
MAX_FEN = 100_000_000_000

# The document's shape. A dict is a struct (fields in declaration order, the
# order serde reports missing fields in), MAP a map of package code to amount,
# INT an integer that must fit an i64.
INT = "i64"
MAP = "map"
_BY_LEVEL = (
    "ByLevel",
    {"village_clinic": INT, "township_centre": INT, "county_hospital": INT, "above_county": INT},
)
_BENEFIT = ("Benefit", {"deductible": _BY_LEVEL, "ratio_percent": _BY_LEVEL, "annual_cap": INT})
_SCHEMA = (
    "Config",
    {
        "list_prices": MAP,
        "checkup_percent": INT,
        "kindergarten_percent": INT,
        "insurance": (
            "Insurance",
            {
                "outpatient": _BENEFIT,
                "inpatient": _BENEFIT,
                "signed_outpatient_cap_raise": INT,
                "stroke_rehab_top_up_percent": INT,
                "registered_poor": (
                    "Poverty",
                    {"deductible_percent": INT, "compensation_percent": INT},
                ),
            },
        ),
        "incentive": (
            "Incentive",
            {"per_signing": MAP, "subsidy_per_resident": INT, "subsidy_pass_mark": INT},
        ),
    },
)

LEVELS = ("village_clinic", "township_centre", "county_hospital", "above_county")


class ConfigError(Exception):
    """A refused document; the text is shown to the county officer."""


def _at(path, message):
    # serde_path_to_error prefixes the field's path, except at the top level.
    return ConfigError(f"{path}: {message}" if path else message)


def _join(path, key):
    return f"{path}.{key}" if path else key


def _unexpected(value):
    """How serde_json names a JSON value of the wrong type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{'true' if value else 'false'}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f"string {json.dumps(value, ensure_ascii=False)}"
    if isinstance(value, list):
        return "sequence"
    return "map"


def _expected_fields(names):
    """serde's wording of the fields it expected instead of an unknown one."""
    quoted = [f"`{name}`" for name in names]
    if len(quoted) == 1:
        return f"expected {quoted[0]}"
    if len(quoted) == 2:
        return f"expected {quoted[0]} or {quoted[1]}"
    return "expected one of " + ", ".join(quoted)


def _integer(value, path):
    # bool is an int subclass in Python; JSON's true is not a number.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _at(path, f"invalid type: {_unexpected(value)}, expected i64")
    if not -I64_MAX - 1 <= value <= I64_MAX:
        raise _at(path, f"invalid value: integer `{value}`, expected i64")
    return value


def _shape(value, schema, path):
    """Checks types, unknown and missing fields; answers the document as
    attribute namespaces (structs) and dicts (maps)."""
    if schema == INT:
        return _integer(value, path)
    if schema == MAP:
        if not isinstance(value, dict):
            raise _at(path, f"invalid type: {_unexpected(value)}, expected a map")
        return {code: _integer(amount, _join(path, code)) for code, amount in value.items()}
    name, fields = schema
    if not isinstance(value, dict):
        raise _at(path, f"invalid type: {_unexpected(value)}, expected struct {name}")
    shaped = {}
    for key, item in value.items():  # document order, as serde reads it
        if key not in fields:
            raise _at(_join(path, key), f"unknown field `{key}`, {_expected_fields(fields)}")
        shaped[key] = _shape(item, fields[key], _join(path, key))
    for key in fields:
        if key not in shaped:
            raise _at(path, f"missing field `{key}`")
    return SimpleNamespace(**shaped)


def _percent(field, value):
    if not 0 <= value <= 100:
        raise ConfigError(f"{field}: must be between 0 and 100, got {value}")


def _fen(field, value):
    if not 0 <= value <= MAX_FEN:
        raise ConfigError(f"{field}: must be between 0 and {MAX_FEN} fen, got {value}")


def _benefit(field, benefit):
    for level in LEVELS:
        _fen(f"{field}.deductible.{level}", getattr(benefit.deductible, level))
    for level in LEVELS:
        _percent(f"{field}.ratio_percent.{level}", getattr(benefit.ratio_percent, level))
    _fen(f"{field}.annual_cap", benefit.annual_cap)


def _validate(config):
    """Range and catalogue checks, in the Rust plugin's order so that a
    document with several faults is refused with the same first one."""
    for package in catalogue.CATALOGUE:
        field = f"list_prices.{package.code}"
        if package.code not in config.list_prices:
            raise ConfigError(f"{field}: missing")
        _fen(field, config.list_prices[package.code])
    # Rust keeps these maps in a BTreeMap, so it names extra codes sorted.
    for code in sorted(config.list_prices):
        if catalogue.find(code) is None:
            raise ConfigError(f"list_prices.{code}: not a package of Pei's catalogue")
    _percent("checkup_percent", config.checkup_percent)
    _percent("kindergarten_percent", config.kindergarten_percent)

    insurance = config.insurance
    _benefit("insurance.outpatient", insurance.outpatient)
    _benefit("insurance.inpatient", insurance.inpatient)
    _fen("insurance.signed_outpatient_cap_raise", insurance.signed_outpatient_cap_raise)
    _percent("insurance.stroke_rehab_top_up_percent", insurance.stroke_rehab_top_up_percent)
    poverty = insurance.registered_poor
    _percent("insurance.registered_poor.deductible_percent", poverty.deductible_percent)
    _percent("insurance.registered_poor.compensation_percent", poverty.compensation_percent)

    incentive = config.incentive
    for code in sorted(incentive.per_signing):
        field = f"incentive.per_signing.{code}"
        package = catalogue.find(code)
        if package is None:
            raise ConfigError(f"{field}: not a package of Pei's catalogue")
        if package.kind != "personalised":
            raise ConfigError(f"{field}: the basic package earns no signing reward")
        _fen(field, incentive.per_signing[code])
    _fen("incentive.subsidy_per_resident", incentive.subsidy_per_resident)
    _percent("incentive.subsidy_pass_mark", incentive.subsidy_pass_mark)


def _no_constant(name):
    # Python's json accepts NaN and Infinity; JSON (and serde) do not.
    raise ConfigError(f"expected value, got `{name}`")


def parse(document):
    """Reads and checks a configuration document; raises ConfigError.

    The answer reads like the document: `config.list_prices["PEI-TJ"]`,
    `config.insurance.outpatient.ratio_percent.township_centre`."""
    try:
        value = json.loads(document, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise ConfigError(str(error)) from None
    config = _shape(value, _SCHEMA, "")
    _validate(config)
    return config
