"""Runs every golden case of the Rust plugin (plugins/pei-county/golden/)
against these rules natively, with the Rust plugin's config.json.

This checks the rules in seconds without building the component; the
kernel's `qianyue plugin test` then runs the same files against the built
component, which also checks app.py's conversions.

    python3 -m unittest discover -s tests     (from plugins/pei-county-python/)
"""

import json
import sys
import unittest
from dataclasses import asdict
from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PLUGIN_DIR / "src"))

from pei_county import catalogue, config, incentive, insurance, pricing  # noqa: E402
from pei_county.common import Date, Refused, Resident  # noqa: E402

RUST_PLUGIN = PLUGIN_DIR.parent / "pei-county"
CONFIG = config.parse((RUST_PLUGIN / "config.json").read_text(encoding="utf-8"))


def resident(value):
    return Resident(value["age"], value["sex"], frozenset(value["tags"]))


def date(text):
    year, month, day = (int(part) for part in text.split("-"))
    return Date(year, month, day)


def claim(value):
    return insurance.Claim(
        resident=resident(value["resident"]),
        signed_packages=tuple(value["signed_packages"]),
        kind=value["kind"],
        level=value["level"],
        referred=value["referred"],
        on=date(value["on"]),
        amount=value["amount"],
        year_to_date=insurance.YearToDate(**value["year_to_date"]),
    )


def activity(value):
    return incentive.TeamActivity(
        period=value["period"],
        residents_signed=value["residents_signed"],
        households_signed=value["households_signed"],
        signings=tuple(incentive.PackageSignings(**s) for s in value["signings"]),
        deliveries=tuple(incentive.ItemDelivery(**d) for d in value["deliveries"]),
        assessment_score=value["assessment_score"],
        care_spent=value["care_spent"],
    )


CALLS = {
    "basic_package": lambda i: catalogue.basic_package(resident(i)),
    "eligible": lambda i: catalogue.eligible(i["package_code"], resident(i["resident"])) and None,
    "price": lambda i: asdict(
        pricing.price(
            CONFIG,
            pricing.PriceRequest(i["package_code"], resident(i["resident"]), date(i["starts_on"])),
        )
    ),
    "adjudicate": lambda i: asdict(insurance.adjudicate(CONFIG, claim(i))),
    "settle": lambda i: asdict(incentive.settle(CONFIG, activity(i))),
}


def answer(call, value):
    """The answer in the golden files' shape: {"ok": …} or {"refused": {…}}."""
    try:
        return {"ok": CALLS[call](value)}
    except Refused as refusal:
        return {"refused": {refusal.kind: refusal.message}}


class GoldenCases(unittest.TestCase):
    def test_every_golden_case(self):
        files = sorted((RUST_PLUGIN / "golden").glob("*.json"))
        self.assertTrue(files)
        count = 0
        for path in files:
            for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
                with self.subTest(file=path.name, case=case["name"]):
                    self.assertEqual(answer(case["call"], case["input"]), case["expect"])
                count += 1
        self.assertGreaterEqual(count, 70)


if __name__ == "__main__":
    unittest.main()
