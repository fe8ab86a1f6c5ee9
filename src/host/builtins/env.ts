/** env.read: a variable from the run's environment, sealed when the policy marks it local-only. */
import { AegisError } from "../../errors.js";
import type { Builtin, BuiltinTable } from "../builtin-types.js";
import { gate } from "../gate.js";

const read: Builtin = async (args, ctx) => {
  const name = args[0];
  if (typeof name !== "string")
    throw new AegisError("policy_violation", "env.read needs a variable name string");
  const { value } = await gate(
    ctx,
    { op: { kind: "env.read", name }, target: name },
    async (decision) => {
      const v = ctx.env[name];
      if (v === undefined) return null;
      if (decision.sealed) {
        ctx.redactor.add(v);
        return ctx.sealed.seal(name, v);
      }
      return v;
    },
    (v) => ({ present: v !== null }),
  );
  return value;
};

export const ENV_BUILTINS: BuiltinTable = { "env.read": read };
