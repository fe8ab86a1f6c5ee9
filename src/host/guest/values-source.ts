/**
 * Sealed values (opaque, frozen, recognised by a private WeakMap) and AegisError (minted
 * only by the host, recognised by a private WeakSet).
 * Part of the guest prelude (see prelude.ts): plain JavaScript evaluated in the guest.
 */
export const VALUES_SOURCE = String.raw`
  // ---- Sealed values ----
  const sealedInfo = new WeakMapCtor();
  const sealedRecord = (value) => WeakMapGet(sealedInfo, value);
  const Sealed = function Sealed() {
    throw typeError("Sealed values cannot be constructed: they come from builtins that read local-only data, or from the sealed\x60…\x60 tag");
  };
  const SealedPrototype = Sealed.prototype;
  const sealedMisuse = (value) => {
    const record = sealedRecord(value);
    const label = record === undefined ? "value" : record.label;
    return typeError(
      "sealed value " + label + " cannot be read, printed, compared or converted: its bytes stay on the host. " +
      "Pass it to net.* for a local_only host (header, URL or body), to a local_only command (argv or env), " +
      "or compose a new sealed value with sealed\x60Bearer \x24{value}\x60"
    );
  };
  const refuse = function () { throw sealedMisuse(this); };
  ObjectDefineProperty(SealedPrototype, "toString", hidden(setName(function toString() { throw sealedMisuse(this); }, "toString")));
  ObjectDefineProperty(SealedPrototype, "valueOf", hidden(setName(function valueOf() { throw sealedMisuse(this); }, "valueOf")));
  ObjectDefineProperty(SealedPrototype, "toJSON", hidden(setName(function toJSON() { throw sealedMisuse(this); }, "toJSON")));
  ObjectDefineProperty(SealedPrototype, SymbolToPrimitive, hidden(refuse));
  ObjectDefineProperty(SealedPrototype, "length", { __proto__: null, get: refuse, enumerable: false, configurable: false });
  ObjectDefineProperty(SealedPrototype, SymbolToStringTag, fixed("Sealed"));
  ObjectFreeze(SealedPrototype);
  ObjectFreeze(Sealed);
  const makeSealed = (id, label) => {
    const value = ObjectCreate(SealedPrototype);
    WeakMapSet(sealedInfo, value, ObjectFreeze({ __proto__: null, id, label }));
    return ObjectFreeze(value);
  };

  // ---- AegisError: only builtins raise it; the host recognises its own by this registry ----
  const hostErrors = new WeakSetCtor();
  let minting = false;
  class AegisError extends ErrorCtor {
    constructor(kind, message) {
      if (!minting) throw typeError("AegisError is raised by builtins only; throw an Error of your own instead");
      super(message);
      ObjectDefineProperty(this, "kind", { __proto__: null, value: kind, writable: false, enumerable: true, configurable: false });
    }
  }
  ObjectDefineProperty(AegisError.prototype, "name", hidden("AegisError"));
  ObjectFreeze(AegisError.prototype);
  ObjectFreeze(AegisError);
  const makeAegisError = (kind, message) => {
    minting = true;
    try {
      const error = new AegisError(kind, message);
      WeakSetAdd(hostErrors, error);
      return error;
    } finally {
      minting = false;
    }
  };
`;
