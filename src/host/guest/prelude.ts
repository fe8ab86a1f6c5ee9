/**
 * Guest-side source evaluated in every fresh QuickJS context before the user's script.
 *
 * It captures every intrinsic it needs while they are still pristine, so nothing the
 * script later does to `Object.prototype`, `Array.prototype`, `JSON`, `Promise` or
 * `Reflect` changes how values are marshalled (security.md class 1, prototype
 * pollution). Functions defined here never read a property that could resolve through
 * a user-modifiable prototype at call time: they use uncurried intrinsics, own-property
 * descriptors, and null-prototype literals.
 *
 * The source is one function expression. The host calls it with three raw host
 * functions and a JSON config; they stay in this closure and never reach the global
 * scope. It returns the internal functions the host needs (decode, encode, describe,
 * error and sealed factories); the object it returns is never reachable by the script.
 *
 * Wire format between guest and host (both directions, see engine/codec.ts):
 * primitives are JSON; an array is [0, [items]]; a plain object is [1, {key: item}];
 * a sealed value is [2, id] (host → guest: [2, id, label]); a non-finite number is
 * [3, "NaN" | "Infinity" | "-Infinity"]; undefined is [4].
 *
 * The parts are written with String.raw: a backtick inside the guest source is spelled
 * \x60 and "${" never appears. They share one function scope, in this order.
 */
import { CONSOLE_SOURCE } from "./console-source.js";
import { GLOBALS_SOURCE } from "./globals-source.js";
import { INTRINSICS_SOURCE } from "./intrinsics-source.js";
import { MARSHAL_SOURCE } from "./marshal-source.js";
import { VALUES_SOURCE } from "./values-source.js";

export const PRELUDE_FILENAME = "aegis:prelude";

export const PRELUDE_SOURCE = [
  '(function aegisPrelude(hostCall, hostPrint, hostCompose, configText) {\n  "use strict";',
  INTRINSICS_SOURCE,
  VALUES_SOURCE,
  MARSHAL_SOURCE,
  CONSOLE_SOURCE,
  GLOBALS_SOURCE,
  "})",
].join("\n");
