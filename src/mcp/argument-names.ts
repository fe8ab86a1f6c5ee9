/**
 * The argument names of each `tools/call` exactly as they arrived on the wire.
 *
 * The SDK re-parses a request before its handler sees it, and that parse silently drops
 * an own `__proto__` key. A client could hide an argument there (`{"__proto__":
 * {"offset": …}}`) that a schema check of the parsed copy never sees, so validation is done
 * against the names noted here, before any parsing.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { isJSONRPCRequest, type RequestId } from "@modelcontextprotocol/sdk/types.js";

/** Requests noted but never handled (the SDK refused them first) are forgotten past this. */
const MAX_NOTED = 256;

export class ArgumentNamesServer extends Server {
  readonly #noted = new Map<RequestId, string[]>();

  override async connect(transport: Transport): Promise<void> {
    // Protocol.connect keeps a handler already set and calls it first with each message.
    const earlier = transport.onmessage;
    transport.onmessage = (message, extra) => {
      if (isJSONRPCRequest(message) && message.method === "tools/call") this.#note(message);
      earlier?.(message, extra);
    };
    await super.connect(transport);
  }

  /** The names as sent, if the SDK's parse may have lost one; forgotten once taken. */
  takeArgumentNames(id: RequestId): string[] | undefined {
    const names = this.#noted.get(id);
    this.#noted.delete(id);
    return names;
  }

  #note(message: { id: RequestId; params?: unknown }): void {
    this.#noted.delete(message.id);
    const args = (message.params as { arguments?: unknown } | undefined)?.arguments;
    if (typeof args !== "object" || args === null || !Object.hasOwn(args, "__proto__")) return;
    if (this.#noted.size >= MAX_NOTED) {
      const oldest = this.#noted.keys().next();
      if (!oldest.done) this.#noted.delete(oldest.value);
    }
    this.#noted.set(message.id, Object.keys(args));
  }
}
