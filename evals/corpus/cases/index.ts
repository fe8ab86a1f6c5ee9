/** Every case source, in class order. */
import type { EvalCase } from "../schema.js";
import { SANDBOX_ESCAPE } from "./c01-sandbox-escape.js";
import { RESOURCE_EXHAUSTION } from "./c02-resource-exhaustion.js";
import { PATH_TRICKS } from "./c03-path-tricks.js";
import { SSRF } from "./c04-ssrf.js";
import { SUBPROCESS_ABUSE } from "./c05-subprocess-abuse.js";
import { SECRET_EXFILTRATION } from "./c06-secret-exfiltration.js";
import { PROMPT_INJECTION } from "./c07-prompt-injection.js";
import { AUDIT_TAMPERING } from "./c08-audit-tampering.js";
import { POLICY_FILE } from "./c09-policy-file.js";
import { LEGIT_TASKS } from "./legit-tasks.js";

export const ADVERSARIAL: EvalCase[] = [
  ...SANDBOX_ESCAPE,
  ...RESOURCE_EXHAUSTION,
  ...PATH_TRICKS,
  ...SSRF,
  ...SUBPROCESS_ABUSE,
  ...SECRET_EXFILTRATION,
  ...PROMPT_INJECTION,
  ...AUDIT_TAMPERING,
  ...POLICY_FILE,
];

/** Legitimate tasks by file name (evals/legit/<name>.json). */
export const LEGIT: Record<string, EvalCase[]> = LEGIT_TASKS;
