// The component's entry for jco's QuickJS backend (componentize-qjs;
// `build.sh --quickjs`). The same as component.js but for money: QuickJS
// passes and takes an s64 as a Number, and refuses a BigInt.
import { log } from "qianyue:county/logging@1.0.0";
import { fenAsNumber, plugin } from "./plugin.js";

const county = plugin({ log, fen: fenAsNumber });

export const setup = county.setup;
export const catalogue = county.catalogue;
export const pricing = county.pricing;
export const insurance = county.insurance;
export const incentive = county.incentive;
