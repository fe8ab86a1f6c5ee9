/**
 * Reads a response body under `network.max_response_bytes`: a declared length over the
 * cap is refused before any byte is read, and a body that grows past the cap while
 * streaming (chunked, or lying about its length) is aborted at the cap.
 */
import type { Readable } from "node:stream";
import { AegisError } from "../../errors.js";

export async function readCappedBody(
  headers: Record<string, string | string[] | undefined>,
  body: Readable,
  maxBytes: number,
  display: string,
): Promise<string> {
  const declared = Number(headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(body);
    throw tooLarge(display, `declares ${declared} bytes`, maxBytes);
  }
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > maxBytes) {
      discard(body);
      throw tooLarge(display, `passed ${maxBytes} bytes while streaming`, maxBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, received).toString("utf8");
}

/** Closes the connection under a body we will not read; its abort error has nowhere to go. */
function discard(body: Readable): void {
  body.on("error", () => undefined);
  body.destroy();
}

function tooLarge(display: string, what: string, maxBytes: number): AegisError {
  return new AegisError(
    "runtime_limit",
    `${display}: response ${what}, over network.max_response_bytes = ${maxBytes}; request less data (a range, a page, a filter) or raise the limit`,
  );
}
