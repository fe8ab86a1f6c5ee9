/**
 * The programmatic API of aegis. Adding an export here is a public-API decision.
 */
export { AegisError, type ErrorKind, EXIT_CODES } from "./errors.js";
export type { ConfirmRequest, RunResult } from "./host/builtin-types.js";
export { loadPolicy, PolicyLoadError } from "./host/load-policy.js";
export { Sandbox, type SandboxOptions } from "./host/sandbox.js";
export { type AegisServerOptions, createAegisServer } from "./mcp/server.js";
export { decide } from "./policy/decide.js";
export type { Decision, Operation, ResolvedPolicy } from "./policy/types.js";
