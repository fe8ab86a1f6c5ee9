/**
 * Guest-side source evaluated in a fresh QuickJS context before the user's script (later
 * runs of a worker copy in an image of a context right after this ran: engine/prelude-image.ts).
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
 * scope. It leaves one function on the global object under `config.claimKey`, which the
 * host calls before any script code runs: it removes itself, seeds `Math.random`, and
 * returns the internal functions the host needs (settle a builtin call, encode the
 * result, describe an error, error and sealed factories), never reachable by the script.
 *
 * Builtin calls: the guest wrapper passes the builtin's index and the encoded arguments
 * to `hostCall`, which returns a call number (or the error to reject with); the guest
 * makes the promise and keeps its resolvers; the host later settles the call by number.
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
import { RANDOM_SOURCE } from "./random-source.js";
import { VALUES_SOURCE } from "./values-source.js";

export const PRELUDE_FILENAME = "aegis:prelude";

/** The global property the prelude leaves for the host to claim (gone before script code runs). */
export const CLAIM_KEY = "aegis:claim";

export const PRELUDE_SOURCE = [
  '(function aegisPrelude(hostCall, hostPrint, hostCompose, configText) {\n  "use strict";',
  INTRINSICS_SOURCE,
  RANDOM_SOURCE,
  VALUES_SOURCE,
  MARSHAL_SOURCE,
  CONSOLE_SOURCE,
  GLOBALS_SOURCE,
  "})",
].join("\n");
