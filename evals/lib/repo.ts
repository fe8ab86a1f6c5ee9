/**
 * Where the built binaries are. The evals always run the real, bundled CLI and MCP server
 * (`npm run build` first); AEGIS_EVAL_DIST points them at another build directory.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIST = process.env.AEGIS_EVAL_DIST ?? join(REPO_ROOT, "dist");
export const CLI = join(DIST, "aegis.js");
export const MCP_SERVER = join(DIST, "aegis-mcp.js");
