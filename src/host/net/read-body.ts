/**
 * Reads a response body under `network.max_response_bytes`: a declared length over the
 * cap is refused before any byte is read, and a body that grows past the cap while
 * streaming (chunked, or lying about its length) is aborted at the cap.
 */
import type { Readable } from "node:stream";
import { AegisError } from "../../errors.js";

export function readCappedBody(
  headers: Record<string, string | string[] | undefined>,
  body: Readable,
  maxBytes: number,
  display: string,
): Promise<string> {
  const declared = Number(headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(body);
    return Promise.reject(tooLarge(display, `declares ${declared} bytes`, maxBytes));
  }
  // Plain listeners rather than `for await`: an async iterator per response costs ~10 µs.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const done = (): void => {
      body.off("data", onData);
      body.off("end", onEnd);
      body.off("error", onError);
      body.off("close", onClose);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes) {
        done();
        discard(body);
        reject(tooLarge(display, `passed ${maxBytes} bytes while streaming`, maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      done();
      resolve(Buffer.concat(chunks, received).toString("utf8"));
    };
    const onError = (e: unknown): void => {
      done();
      reject(e);
    };
    // Destroyed without an error (a connection reset mid-body): the body is incomplete.
    const onClose = (): void => {
      done();
      reject(new Error("the response body ended before it was complete"));
    };
    body.on("data", onData);
    body.on("end", onEnd);
    body.on("error", onError);
    body.on("close", onClose);
  });
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
