// Runs every golden case of the Rust template (plugins/template/golden/)
// against this plugin natively, with the template's config.json: through
// plugin.js, exactly the functions the component exports, once with the
// values componentize-js passes (an s64 a BigInt) and once with QuickJS's
// (a Number). Seconds, and no component built; the kernel's
// `qianyue plugin test` then runs the same files against the component.
//
//     node --test test/     (from plugins/template-js/; Node 20 or newer)

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import { fenAsNumber, isRefusal, plugin } from "../src/plugin.js";
import { tags } from "../src/rules.js";

const TEMPLATE = new URL("../../template/", import.meta.url);
const CONFIG = readFileSync(new URL("config.json", TEMPLATE), "utf8");

/** The two engines' s64: what an amount comes in as, and what an answer's
 * amount must be. */
const ENGINES = {
  "componentize-js": { fenIn: BigInt, fenType: "bigint", fen: (amount) => amount },
  quickjs: { fenIn: Number, fenType: "number", fen: fenAsNumber },
};

const kebab = (name) => name.replaceAll("_", "-");
const snake = (name) => name.replaceAll("-", "_");

// --- a golden case's input → the WIT's JavaScript values ---

function resident(value) {
  return { age: value.age, sex: value.sex, tags: tags(...value.tags.map(kebab)) };
}

function date(text) {
  const [year, month, day] = text.split("-").map(Number);
  return { year, month, day };
}

function calls(county, fenIn) {
  return {
    basic_package: (i) => county.catalogue.basicPackage(resident(i)),
    eligible: (i) => county.catalogue.eligible({ packageCode: i.package_code, resident: resident(i.resident) }),
    price: (i) =>
      county.pricing.price({ packageCode: i.package_code, resident: resident(i.resident), startsOn: date(i.starts_on) }),
    adjudicate: (i) =>
      county.insurance.adjudicate({
        resident: resident(i.resident),
        signedPackages: i.signed_packages,
        kind: kebab(i.kind),
        level: kebab(i.level),
        referred: i.referred,
        on: date(i.on),
        amount: fenIn(i.amount),
        yearToDate: {
          deductiblePaid: fenIn(i.year_to_date.deductible_paid),
          outpatientReimbursed: fenIn(i.year_to_date.outpatient_reimbursed),
          inpatientReimbursed: fenIn(i.year_to_date.inpatient_reimbursed),
        },
      }),
    settle: (i) =>
      county.incentive.settle({
        period: i.period,
        residentsSigned: i.residents_signed,
        householdsSigned: i.households_signed,
        signings: i.signings.map((s) => ({ packageCode: s.package_code, signings: s.signings })),
        deliveries: i.deliveries.map((d) => ({
          packageCode: d.package_code,
          itemCode: d.item_code,
          owed: d.owed,
          delivered: d.delivered,
        })),
        assessmentScore: i.assessment_score,
        careSpent: fenIn(i.care_spent),
      }),
  };
}

// --- an answer → the golden files' JSON ---

/** The answer in the golden files' shape: keys and enum values snake_case,
 * money a JSON number; an amount of the wrong type for the engine fails. */
function golden(value, fenType, key = "") {
  if (typeof value === "bigint" || (typeof value === "number" && isMoney(key))) {
    assert.equal(typeof value, fenType, `${key} is an s64: a ${fenType}`);
    return Number(value);
  }
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map((item) => golden(item, fenType, key));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), golden(v, fenType, k)]),
    );
  }
  return (key === "kind" || key === "payer") && typeof value === "string" ? snake(value) : value;
}

const MONEY = ["listPrice", "amount", "publicHealthFund", "insuranceFund", "selfPay", "total"];
const isMoney = (key) => MONEY.includes(key);

function answer(call, input, fenType) {
  let value;
  try {
    value = call(input);
  } catch (thrown) {
    // A single call throws the err value of its result: the refusal variant.
    assert.ok(isRefusal(thrown), `not a refusal: ${thrown}`);
    return { refused: { [snake(thrown.tag)]: thrown.val } };
  }
  return { ok: golden(value, fenType) };
}

const files = readdirSync(new URL("golden/", TEMPLATE))
  .filter((name) => name.endsWith(".json"))
  .sort();

for (const [engine, { fenIn, fenType, fen }] of Object.entries(ENGINES)) {
  test(`every golden case, with ${engine}'s values`, async (t) => {
    const log = () => assert.fail("configure logs only a refusal");
    const county = plugin({ log, fen });
    assert.equal(county.setup.configure(CONFIG), undefined);
    const byCall = calls(county, fenIn);
    let count = 0;
    for (const file of files) {
      const { cases } = JSON.parse(readFileSync(new URL(`golden/${file}`, TEMPLATE), "utf8"));
      for (const c of cases) {
        await t.test(`${file}: ${c.name}`, () => {
          assert.ok(c.call in byCall, `unknown call ${c.call}`);
          assert.deepEqual(answer(byCall[c.call], c.input, fenType), c.expect);
        });
        count += 1;
      }
    }
    assert.ok(count >= 14, `${count} golden cases`);
  });
}
