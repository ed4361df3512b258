// Glue: keeps the configuration between calls and hands every call to
// rules.js. Usually nothing to change here.
//
// plugin({log, fen}) answers the five objects the world `county-plugin`
// exports (setup, catalogue, pricing, insurance, incentive: one per exported
// interface, its functions in camelCase). The entry files pass what their
// engine needs: `log` is the one import (qianyue:county/logging), `fen` turns
// a BigInt amount of the rules into the engine's s64 — a BigInt for
// componentize-js (component.js), a Number for QuickJS (component-quickjs.js).
// Money coming in is made a BigInt whatever the engine passed.
//
// The WIT's `result<T, refusal>`: a single call returns the ok value and
// throws the err value (a plain {tag, val} variant, which both engines
// accept); a batch answers a list of {tag: "ok", val} / {tag: "err", val}.
// Anything else thrown (a bug) is not a refusal: it fails the call, and the
// kernel shows the county an error instead of an answer.

import * as rules from "./rules.js";

export function plugin({ log, fen }) {
  // The accepted configuration: undefined until configure accepts a
  // document, and again after it refuses one.
  let config;

  // Runs a rule with the configuration; before one is accepted every call
  // but info is refused, as the WIT asks. A refusal is thrown as the WIT's.
  function answer(rule, ...args) {
    try {
      if (config === undefined) throw new rules.Refused("invalid-request", "not configured");
      return rule(config, ...args);
    } catch (error) {
      if (error instanceof rules.Refused) throw error.refusal;
      throw error;
    }
  }

  /** A batch answers, in order, exactly what the single call answers. */
  function batch(single) {
    return (requests) =>
      requests.map((request) => {
        try {
          return { tag: "ok", val: single(request) };
        } catch (error) {
          if (isRefusal(error)) return { tag: "err", val: error };
          throw error;
        }
      });
  }

  // --- WIT → rules: money a BigInt ---
  const money = (amount) => BigInt(amount);
  const claim = (c) => ({
    ...c,
    amount: money(c.amount),
    yearToDate: {
      deductiblePaid: money(c.yearToDate.deductiblePaid),
      outpatientReimbursed: money(c.yearToDate.outpatientReimbursed),
      inpatientReimbursed: money(c.yearToDate.inpatientReimbursed),
    },
  });
  const activity = (a) => ({ ...a, careSpent: money(a.careSpent) });

  // --- rules → WIT: money the engine's s64 ---
  const optionalFen = (amount) => (amount === undefined ? undefined : fen(amount));
  const pkg = (p) => ({
    ...p,
    items: p.items.map((i) => ({ ...i, priceCap: optionalFen(i.priceCap) })),
    listPrice: fen(p.listPrice),
  });
  const quote = (q) => ({
    ...q,
    listPrice: fen(q.listPrice),
    adjustments: q.adjustments.map((a) => ({ ...a, amount: fen(a.amount) })),
    publicHealthFund: fen(q.publicHealthFund),
    insuranceFund: fen(q.insuranceFund),
    selfPay: fen(q.selfPay),
  });
  const adjudication = (a) => ({ shares: a.shares.map((s) => ({ ...s, amount: fen(s.amount) })) });
  const settlement = (s) => ({ lines: s.lines.map((l) => ({ ...l, amount: fen(l.amount) })), total: fen(s.total) });

  const setup = {
    info() {
      return {
        countyCode: rules.COUNTY_CODE,
        countyName: rules.COUNTY_NAME,
        version: rules.VERSION,
        periods: { first: rules.FIRST_PERIOD, last: rules.LAST_PERIOD },
      };
    },
    configure(document) {
      config = undefined;
      try {
        config = rules.parseConfig(document);
      } catch (error) {
        if (!(error instanceof rules.ConfigError)) throw error;
        // Only a refusal is logged (never personal data: there is none).
        log("warning", `configuration refused: ${error.message}`);
        throw error.message; // result<_, string>: the err value
      }
    },
  };

  const catalogue = {
    /** Empty before a configuration is accepted: packages cannot refuse. */
    packages() {
      return config === undefined ? [] : rules.packages(config).map(pkg);
    },
    basicPackage(resident) {
      return answer(rules.basicPackage, resident);
    },
    eligible(request) {
      answer(rules.eligible, request.packageCode, request.resident);
    },
  };
  catalogue.basicPackageBatch = batch(catalogue.basicPackage);
  catalogue.eligibleBatch = batch(catalogue.eligible);

  const pricing = {
    price(request) {
      return quote(answer(rules.price, request));
    },
  };
  pricing.priceBatch = batch(pricing.price);

  const insurance = {
    adjudicate(c) {
      return adjudication(answer(rules.adjudicate, claim(c)));
    },
  };
  insurance.adjudicateBatch = batch(insurance.adjudicate);

  const incentive = {
    settle(a) {
      return settlement(answer(rules.settle, activity(a)));
    },
  };
  incentive.settleBatch = batch(incentive.settle);

  return { setup, catalogue, pricing, insurance, incentive };
}

const REFUSALS = ["unknown-package", "not-eligible", "invalid-request"];

/** Whether a thrown value is the WIT's refusal variant. */
export function isRefusal(value) {
  return value !== null && typeof value === "object" && REFUSALS.includes(value.tag) && typeof value.val === "string";
}

/** QuickJS's s64 is a Number: exact only up to 2^53 (9,007,199,254,740,991
 * fen, ninety trillion yuan). An answer beyond it fails rather than round. */
export function fenAsNumber(amount) {
  if (amount > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`${amount} fen is beyond a JavaScript Number's exact integers`);
  }
  return Number(amount);
}
