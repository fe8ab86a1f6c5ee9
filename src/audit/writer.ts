/**
 * The audit log writer: appends hash-chained JSONL records (audit.md) under a cross-process
 * lock, group-committing the appends of one process that arrive together.
 *
 * Fail closed: `append` resolves only once its record is in the file, and rejects (never drops)
 * when it cannot be written, so the gate does not start the effect. `appendOutcome` (the record
 * after an effect) waits for the next append, or the end of the event loop's turn, and goes in
 * the same batch: one lock and one write for an effect's outcome and the next one's decision.
 * Durability is against a killed process (the bytes are in the kernel once `write` returns); pass `fsync: true` to also
 * survive a power loss, at the price of a disk flush per batch.
 *
 * Sync fs calls are deliberate: the writer runs in a dedicated worker thread, and a batch is
 * a handful of syscalls (link lock, stat, write, unlink lock).
 */
import {
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  type Stats,
  statSync,
  writeSync,
} from "node:fs";
import { dirname, resolve } from "node:path";
import { AegisError, isAegisError } from "../errors.js";
import type { AuditEntry, AuditSink, Redactor } from "../host/builtin-types.js";
import { FileLock } from "./lock.js";
import {
  composeRedactors,
  MAX_RECORD_BYTES,
  recordLine,
  serializeBody,
  sha256Hex,
  ZERO_HASH,
} from "./record.js";
import { readTail, type TailState } from "./tail.js";

export interface AuditLogOptions {
  /** Applied to every string of every record (the log's own secrets). */
  redactor?: Redactor;
  /** How long to wait for another writer's lock before rejecting. Default 5000 ms. */
  lockTimeoutMs?: number;
  /** fdatasync after each batch. Default false. */
  fsync?: boolean;
}

/** Room for `{"v":1,"seq":…,"ts":…,` and `,"prev":…}` around a body. */
const FRAME_BYTES = 200;

/** A group commit stops growing past this many bytes; the rest goes in the next write. */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

interface Pending {
  body: string;
  run: string;
  source: string;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class AuditLog implements AuditSink {
  readonly path: string;
  readonly #redactor: Redactor | undefined;
  readonly #lockTimeoutMs: number;
  readonly #fsync: boolean;
  readonly #lock: FileLock;
  #fd: number | undefined;
  #dev = -1;
  #ino = -1;
  /** File size right after our last write; -1 forces a re-read of the tail. */
  #knownSize = -1;
  #lastSeq = 0;
  #lastHash = ZERO_HASH;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  /** Set while only outcome records wait: they are flushed at the end of this loop turn. */
  #lateFlush: NodeJS.Immediate | undefined;
  #closed = false;

  private constructor(path: string, options: AuditLogOptions) {
    this.path = path;
    this.#redactor = options.redactor;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 5000;
    this.#fsync = options.fsync ?? false;
    this.#lock = new FileLock(`${path}.lock`);
  }

  /**
   * A writer for the log at `path`. Nothing is touched until the first append, so a log that
   * cannot be written surfaces as a rejected append (which stops the effect), not as a crash.
   */
  static open(path: string, options: AuditLogOptions = {}): AuditLog {
    if (typeof path !== "string" || path === "") {
      throw new AegisError("config_error", "audit log path must be a non-empty string");
    }
    return new AuditLog(resolve(path), options);
  }

  append(entry: AuditEntry): Promise<void> {
    return this.#enqueue(entry, undefined, false);
  }

  appendOutcome(entry: AuditEntry): Promise<void> {
    return this.#enqueue(entry, undefined, true);
  }

  /** A sink for one run: its records are also redacted with that run's redactor. */
  withRedactor(redactor: Redactor): AuditSink {
    return {
      append: (entry) => this.#enqueue(entry, redactor, false),
      appendOutcome: (entry) => this.#enqueue(entry, redactor, true),
    };
  }

  /** Waits for pending appends, then releases the file. Later appends reject. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#lateFlush) this.#startFlush();
    while (this.#flushing) await this.#flushing;
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#lock.dispose();
  }

  #enqueue(entry: AuditEntry, runRedactor: Redactor | undefined, late: boolean): Promise<void> {
    if (this.#closed) return Promise.reject(this.#error("the log is closed"));
    let pending: Omit<Pending, "resolve" | "reject">;
    try {
      const redact = composeRedactors([runRedactor, this.#redactor]);
      const body = serializeBody(entry, redact);
      if (Buffer.byteLength(body) + FRAME_BYTES > MAX_RECORD_BYTES) {
        throw new Error(`the record is larger than ${MAX_RECORD_BYTES} bytes`);
      }
      pending = { body, run: redact(entry.run), source: redact(entry.source) };
    } catch (e) {
      return Promise.reject(this.#error(e));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...pending, resolve, reject });
      // Appends made in the same tick share one lock acquisition and one write; an outcome
      // record also waits for the next append (or the end of this turn of the event loop).
      if (!late) this.#startFlush();
      else if (!this.#flushing && !this.#lateFlush) {
        this.#lateFlush = setImmediate(() => this.#startFlush());
      }
    });
  }

  #startFlush(): void {
    if (this.#lateFlush) clearImmediate(this.#lateFlush);
    this.#lateFlush = undefined;
    if (!this.#flushing) this.#flushing = Promise.resolve().then(() => this.#flush());
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        try {
          if (this.#fd === undefined) this.#prepareToOpen();
          await this.#lock.acquire(this.#lockTimeoutMs);
        } catch (e) {
          for (const p of this.#queue.splice(0)) p.reject(this.#error(e));
          continue;
        }
        // Taken after the lock: appends that arrived while we waited join this batch.
        const batch = this.#queue.splice(0, batchLength(this.#queue));
        try {
          this.#writeBatch(batch);
        } catch (e) {
          for (const p of batch) p.reject(this.#error(e));
          continue;
        } finally {
          this.#lock.release();
        }
        for (const p of batch) p.resolve();
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Under the lock: find where the chain ends, then write the batch in one `write`. */
  #writeBatch(batch: Pending[]): void {
    const { fd, size } = this.#openCurrentFile();
    let tail: TailState;
    if (size === this.#knownSize) {
      tail = { lastSeq: this.#lastSeq, lastHash: this.#lastHash, needsNewline: false };
    } else {
      tail = readTail(fd, size);
    }
    const ts = new Date().toISOString();
    let seq = tail.lastSeq;
    let prev = tail.lastHash;
    let out = tail.needsNewline ? "\n" : "";
    const add = (body: string): void => {
      const line = recordLine(++seq, ts, body, prev);
      out += `${line}\n`;
      prev = sha256Hex(line);
    };
    if (tail.torn) add(segmentBody(tail.torn, batch[0]!));
    for (const p of batch) add(p.body);

    const bytes = Buffer.from(out);
    writeAllOrUndo(fd, bytes, size);
    if (this.#fsync) fdatasyncSync(fd);
    this.#knownSize = size + bytes.length;
    this.#lastSeq = seq;
    this.#lastHash = prev;
  }

  /**
   * Before the first lock: the lock lives beside the log, so the directory must exist; and a
   * path that is already something other than a regular file is refused without taking a lock
   * (or creating lock files) next to it.
   */
  #prepareToOpen(): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    let st: Stats;
    try {
      st = lstatSync(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    if (st.isSymbolicLink())
      throw new Error("it is a symbolic link (refused: it could redirect the records)");
    if (!st.isFile())
      throw new Error("it is not a regular file (a device or FIFO would swallow or stall the records)");
  }

  /**
   * The descriptor of the file now at `path`, and its size. Reopens when the log was removed
   * or replaced, so records never go to an unlinked file nobody will read.
   */
  #openCurrentFile(): { fd: number; size: number } {
    let st: Stats | undefined;
    try {
      st = statSync(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (this.#fd !== undefined && (st === undefined || st.ino !== this.#ino || st.dev !== this.#dev)) {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
    if (this.#fd === undefined) {
      this.#knownSize = -1;
      // O_NOFOLLOW: a symlink planted at the log path must not redirect the records.
      const flags = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
      const fd = openSync(this.path, flags, 0o600);
      const own = fstatSync(fd);
      if (!own.isFile()) {
        closeSync(fd);
        // A device (/dev/null) or FIFO would swallow or stall the records.
        throw new Error("it is not a regular file");
      }
      this.#fd = fd;
      this.#dev = own.dev;
      this.#ino = own.ino;
      return { fd, size: own.size };
    }
    return { fd: this.#fd, size: st!.size };
  }

  #error(cause: unknown): AegisError {
    if (isAegisError(cause)) return cause;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const msg = cause instanceof Error ? cause.message : String(cause);
    const text = code && !msg.startsWith(code) ? `${code}: ${msg}` : msg;
    return new AegisError("io_error", `audit record not written to ${this.path}: ${text}`, { cause });
  }
}

/** How many queued records (at least one) fit in one batch. */
function batchLength(queue: readonly Pending[]): number {
  let bytes = 0;
  for (let i = 0; i < queue.length; i++) {
    bytes += queue[i]!.body.length + FRAME_BYTES;
    if (bytes > MAX_BATCH_BYTES) return Math.max(1, i);
  }
  return queue.length;
}

/**
 * The first record after a torn line. It chains to the torn bytes, continues the seq of the
 * last good record, and says where the segment starts so verify's report can be explained.
 */
function segmentBody(torn: { line: number; bytes: number }, first: Pending): string {
  const entry: AuditEntry = {
    run: first.run,
    source: first.source as AuditEntry["source"],
    cap: "audit.segment",
    target: `line ${torn.line}`,
    decision: "none",
    rule: "",
    status: "errored",
    detail: {
      segment_after_torn_line: torn.line,
      torn_bytes: torn.bytes,
      note: `a writer was killed mid-write; line ${torn.line} is torn and a new segment starts after it`,
    },
  };
  return serializeBody(entry, (s) => s);
}

/** One `write` normally; on failure, removes the partial bytes so no torn line is left behind. */
function writeAllOrUndo(fd: number, bytes: Buffer, sizeBefore: number): void {
  let off = 0;
  try {
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  } catch (e) {
    if (off > 0) {
      try {
        ftruncateSync(fd, sizeBefore);
      } catch {
        // The next writer will find the torn line and start a new segment after it.
      }
    }
    throw e;
  }
}
