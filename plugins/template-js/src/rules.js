// 模板县's rules: plain functions of the configuration and a request, free of
// any WebAssembly glue and tested natively with `node --test`. The JavaScript
// port of ../template/src/rules.rs: the same rules, the same refusals, the
// same reason texts, so that it passes the Rust template's golden cases.
//
// Every rule here is a deliberately simple example: replace it with your
// county's. The places to change are marked `改这里 / change here`.
//
// Values are the WIT's, as componentize-js hands them over (see plugin.js):
// records are objects with camelCase fields, enums kebab-case strings
// ("personalised", "co-payment"), flags objects of booleans ({elderly: true}),
// a refusal a variant {tag: "not-eligible", val: reason}. Money (the WIT's
// `fen`, an s64) is a BigInt here, whatever the engine passes: integer fen,
// never a floating-point Number, and no overflow to think about. Shares of an
// amount are rounded half up to the fen (percentOf); the same input always
// gives the same answer. Nothing here reads the clock: the sandbox's reads
// 1970-01-01, so a day always comes in the request.

// 改这里 / change here: your county's GB/T 2260 code and name, and the
// plugin's version: a new one for every change of rules, the same as
// package.json's (test/rules.test.js checks).
export const COUNTY_CODE = "000000";
export const COUNTY_NAME = "模板县";
export const VERSION = "0.1.0";

// 改这里 / change here: the service years (periods) your rules apply to;
// LAST_PERIOD becomes a year when they stop.
export const FIRST_PERIOD = 2025;
export const LAST_PERIOD = undefined;

// 改这里 / change here: your county's package codes. Contracts refer to
// packages by code, so a code never changes meaning once used.
export const BASIC = "TPL-JC";
export const ELDERLY_CARE = "TPL-LN";

/** The most any configured amount may be, in fen (ten million yuan). */
export const MAX_FEN = 1_000_000_000n;
/** The largest `fen` (s64) an answer may carry. */
export const I64_MAX = 2n ** 63n - 1n;

/** The population tags (flags `population-tags`) in the WIT's order: the
 * camelCase key of the flags object, and the WIT's kebab-case name. */
export const TAGS = [
  "elderly", "child", "kindergarten", "maternal", "hypertension", "diabetes", "tuberculosis",
  "severe-mental-disorder", "disabled", "copd", "stroke", "tumour", "registered-poor",
  "lifted-out-of-poverty", "poverty-monitoring", "special-family-planning",
].map((name) => ({ name, key: name.replace(/-(.)/g, (_, c) => c.toUpperCase()) }));

/** A flags value with exactly the tags named (kebab-case) set. */
export function tags(...names) {
  const unknown = names.filter((name) => !TAGS.some((tag) => tag.name === name));
  if (unknown.length) throw new TypeError(`not a population tag: ${unknown.join(", ")}`);
  return Object.fromEntries(TAGS.map(({ name, key }) => [key, names.includes(name)]));
}

/** The kebab-case names of the tags set in a flags value, in WIT order. */
export function tagNames(flags) {
  return TAGS.filter(({ key }) => flags[key]).map(({ name }) => name);
}

/** Why there is no answer: thrown by a rule, turned into the WIT's
 * `refusal` variant by plugin.js. `tag` is the variant case. */
export class Refused extends Error {
  constructor(tag, reason) {
    super(`${tag}: ${reason}`);
    this.name = "Refused";
    this.refusal = { tag, val: reason };
  }
}

const unknownPackage = (code) => new Refused("unknown-package", code);
const notEligible = (reason) => new Refused("not-eligible", reason);
const invalidRequest = (reason) => new Refused("invalid-request", reason);

/** A refused configuration document; the message is shown to the county
 * officer who uploaded it, so it names the field. */
export class ConfigError extends Error {
  constructor(message) {
    super(message);
    this.name = "ConfigError";
  }
}

// --- The configuration document (config.json) --------------------------------

// 改这里 / change here: your county's numbers. The document's shape: a field
// of the top-level object and what it holds ("map" a map of package code to
// an integer, "i64" an integer), in the Rust template's declaration order,
// which is the order a missing field is reported in. Check each in validate.
const FIELDS = {
  // Approved list price (物价核定价格) of every package, fen, by code.
  list_prices: "map",
  // TPL-LN's discount (折扣), percent of its list price.
  elderly_discount_percent: "i64",
  // Outpatient reimbursement ratio (门诊报销比例), percent.
  outpatient_ratio_percent: "i64",
  // What a team earns for each signing of TPL-LN (签约奖励), fen.
  elderly_reward_per_signing: "i64",
};

/** How serde_json names a JSON value of the wrong type. */
function unexpected(value) {
  if (value === null) return "null";
  if (typeof value === "boolean") return `boolean \`${value}\``;
  if (typeof value === "number") {
    return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``;
  }
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  return Array.isArray(value) ? "sequence" : "map";
}

/** An integer that fits an s64, as a BigInt. JSON.parse reads every number
 * as a double, so an integer beyond 2^53 is refused as not exact. */
function integer(path, value) {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new ConfigError(`${path}: invalid type: ${unexpected(value)}, expected i64`);
  }
  if (!Number.isSafeInteger(value)) {
    throw new ConfigError(`${path}: invalid value: ${unexpected(value)}, expected an integer within ±2^53`);
  }
  return BigInt(value);
}

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

function percent(field, value) {
  if (value < 0n || value > 100n) throw new ConfigError(`${field}: must be between 0 and 100, got ${value}`);
}

function fen(field, value) {
  if (value < 0n || value > MAX_FEN) {
    throw new ConfigError(`${field}: must be between 0 and ${MAX_FEN} fen, got ${value}`);
  }
}

/**
 * Reads and checks a configuration document: every field is required,
 * unknown fields are refused (a misspelt field must not fall back to a
 * default), every number is range-checked. Range, missing-field and
 * unknown-field refusals are word for word the Rust template's (whose come
 * from serde, less serde_json's "at line L column C"); JSON syntax errors are
 * worded by the JavaScript engine.
 *
 * Answers {listPrices: Map(code → fen), elderlyDiscountPercent, …}, every
 * number a BigInt.
 */
export function parseConfig(document) {
  let json;
  try {
    json = JSON.parse(document);
  } catch (error) {
    throw new ConfigError(error.message);
  }
  if (!isObject(json)) throw new ConfigError(`invalid type: ${unexpected(json)}, expected struct Config`);
  const names = Object.keys(FIELDS);
  const read = {};
  for (const [key, value] of Object.entries(json)) {
    if (!(key in FIELDS)) {
      const expected = names.map((name) => `\`${name}\``).join(", ");
      throw new ConfigError(`${key}: unknown field \`${key}\`, expected one of ${expected}`);
    }
    if (FIELDS[key] === "map") {
      if (!isObject(value)) throw new ConfigError(`${key}: invalid type: ${unexpected(value)}, expected a map`);
      read[key] = new Map(Object.entries(value).map(([code, amount]) => [code, integer(`${key}.${code}`, amount)]));
    } else {
      read[key] = integer(key, value);
    }
  }
  const missing = names.find((name) => !(name in read));
  if (missing) throw new ConfigError(`missing field \`${missing}\``);
  const config = {
    listPrices: read.list_prices,
    elderlyDiscountPercent: read.elderly_discount_percent,
    outpatientRatioPercent: read.outpatient_ratio_percent,
    elderlyRewardPerSigning: read.elderly_reward_per_signing,
  };
  validate(config);
  return config;
}

function validate(config) {
  const codes = packages(config).map((pkg) => pkg.code);
  for (const code of codes) {
    if (!config.listPrices.has(code)) throw new ConfigError(`list_prices.${code}: missing`);
    fen(`list_prices.${code}`, config.listPrices.get(code));
  }
  // The Rust template keeps the prices in a BTreeMap: it names the first
  // extra code in sorted order.
  const extra = [...config.listPrices.keys()].sort().find((code) => !codes.includes(code));
  if (extra !== undefined) throw new ConfigError(`list_prices.${extra}: not a package of the catalogue`);
  percent("elderly_discount_percent", config.elderlyDiscountPercent);
  percent("outpatient_ratio_percent", config.outpatientRatioPercent);
  fen("elderly_reward_per_signing", config.elderlyRewardPerSigning);
}

// --- The rules ----------------------------------------------------------------

/** `percent`% of `amount`, half up to the fen as the WIT prescribes:
 * (amount × percent + 50) / 100, both BigInts and non-negative (the checks
 * see to it), so BigInt division's truncation is the floor. */
export function percentOf(amount, percent) {
  return (amount * percent + 50n) / 100n;
}

function checkYear(year) {
  if (year < FIRST_PERIOD || (LAST_PERIOD !== undefined && year > LAST_PERIOD)) {
    throw invalidRequest(
      `${year} 年不在本插件适用的服务年度内 (not in the periods these rules apply to, ${FIRST_PERIOD} on)`,
    );
  }
}

function item(code, name, timesPerYear) {
  return { code, name, timesPerYear, priceCap: undefined };
}

/** The catalogue, priced from the configuration. */
export function packages(config) {
  const price = (code) => config.listPrices.get(code) ?? 0n;
  // 改这里 / change here: your county's packages, who may sign them (no
  // target groups: everyone) and what the team owes each year.
  return [
    {
      code: BASIC,
      name: "基础包",
      kind: "basic",
      targetGroups: tags(),
      bundledWith: undefined,
      items: [item("health-record", "健康档案", 1), item("health-education", "健康教育", 4)],
      listPrice: price(BASIC),
    },
    {
      code: ELDERLY_CARE,
      name: "老年保健包",
      kind: "personalised",
      targetGroups: tags("elderly"),
      bundledWith: BASIC,
      items: [item("elderly-checkup", "老年人健康体检", 1), item("follow-up", "面对面随访", 4)],
      listPrice: price(ELDERLY_CARE),
    },
  ];
}

function findPackage(config, code) {
  const found = packages(config).find((pkg) => pkg.code === code);
  if (!found) throw unknownPackage(code);
  return found;
}

/** The basic package a resident must get (不得漏选或错选).
 * 改这里 / change here: counties with a basic package per population group
 * choose it from `resident.tags` here. */
export function basicPackage(_config, _resident) {
  return BASIC;
}

/** May this resident sign this package? Yes if the package has no target
 * groups or the resident has one of them. Answers the package. */
export function eligible(config, code, resident) {
  const pkg = findPackage(config, code);
  const groups = tagNames(pkg.targetGroups);
  if (groups.length && !groups.some((name) => tagNames(resident.tags).includes(name))) {
    const list = groups.join(", ");
    throw notEligible(`${pkg.name}仅面向人群标签为 ${list} 的居民 (${pkg.code} is only for residents tagged ${list})`);
  }
  return pkg;
}

/** The price of a package for a resident and who pays it: the funds' and the
 * resident's shares add up to the list price less the adjustments. */
export function price(config, request) {
  const pkg = eligible(config, request.packageCode, request.resident);
  checkYear(request.startsOn.year);
  const { listPrice: list, name } = pkg;
  // 改这里 / change here: each package's discounts, waivers and payers.
  if (pkg.code === BASIC) {
    return {
      listPrice: list,
      adjustments: [],
      publicHealthFund: list,
      insuranceFund: 0n,
      selfPay: 0n,
      rule: `${name}由基本公共卫生服务经费全额支付: ${list} 分`,
    };
  }
  const percent = config.elderlyDiscountPercent;
  const discount = percentOf(list, percent);
  const selfPay = list - discount;
  const adjustment = {
    kind: "discount",
    amount: discount,
    reason: `${name}优惠 ${percent}%: ${list} × ${percent}% = ${discount} 分`,
  };
  return {
    listPrice: list,
    // The WIT wants every adjustment positive: no discount, no line.
    adjustments: discount > 0n ? [adjustment] : [],
    publicHealthFund: 0n,
    insuranceFund: 0n,
    selfPay,
    rule: `${name}: ${list} − ${discount} = ${selfPay} 分, 个人自付`,
  };
}

/** Who pays how much of a claim. The shares add up to the claim's amount. */
export function adjudicate(config, claim) {
  checkYear(claim.on.year);
  const amount = claim.amount;
  if (amount < 0n) throw invalidRequest(`费用不能为负 (the amount must not be negative): ${amount}`);
  // 改这里 / change here: your county's deductibles, ratios and caps by kind
  // and level of care, for signed residents (claim.signedPackages).
  if (claim.kind !== "outpatient") {
    throw invalidRequest("本插件只报销门诊费用 (these rules cover outpatient care only)");
  }
  const ratio = config.outpatientRatioPercent;
  const reimbursed = percentOf(amount, ratio);
  // The last share is the remainder, so that the shares add up.
  const coPayment = amount - reimbursed;
  return {
    shares: [
      {
        kind: "reimbursement",
        payer: "insurance-fund",
        amount: reimbursed,
        reason: `门诊医保报销: ${amount} × ${ratio}% = ${reimbursed} 分`,
      },
      {
        kind: "co-payment",
        payer: "resident",
        amount: coPayment,
        reason: `按比例自付: ${amount} − ${reimbursed} = ${coPayment} 分`,
      },
    ],
  };
}

/** What a team earns for a period. The total is the sum of the lines. */
export function settle(config, activity) {
  checkYear(activity.period);
  let signings = 0n;
  for (const entry of activity.signings) {
    findPackage(config, entry.packageCode);
    if (entry.packageCode === ELDERLY_CARE) signings += BigInt(entry.signings);
  }
  // 改这里 / change here: your county's rewards, fulfilment payments,
  // capitation and subsidies, one line each.
  const reward = config.elderlyRewardPerSigning;
  const amount = signings * reward;
  // The Rust template's i64 multiplication would overflow here.
  if (amount > I64_MAX) throw invalidRequest(`签约数过大 (too many signings): ${signings}`);
  const lines = [
    { kind: "per-signing", amount, reason: `老年保健包签约 ${signings} × ${reward} 分 = ${amount} 分` },
  ];
  const total = lines.reduce((sum, line) => sum + line.amount, 0n);
  return { lines, total };
}
