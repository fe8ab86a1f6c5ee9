/**
 * The aegis-mcp tool catalogue: names, descriptions written for a model, JSON schemas,
 * and for each convenience wrapper the one-call script it runs (so a wrapper takes
 * exactly the path a script does: verifier, gate, audit, sealing, redaction).
 */

export interface ToolDef {
  name: string;
  description: string;
  inputSchema: {
    type: "object";
    properties: Record<string, unknown>;
    required?: string[];
    additionalProperties: false;
  };
}

const POLICY_NOTE =
  "The operator's aegis policy decides every effect: a denied call returns isError with the rule that denied it; change course or ask the operator to widen the policy.";

const str = (description: string) => ({ type: "string", description });

export const TOOLS: ToolDef[] = [
  {
    name: "aegis_run",
    description: `Run a JavaScript (ES module) script in the aegis sandbox. The only effects are the builtins fs.read/write/list/exists/delete, net.httpGet/httpPost/httpPut/httpPatch/httpDelete, env.read, subprocess.exec (argv array, no shell), console.log; all are async (use await). ${POLICY_NOTE} Local-only values come back sealed: usable in allowed calls, never shown. Example:
  const src = await fs.read("src/app.py");
  export default { lines: src.split("\\n").length };`,
    inputSchema: {
      type: "object",
      properties: {
        script: str("The ES module source. `export default` sets the result value."),
        timeout_seconds: {
          type: "number",
          exclusiveMinimum: 0,
          description: "Wall-clock limit (at most the policy's runtime.max_seconds).",
        },
      },
      required: ["script"],
      additionalProperties: false,
    },
  },
  {
    name: "aegis_policy",
    description:
      "Describe what the current aegis policy grants (paths, hosts, variables, commands, limits), in words and as structured content. Call it before writing a script.",
    inputSchema: { type: "object", properties: {}, additionalProperties: false },
  },
  {
    name: "aegis_fs_read",
    description: `Read a text file (UTF-8), optionally a byte range. One gated fs.read call. ${POLICY_NOTE}`,
    inputSchema: {
      type: "object",
      properties: {
        path: str("Path, relative to the policy root, absolute, or ~/…"),
        offset: { type: "integer", minimum: 0 },
        length: { type: "integer", minimum: 0 },
      },
      required: ["path"],
      additionalProperties: false,
    },
  },
  {
    name: "aegis_fs_write",
    description: `Create or replace a text file (parent directories inside write_allow are created). One gated fs.write call. ${POLICY_NOTE}`,
    inputSchema: {
      type: "object",
      properties: { path: str("Target path"), content: str("Full new content") },
      required: ["path", "content"],
      additionalProperties: false,
    },
  },
  {
    name: "aegis_fs_replace",
    description: `Replace one exact occurrence of \`old\` with \`new\` in a file; fails unless \`old\` occurs exactly once. A gated fs.read then fs.write. ${POLICY_NOTE}`,
    inputSchema: {
      type: "object",
      properties: {
        path: str("Target path"),
        old: str("Exact text to find (must occur once)"),
        new: str("Replacement"),
      },
      required: ["path", "old", "new"],
      additionalProperties: false,
    },
  },
  {
    name: "aegis_fs_list",
    description: `List a directory: [{name, type, size}]. One gated fs.list call. ${POLICY_NOTE}`,
    inputSchema: {
      type: "object",
      properties: { path: str("Directory path") },
      required: ["path"],
      additionalProperties: false,
    },
  },
  {
    name: "aegis_fs_delete",
    description: `Delete one file (not directories). One gated fs.delete call; usually needs operator confirmation. ${POLICY_NOTE}`,
    inputSchema: {
      type: "object",
      properties: { path: str("File path") },
      required: ["path"],
      additionalProperties: false,
    },
  },
  {
    name: "aegis_http",
    description: `One HTTP request (redirects are returned, not followed). Returns {status, headers, body}. ${POLICY_NOTE}`,
    inputSchema: {
      type: "object",
      properties: {
        method: { type: "string", enum: ["GET", "POST", "PUT", "PATCH", "DELETE"] },
        url: str("http(s) URL"),
        headers: { type: "object", additionalProperties: { type: "string" } },
        body: str("Request body (POST, PUT and PATCH only; GET and DELETE send none)"),
      },
      required: ["method", "url"],
      additionalProperties: false,
    },
  },
  {
    name: "aegis_exec",
    description: `Run one command as an argv array (never through a shell). Returns {code, stdout, stderr}; a non-zero exit is a result. ${POLICY_NOTE}`,
    inputSchema: {
      type: "object",
      properties: {
        argv: { type: "array", items: { type: "string" }, minItems: 1 },
        cwd: str("Working directory (must be readable under the policy)"),
      },
      required: ["argv"],
      additionalProperties: false,
    },
  },
  {
    name: "aegis_env_read",
    description: `Read one environment variable (local-only variables come back sealed). ${POLICY_NOTE}`,
    inputSchema: {
      type: "object",
      properties: { name: str("Variable name") },
      required: ["name"],
      additionalProperties: false,
    },
  },
  {
    name: "aegis_tool_routing",
    description:
      "The operator's routing hints ([tools.NAME] in the policy): which capabilities each named task should use, and any backend URL.",
    inputSchema: {
      type: "object",
      properties: { name: str("One hint by name (default: all)") },
      additionalProperties: false,
    },
  },
];

/** A wrapper's script, or why its arguments cannot make one (an invalid-params error). */
export type WrapperScript = { script: string } | { problem: string };

const HTTP_FUNCTIONS: Readonly<Record<string, string>> = {
  GET: "httpGet",
  POST: "httpPost",
  PUT: "httpPut",
  PATCH: "httpPatch",
  DELETE: "httpDelete",
};

/**
 * The script each wrapper runs. Arguments arrive as one JSON string that the script parses,
 * so they are data and never code; and unlike an object literal, JSON.parse gives a
 * `"__proto__"` key no power over the object's prototype.
 */
export function wrapperScript(tool: string, args: Record<string, unknown>): WrapperScript {
  const a = `const A = JSON.parse(${JSON.stringify(JSON.stringify(args))});\n`;
  switch (tool) {
    case "aegis_fs_read":
      return {
        script: `${a}const opts = {};
if (A.offset !== undefined) opts.offset = A.offset;
if (A.length !== undefined) opts.length = A.length;
export default await fs.read(A.path, opts);\n`,
      };
    case "aegis_fs_write":
      return { script: `${a}await fs.write(A.path, A.content);\nexport default "wrote " + A.path;\n` };
    case "aegis_fs_replace":
      return {
        script: `${a}const text = await fs.read(A.path);
if (typeof text !== "string") throw new Error("aegis_fs_replace cannot edit a local-only (sealed) file");
const first = text.indexOf(A.old);
if (A.old === "" || first < 0) throw new Error("old text not found in " + A.path);
if (text.indexOf(A.old, first + 1) >= 0) throw new Error("old text occurs more than once in " + A.path + "; include more context");
await fs.write(A.path, text.slice(0, first) + A.new + text.slice(first + A.old.length));
export default "replaced 1 occurrence in " + A.path;\n`,
      };
    case "aegis_fs_list":
      return { script: `${a}export default await fs.list(A.path);\n` };
    case "aegis_fs_delete":
      return { script: `${a}await fs.delete(A.path);\nexport default "deleted " + A.path;\n` };
    case "aegis_http":
      return httpScript(a, args);
    case "aegis_exec":
      return {
        script: `${a}export default await subprocess.exec(A.argv, A.cwd === undefined ? {} : { cwd: A.cwd });\n`,
      };
    case "aegis_env_read":
      return { script: `${a}export default await env.read(A.name);\n` };
    default:
      return { problem: `${tool} is not a wrapper` };
  }
}

function httpScript(a: string, args: Record<string, unknown>): WrapperScript {
  const method = String(args.method);
  const fn = Object.hasOwn(HTTP_FUNCTIONS, method) ? HTTP_FUNCTIONS[method] : undefined;
  if (fn === undefined)
    return { problem: `argument "method" must be one of ${Object.keys(HTTP_FUNCTIONS).join("|")}` };
  const withBody = method === "POST" || method === "PUT" || method === "PATCH";
  // net.httpGet and net.httpDelete take no body; dropping one silently would send a
  // different request from the one the client asked for.
  if (!withBody && args.body !== undefined) {
    return {
      problem: `argument "body" is not allowed with ${method}: net.${fn}(url, {headers}) sends no request body (only POST, PUT and PATCH carry one)`,
    };
  }
  return {
    script: `${a}const r = await net.${fn}(A.url, ${withBody ? 'A.body ?? "", ' : ""}{ headers: A.headers ?? {} });
export default { status: r.status, headers: r.headers, body: r.body };\n`,
  };
}
