// The component's entry for componentize-js (SpiderMonkey; build.sh). Its
// exports are the world's: one object per exported interface. componentize-js
// passes and takes an s64 as a BigInt.
import { log } from "qianyue:county/logging@1.0.0";
import { plugin } from "./plugin.js";

const county = plugin({ log, fen: (amount) => amount });

export const setup = county.setup;
export const catalogue = county.catalogue;
export const pricing = county.pricing;
export const insurance = county.insurance;
export const incentive = county.incentive;
