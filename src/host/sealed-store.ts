/**
 * The host side of sealed values (script-api.md "Sealed values"): real bytes stay here,
 * the guest only ever holds an opaque Sealed object that names a ref by id.
 *
 * One store per run. Refs are frozen objects and are recognised by identity, so a
 * `{ sealedId, label }` built anywhere else (a forged ref, or a ref of another run)
 * can never be revealed.
 */
import { AegisError } from "../errors.js";
import type { SealedRef, SealedStore } from "./builtin-types.js";

/** A part of a `sealed\`…\`` template: literal text or another sealed value. */
export type SealedPart = string | SealedRef;

export class RunSealedStore implements SealedStore {
  readonly #bytes = new Map<number, string>();
  readonly #refs = new Map<number, SealedRef>();
  readonly #onSeal: ((secret: string) => void) | undefined;
  #nextId = 1;

  /** `onSeal` sees every secret sealed by a builtin (the run registers it with its redactor). */
  constructor(onSeal?: (secret: string) => void) {
    this.#onSeal = onSeal;
  }

  /**
   * `redact: false` when the caller registers the bytes itself (a slice of a file whose
   * whole text the redactor learns instead).
   */
  seal(label: string, value: string, options: { redact?: boolean } = {}): SealedRef {
    // Second line of defence: whatever channel the bytes come back through, the redactor knows them.
    if (value !== "" && options.redact !== false) this.#onSeal?.(value);
    return this.#issue(label, value);
  }

  reveal(ref: SealedRef): string {
    const bytes = this.#own(ref) ? this.#bytes.get(ref.sealedId) : undefined;
    if (bytes === undefined) {
      throw new AegisError(
        "policy_violation",
        "unknown sealed reference: sealed values cannot be forged or reused across runs",
      );
    }
    return bytes;
  }

  /** A new sealed value made of literal text and other sealed values of this run. */
  compose(parts: readonly SealedPart[]): SealedRef {
    let bytes = "";
    const labels: string[] = [];
    for (const part of parts) {
      if (typeof part === "string") {
        bytes += part;
        continue;
      }
      bytes += this.reveal(part);
      if (!labels.includes(part.label)) labels.push(part.label);
    }
    // The parts are already known to the redactor; the literal text is not a secret.
    return this.#issue(labels.length > 0 ? labels.join("+") : "template", bytes);
  }

  /** The ref this store issued under `id`, for the marshaller; undefined for any other id. */
  byId(id: number): SealedRef | undefined {
    return this.#refs.get(id);
  }

  /** True when `ref` is exactly a ref this store issued. */
  owns(ref: SealedRef): boolean {
    return this.#own(ref);
  }

  /** Forgets every secret; called when the run ends. */
  clear(): void {
    this.#bytes.clear();
    this.#refs.clear();
  }

  #own(ref: SealedRef): boolean {
    return typeof ref === "object" && ref !== null && this.#refs.get(ref.sealedId) === ref;
  }

  #issue(label: string, value: string): SealedRef {
    const ref: SealedRef = Object.freeze({ sealedId: this.#nextId++, label });
    this.#refs.set(ref.sealedId, ref);
    this.#bytes.set(ref.sealedId, value);
    return ref;
  }
}
