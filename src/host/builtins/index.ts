/**
 * The builtin registry: every gated function a script can call, by guest-visible name.
 */
import type { BuiltinTable } from "../builtin-types.js";
import { ENV_BUILTINS } from "./env.js";
import { FS_BUILTINS } from "./fs.js";
import { NET_BUILTINS } from "./net.js";
import { SUBPROCESS_BUILTINS } from "./subprocess.js";

export const BUILTINS: BuiltinTable = {
  ...FS_BUILTINS,
  ...ENV_BUILTINS,
  ...NET_BUILTINS,
  ...SUBPROCESS_BUILTINS,
};
