/**
 * The guest's global scope: builtin namespaces, `sealed`, `Sealed`, `AegisError`,
 * `console`, the Proxy wrapper; then the internal functions the host claims.
 * Part of the guest prelude (see prelude.ts): plain JavaScript evaluated in the guest.
 */
export const GLOBALS_SOURCE = String.raw`
  // ---- builtins ----
  // A call's promise is made here, in the guest: the host knows the call only by the number
  // hostCall returns, and settles it through settle below. The resolvers never leave this
  // closure, so a script cannot settle a builtin's promise, and the host makes no promise
  // objects of its own per call.
  const pending = new MapCtor();
  const hostNames = config.hostNames;
  const makeBuiltin = (hostIndex, callee, displayName, method) => setName((...args) => {
    let payload;
    try {
      payload = encodeArgs(args, displayName);
    } catch (error) {
      return PromiseReject(PromiseCtor, error);
    }
    const id = hostCall(hostIndex, payload);
    // A call the host refused before queueing it comes back as the error to reject with.
    if (typeof id !== "number") return PromiseReject(PromiseCtor, id);
    return new PromiseCtor((resolve, reject) => {
      MapSet(pending, id, { __proto__: null, resolve, reject, callee });
    });
  }, method);

  // how: 0 the value itself, 1 JSON text, 2 tagged JSON text, 3 an AegisError (value is its
  // message, kind its kind), 4 a TypeError (value is its message). See engine/builtin-calls.ts.
  const settle = (id, how, value, kind) => {
    const entry = MapGet(pending, id);
    if (entry === undefined) return;
    MapDelete(pending, id);
    if (how === 0) {
      entry.resolve(value);
    } else if (how === 3) {
      entry.reject(makeAegisError(kind, value));
    } else if (how === 4) {
      entry.reject(typeError(value));
    } else {
      let decoded;
      try {
        decoded = decodeResult(entry.callee, value, how === 2);
      } catch (error) {
        entry.reject(error);
        return;
      }
      entry.resolve(decoded);
    }
  };

  const namespaces = { __proto__: null };
  const names = config.builtins;
  for (let i = 0; i < names.length; i++) {
    const guestName = names[i][0];
    const hostIndex = names[i][1];
    const dot = guestName.indexOf(".");
    const space = guestName.slice(0, dot);
    const method = guestName.slice(dot + 1);
    if (namespaces[space] === undefined) namespaces[space] = ObjectCreate(null);
    ObjectDefineProperty(namespaces[space], method, {
      __proto__: null, value: makeBuiltin(hostIndex, hostNames[hostIndex], guestName, method), writable: false, enumerable: true, configurable: false,
    });
  }

  const sealed = setName((strings, ...values) => hostCompose(encodeArgs([strings, values], "sealed\x60…\x60")), "sealed");

  const defineGlobal = (name, value) => ObjectDefineProperty(globalObject, name, fixed(value));
  const spaces = ObjectKeys(namespaces);
  for (let i = 0; i < spaces.length; i++) defineGlobal(spaces[i], ObjectFreeze(namespaces[spaces[i]]));
  defineGlobal("console", console);
  defineGlobal("sealed", sealed);
  defineGlobal("Sealed", Sealed);
  defineGlobal("AegisError", AegisError);
  ObjectDefineProperty(globalObject, "Proxy", hidden(ProxyWrapper));

  const internals = ObjectFreeze({
    __proto__: null,
    settle: (id, how, value, kind) => settle(id, how, value, kind),
    encodeResult: (value, charLimit) => encodeResult(value, charLimit),
    describeError: (error) => describeError(error),
    makeAegisError: (kind, message) => makeAegisError(kind, message),
    makeTypeError: (message) => typeError(message),
    makeSealed: (id, label) => makeSealed(id, label),
  });
  // The host claims the internals once, before any script code runs: claim removes itself
  // from the global object, seeds Math.random and hands them over. (Going through the global
  // object lets a context restored from a prepared image be claimed like a fresh one.)
  const claimKey = config.claimKey;
  const claim = (s0, s1, s2, s3) => {
    delete globalObject[claimKey];
    seedRandom(s0, s1, s2, s3);
    return internals;
  };
  ObjectDefineProperty(globalObject, claimKey, { __proto__: null, value: claim, writable: false, enumerable: false, configurable: true });
`;
