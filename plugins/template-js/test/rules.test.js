// The golden cases (golden.test.js) cover the answers with the shipped
// configuration; these cover what they cannot: rounding, refusals of the
// configuration, and the shapes of the values the component hands over.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { fenAsNumber, plugin } from "../src/plugin.js";
import * as rules from "../src/rules.js";

const SHIPPED = readFileSync(new URL("../../template/config.json", import.meta.url), "utf8");
const shipped = () => rules.parseConfig(SHIPPED);

/** The refusal for the shipped document with one field changed. */
function refusal(change) {
  const document = JSON.parse(SHIPPED);
  change(document);
  assert.throws(() => rules.parseConfig(JSON.stringify(document)), rules.ConfigError);
  try {
    rules.parseConfig(JSON.stringify(document));
  } catch (error) {
    return error.message;
  }
}

const elderly = { age: 70, sex: "female", tags: rules.tags("elderly") };
const starts = { year: 2025, month: 1, day: 1 };

test("the plugin's version is package.json's", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  assert.equal(rules.VERSION, pkg.version);
});

test("a percentage rounds half up to the fen", () => {
  assert.equal(rules.percentOf(1005n, 40n), 402n);
  assert.equal(rules.percentOf(1005n, 60n), 603n);
  assert.equal(rules.percentOf(1005n, 10n), 101n);
  assert.equal(rules.percentOf(1003n, 40n), 401n);
  assert.equal(rules.percentOf(rules.I64_MAX, 100n), rules.I64_MAX);
});

test("quotes add up whatever the price", () => {
  for (const list of [0n, 1n, 5n, 1005n, 12345n, rules.MAX_FEN]) {
    const config = shipped();
    config.listPrices.set(rules.ELDERLY_CARE, list);
    const quote = rules.price(config, { packageCode: rules.ELDERLY_CARE, resident: elderly, startsOn: starts });
    const adjusted = quote.adjustments.reduce((sum, a) => sum + a.amount, 0n);
    assert.ok(quote.adjustments.every((a) => a.amount > 0n), `${list}`);
    assert.equal(adjusted, rules.percentOf(list, 20n), `${list}`);
    assert.equal(quote.publicHealthFund + quote.insuranceFund + quote.selfPay, list - adjusted, `${list}`);
  }
});

test("refusals name the field, in the Rust template's words", () => {
  assert.equal(
    refusal((d) => (d.elderly_discount_percent = 101)),
    "elderly_discount_percent: must be between 0 and 100, got 101",
  );
  assert.equal(
    refusal((d) => (d.elderly_reward_per_signing = -1)),
    "elderly_reward_per_signing: must be between 0 and 1000000000 fen, got -1",
  );
  assert.equal(
    refusal((d) => (d.list_prices[rules.BASIC] = -5)),
    "list_prices.TPL-JC: must be between 0 and 1000000000 fen, got -5",
  );
  assert.equal(refusal((d) => delete d.list_prices[rules.BASIC]), "list_prices.TPL-JC: missing");
  assert.equal(
    refusal((d) => (d.list_prices["TPL-ZZ"] = 1)),
    "list_prices.TPL-ZZ: not a package of the catalogue",
  );
  assert.equal(
    refusal((d) => {
      d.outpatient_ratio = d.outpatient_ratio_percent;
      delete d.outpatient_ratio_percent;
    }),
    "outpatient_ratio: unknown field `outpatient_ratio`, expected one of `list_prices`, " +
      "`elderly_discount_percent`, `outpatient_ratio_percent`, `elderly_reward_per_signing`",
  );
  assert.equal(refusal((d) => delete d.elderly_discount_percent), "missing field `elderly_discount_percent`");
  assert.equal(
    refusal((d) => (d.outpatient_ratio_percent = "50")),
    'outpatient_ratio_percent: invalid type: string "50", expected i64',
  );
  assert.equal(
    refusal((d) => (d.outpatient_ratio_percent = 50.5)),
    "outpatient_ratio_percent: invalid type: floating point `50.5`, expected i64",
  );
  assert.throws(() => rules.parseConfig("[]"), { message: "invalid type: sequence, expected struct Config" });
  assert.throws(() => rules.parseConfig("{"), rules.ConfigError);
});

test("too many signings are refused, not overflowed", () => {
  const activity = {
    period: 2025,
    signings: Array.from({ length: 3000 }, () => ({ packageCode: rules.ELDERLY_CARE, signings: 4294967295 })),
  };
  const config = shipped();
  config.elderlyRewardPerSigning = rules.MAX_FEN;
  assert.throws(() => rules.settle(config, activity), {
    refusal: { tag: "invalid-request", val: "签约数过大 (too many signings): 12884901885000" },
  });
});

test("a refused document leaves the plugin unconfigured, and is logged", () => {
  const logged = [];
  const county = plugin({ log: (level, message) => logged.push([level, message]), fen: (amount) => amount });
  assert.deepEqual(county.catalogue.packages(), []);
  assert.throws(() => county.catalogue.basicPackage(elderly), { tag: "invalid-request", val: "not configured" });
  county.setup.configure(SHIPPED);
  assert.equal(county.catalogue.packages().length, 2);
  assert.deepEqual(logged, []);
  const bad = SHIPPED.replace('"outpatient_ratio_percent": 50', '"outpatient_ratio_percent": 150');
  // result<_, string>: the err value, a string, is thrown.
  assert.throws(() => county.setup.configure(bad), (thrown) => {
    assert.equal(thrown, "outpatient_ratio_percent: must be between 0 and 100, got 150");
    return true;
  });
  assert.deepEqual(county.catalogue.packages(), []);
  assert.deepEqual(logged, [["warning", "configuration refused: outpatient_ratio_percent: must be between 0 and 100, got 150"]]);
});

test("the values handed to the engine have the WIT's JavaScript shapes", () => {
  const county = plugin({ log: () => {}, fen: (amount) => amount });
  county.setup.configure(SHIPPED);
  // info: records are objects with camelCase fields; option<u16> none is undefined.
  assert.deepEqual(county.setup.info(), {
    countyCode: "000000",
    countyName: "模板县",
    version: "0.1.0",
    periods: { first: 2025, last: undefined },
  });
  const [basic, care] = county.catalogue.packages();
  // An s64 is a BigInt for componentize-js; enums are kebab-case strings;
  // flags are objects with a boolean for every flag.
  assert.equal(typeof basic.listPrice, "bigint");
  assert.equal(care.kind, "personalised");
  assert.equal(Object.keys(care.targetGroups).length, 16);
  assert.equal(care.targetGroups.elderly, true);
  assert.equal(care.targetGroups.severeMentalDisorder, false);
  assert.equal(care.bundledWith, "TPL-JC");
  // A batch answers a list of results: {tag: "ok", val} or {tag: "err", val}.
  const young = { age: 30, sex: "male", tags: rules.tags() };
  assert.deepEqual(
    county.catalogue.eligibleBatch([
      { packageCode: "TPL-LN", resident: elderly },
      { packageCode: "TPL-XX", resident: young },
    ]),
    [
      { tag: "ok", val: undefined },
      { tag: "err", val: { tag: "unknown-package", val: "TPL-XX" } },
    ],
  );
  const quotes = county.pricing.priceBatch([{ packageCode: "TPL-LN", resident: elderly, startsOn: starts }]);
  assert.equal(quotes[0].val.selfPay, 9600n);
  // QuickJS: an s64 is a Number (exact to 2^53; beyond, the call fails).
  const quickjs = plugin({ log: () => {}, fen: fenAsNumber });
  quickjs.setup.configure(SHIPPED);
  assert.equal(quickjs.catalogue.packages()[1].listPrice, 12000);
  assert.equal(fenAsNumber(9007199254740991n), 9007199254740991);
  assert.throws(() => fenAsNumber(9007199254740992n), RangeError);
});
