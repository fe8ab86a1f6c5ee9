/**
 * The guest's global scope: builtin namespaces, `sealed`, `Sealed`, `AegisError`,
 * `console`, the Proxy wrapper; then the internal functions handed back to the host.
 * Part of the guest prelude (see prelude.ts): plain JavaScript evaluated in the guest.
 */
export const GLOBALS_SOURCE = String.raw`
  // ---- builtins ----
  const makeBuiltin = (hostName, displayName, method) => setName((...args) => {
    let payload;
    try {
      payload = encodeArgs(args, displayName);
    } catch (error) {
      return PromiseReject(PromiseCtor, error);
    }
    return hostCall(hostName, payload);
  }, method);

  const namespaces = { __proto__: null };
  const names = config.builtins;
  for (let i = 0; i < names.length; i++) {
    const guestName = names[i][0];
    const hostName = names[i][1];
    const dot = guestName.indexOf(".");
    const space = guestName.slice(0, dot);
    const method = guestName.slice(dot + 1);
    if (namespaces[space] === undefined) namespaces[space] = ObjectCreate(null);
    ObjectDefineProperty(namespaces[space], method, {
      __proto__: null, value: makeBuiltin(hostName, guestName, method), writable: false, enumerable: true, configurable: false,
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

  return {
    __proto__: null,
    decodeResult: (callee, text, tagged) => decodeResult(callee, text, tagged),
    encodeResult: (value, charLimit) => encodeResult(value, charLimit),
    describeError: (error) => describeError(error),
    makeAegisError: (kind, message) => makeAegisError(kind, message),
    makeTypeError: (message) => typeError(message),
    makeSealed: (id, label) => makeSealed(id, label),
  };
`;
