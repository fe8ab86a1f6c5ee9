/**
 * Collects one response under `network.max_response_bytes`, as an undici dispatch handler
 * (no response stream, no AbortSignal per request): a declared length over the cap is
 * refused before any byte is read, and a body that grows past the cap while streaming
 * (chunked, or lying about its length) is aborted at the cap. Aborting closes the connection.
 */
import type { Dispatcher } from "undici";
import { AegisError } from "../../errors.js";

export interface CollectedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

type Abort = (reason: Error) => void;

export interface ResponseLimits {
  maxBytes: number;
  /** Shown in error messages instead of the URL (which may be sealed). */
  display: string;
  /** Receives the request's abort function once undici starts it (for the deadline). */
  onStart(abort: Abort): void;
  parseHeaders(raw: Buffer[]): Record<string, string | string[] | undefined>;
}

/** A legacy-API dispatch handler that settles `resolve`/`reject` exactly once. */
export function collectResponse(
  limits: ResponseLimits,
  resolve: (response: CollectedResponse) => void,
  reject: (error: unknown) => void,
): Dispatcher.DispatchHandler {
  const { maxBytes, display } = limits;
  const chunks: Buffer[] = [];
  let received = 0;
  let status = 0;
  let headers: Record<string, string> = {};
  let abort: Abort = () => undefined;
  let settled = false;
  const refuse = (error: AegisError): false => {
    abort(error);
    return false;
  };
  return {
    onConnect(abortRequest: Abort) {
      abort = abortRequest;
      limits.onStart(abortRequest);
    },
    onHeaders(statusCode: number, rawHeaders: Buffer[]) {
      // 1xx informational responses are skipped, as undici's request() does.
      if (statusCode < 200) return true;
      const parsed = limits.parseHeaders(rawHeaders);
      const declared = Number(parsed["content-length"]);
      if (Number.isFinite(declared) && declared > maxBytes) {
        return refuse(tooLarge(display, `declares ${declared} bytes`, maxBytes));
      }
      status = statusCode;
      headers = flattenHeaders(parsed);
      return true;
    },
    onData(chunk: Buffer) {
      received += chunk.length;
      if (received > maxBytes)
        return refuse(tooLarge(display, `passed ${maxBytes} bytes while streaming`, maxBytes));
      chunks.push(chunk);
      return true;
    },
    onComplete() {
      if (settled) return;
      settled = true;
      resolve({ status, headers, body: Buffer.concat(chunks, received).toString("utf8") });
    },
    onError(error: Error) {
      if (settled) return;
      settled = true;
      reject(error);
    },
  } as Dispatcher.DispatchHandler;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function tooLarge(display: string, what: string, maxBytes: number): AegisError {
  return new AegisError(
    "runtime_limit",
    `${display}: response ${what}, over network.max_response_bytes = ${maxBytes}; request less data (a range, a page, a filter) or raise the limit`,
  );
}
