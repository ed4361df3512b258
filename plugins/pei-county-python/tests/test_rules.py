"""What the golden cases leave out: quote rounding, the configuration's
refusals, and relief reaching the deductible under other configurations, with
the Rust plugin's unit-test numbers and messages."""

import copy
import json
import sys
import unittest
from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PLUGIN_DIR / "src"))

from pei_county import config, insurance, pricing  # noqa: E402
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


def configured(*changes):
    """The shipped document after each (path…, value) change."""
    document = json.loads(SHIPPED)
    for *path, value in changes:
        set_at(*path, value=value)(document)
    return config.parse(json.dumps(document))


def rehab_claim(amount, tags):
    return insurance.Claim(
        resident=Resident(70, "male", frozenset(tags)),
        signed_packages=("PEI-GW", "PEI-NZ"),
        kind="rehabilitation",
        level="township_centre",
        referred=False,
        on=Date(2025, 3, 1),
        amount=amount,
        year_to_date=insurance.YearToDate(0, 0, 0),
    )


class DeductibleRelief(unittest.TestCase):
    """The Rust plugin's `top_up_and_compensation_reaching_the_deductible_…`:
    what the relief pays of the deductible is a deductible share of the
    reliever's, the health centre's top-up first."""

    def shares(self, configuration, claim):
        answer = insurance.adjudicate(configuration, claim)
        self.assertEqual(sum(s.amount for s in answer.shares), claim.amount)
        self.assertTrue(all(s.amount > 0 for s in answer.shares))
        return [(s.kind, s.payer, s.amount) for s in answer.shares]

    def test_top_up_and_compensation_reaching_the_deductible(self):
        ratio = ("insurance", "outpatient", "ratio_percent", "township_centre", 0)
        half = ("insurance", "registered_poor", "compensation_percent", 50)
        deductible = ("insurance", "outpatient", "deductible", "township_centre")
        poor = configured((*deductible, 10000), ratio, half)
        self.assertEqual(
            self.shares(poor, rehab_claim(10000, {"stroke", "registered_poor"})),
            [
                ("deductible", "resident", 4500),
                ("deductible", "medical_assistance", 500),
                ("top_up", "health_centre", 1000),
                ("compensation", "medical_assistance", 4000),
            ],
        )
        self.assertEqual(
            self.shares(configured((*deductible, 12000), ratio, half), rehab_claim(12000, {"stroke"})),
            [("deductible", "resident", 10800), ("deductible", "health_centre", 1200)],
        )
        whole = configured((*deductible, 24000), ratio, half)
        claim = rehab_claim(12000, {"stroke", "registered_poor"})
        self.assertEqual(
            self.shares(whole, claim),
            [
                ("deductible", "resident", 5400),
                ("deductible", "health_centre", 1200),
                ("deductible", "medical_assistance", 5400),
            ],
        )
        self.assertEqual(
            [s.reason for s in insurance.adjudicate(whole, claim).shares],
            [
                "乡镇卫生院康复起付线 24000 × 50% = 12000 分 (建档立卡贫困人口降低起付线), 本年已付 0 分, "
                "本次 12000 分; 扣除补充报销和兜底补偿后个人付 5400 分",
                "起付线由乡镇卫生院补充报销 (脑卒中康复包): 1200 分, 本次起付线 12000 分, 计入本年已付起付线",
                "起付线由医疗救助兜底: 5400 分, 本次起付线 12000 分, 计入本年已付起付线",
            ],
        )


if __name__ == "__main__":
    unittest.main()
