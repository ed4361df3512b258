"""What the golden cases leave out: quote rounding and the configuration's
refusals, with the Rust plugin's unit-test numbers and messages."""

import copy
import json
import sys
import unittest
from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PLUGIN_DIR / "src"))

from pei_county import config, pricing  # noqa: E402
from pei_county.common import Date, Resident, percent_of  # noqa: E402

SHIPPED = (PLUGIN_DIR.parent / "pei-county" / "config.json").read_text(encoding="utf-8")


def refusal(change):
    """The message refusing the shipped document after `change` edits it."""
    document = json.loads(SHIPPED)
    change(document)
    with unittest.TestCase().assertRaises(config.ConfigError) as caught:
        config.parse(json.dumps(document))
    return str(caught.exception)


def set_at(*path, value):
    def change(document):
        for key in path[:-1]:
            document = document[key]
        document[path[-1]] = value

    return change


class Rounding(unittest.TestCase):
    def test_percent_rounds_half_up_to_the_fen(self):
        for amount, percent, share in [
            (1005, 40, 402), (1005, 60, 603), (1005, 10, 101), (1004, 40, 402),
            (1003, 40, 401), (1, 40, 0), (1, 60, 1), (5, 10, 1), (0, 60, 0),
            (2**63 - 1, 100, 2**63 - 1), (2**63 - 1, 50, (2**63 - 1) // 2 + 1),
        ]:
            self.assertEqual(percent_of(amount, percent), share, (amount, percent))

    def test_discounted_quotes_round_half_up_and_add_up(self):
        shipped = config.parse(SHIPPED)
        kindergarten = Resident(5, "female", frozenset({"child", "kindergarten"}))
        for code, tags, cases in [
            ("PEI-TJ", frozenset(), [(1005, 402), (1004, 402), (1003, 401), (1, 0), (0, 0)]),
            ("PEI-ET", kindergarten.tags, [(1005, 603), (1003, 602), (1002, 601), (1, 1)]),
        ]:
            for list_price, price in cases:
                configured = copy.copy(shipped)
                configured.list_prices = {**shipped.list_prices, code: list_price}
                request = pricing.PriceRequest(code, Resident(5, "female", tags), Date(2025, 1, 1))
                quote = pricing.price(configured, request)
                self.assertEqual(quote.self_pay, price, (code, list_price))
                discount = sum(a.amount for a in quote.adjustments)
                self.assertEqual(discount + quote.self_pay, list_price)
                self.assertTrue(all(a.amount > 0 for a in quote.adjustments))


class Configuration(unittest.TestCase):
    def test_shipped_document_is_accepted(self):
        shipped = config.parse(SHIPPED)
        self.assertEqual(shipped.list_prices["PEI-TJ"], 20000)
        self.assertEqual(shipped.insurance.outpatient.ratio_percent.county_hospital, 30)

    def test_refusals_name_the_field_as_the_rust_plugin_does(self):
        for change, message in [
            (set_at("checkup_percent", value=140), "checkup_percent: must be between 0 and 100, got 140"),
            (set_at("kindergarten_percent", value=-1), "kindergarten_percent: must be between 0 and 100, got -1"),
            (
                set_at("insurance", "inpatient", "ratio_percent", "county_hospital", value=101),
                "insurance.inpatient.ratio_percent.county_hospital: must be between 0 and 100, got 101",
            ),
            (
                set_at("list_prices", "PEI-TJ", value=-1),
                "list_prices.PEI-TJ: must be between 0 and 100000000000 fen, got -1",
            ),
            (
                set_at("insurance", "outpatient", "annual_cap", value=100000000001),
                "insurance.outpatient.annual_cap: must be between 0 and 100000000000 fen, got 100000000001",
            ),
            (
                set_at("incentive", "per_signing", "PEI-LN", value=-1500),
                "incentive.per_signing.PEI-LN: must be between 0 and 100000000000 fen, got -1500",
            ),
            (lambda d: d["list_prices"].pop("PEI-NZ"), "list_prices.PEI-NZ: missing"),
            (
                set_at("list_prices", "PEI-XX", value=100),
                "list_prices.PEI-XX: not a package of Pei's catalogue",
            ),
            (
                set_at("incentive", "per_signing", "PEI-XX", value=100),
                "incentive.per_signing.PEI-XX: not a package of Pei's catalogue",
            ),
            (
                set_at("incentive", "per_signing", "PEI-GW", value=100),
                "incentive.per_signing.PEI-GW: the basic package earns no signing reward",
            ),
        ]:
            self.assertEqual(refusal(change), message)

    def test_unknown_missing_and_mistyped_fields_are_refused_by_name(self):
        for change, start in [
            (set_at("checkup_precent", value=40), "checkup_precent: unknown field `checkup_precent`, expected one of"),
            (set_at("insurance", "outpatient", "cap", value=1), "insurance.outpatient.cap: unknown field `cap`"),
            (
                lambda d: d["insurance"]["registered_poor"].pop("deductible_percent"),
                "insurance.registered_poor: missing field `deductible_percent`",
            ),
            (lambda d: d.pop("incentive"), "missing field `incentive`"),
            (
                set_at("insurance", "inpatient", "annual_cap", value="200000"),
                "insurance.inpatient.annual_cap: invalid type: string",
            ),
            (set_at("checkup_percent", value=40.5), "checkup_percent: invalid type: floating point"),
            (set_at("checkup_percent", value=True), "checkup_percent: invalid type: boolean"),
        ]:
            self.assertTrue(refusal(change).startswith(start), refusal(change))
        for document in ["", "[]", SHIPPED + " {}", '{"checkup_percent": NaN}']:
            with self.assertRaises(config.ConfigError):
                config.parse(document)


if __name__ == "__main__":
    unittest.main()
