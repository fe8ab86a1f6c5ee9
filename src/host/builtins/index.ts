/**
 * The builtin registry: every gated function a script can call, by guest-visible name.
 * Network and subprocess builtins are added here by their own modules.
 */
import type { BuiltinTable } from "../builtin-types.js";

export const BUILTINS: BuiltinTable = {};
