/**
 * Guest-side source evaluated in every fresh QuickJS context before the user's script.
 *
 * It captures every intrinsic it needs while they are still pristine, so nothing the
 * script later does to `Object.prototype`, `Array.prototype`, `JSON`, `Promise` or
 * `Reflect` changes how values are marshalled (security.md class 1, prototype
 * pollution). Functions defined here never read a property that could resolve through
 * a user-modifiable prototype at call time: they use uncurried intrinsics, own-property
 * descriptors, and null-prototype literals.
 *
 * The source is one function expression. The host calls it with three raw host
 * functions and a JSON config; they stay in this closure and never reach the global
 * scope. It returns the internal functions the host needs (decode, encode, describe,
 * error and sealed factories); the object it returns is never reachable by the script.
 *
 * Wire format between guest and host (both directions, see engine/codec.ts):
 * primitives are JSON; an array is [0, [items]]; a plain object is [1, {key: item}];
 * a sealed value is [2, id] (host → guest: [2, id, label]); a non-finite number is
 * [3, "NaN" | "Infinity" | "-Infinity"]; undefined is [4].
 *
 * Written with String.raw: a backtick inside the guest source is spelled \x60 and
 * "${" never appears.
 */
export const PRELUDE_FILENAME = "aegis:prelude";

export const PRELUDE_SOURCE = String.raw`(function aegisPrelude(hostCall, hostPrint, hostCompose, configText) {
  "use strict";
  const config = JSON.parse(configText);

  // ---- intrinsics, captured before any user code runs ----
  const FunctionCall = Function.prototype.call;
  const FunctionBind = Function.prototype.bind;
  const ReflectApply = Reflect.apply;
  const uncurry = (fn) => ReflectApply(FunctionBind, FunctionCall, [fn]);

  const ObjectCreate = Object.create;
  const ObjectDefineProperty = Object.defineProperty;
  const ObjectFreeze = Object.freeze;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const ObjectKeys = Object.keys;
  const ObjectHasOwn = Object.hasOwn;
  const ObjectPrototype = Object.prototype;
  const ArrayIsArray = Array.isArray;
  const ArrayPrototype = Array.prototype;
  const ErrorPrototype = Error.prototype;
  const JSONStringify = JSON.stringify;
  const JSONParse = JSON.parse;
  const NumberIsFinite = Number.isFinite;
  const StringSlice = uncurry(String.prototype.slice);
  const SymbolToString = uncurry(Symbol.prototype.toString);
  const DateToISOString = uncurry(Date.prototype.toISOString);
  const MapSize = uncurry(ObjectGetOwnPropertyDescriptor(Map.prototype, "size").get);
  const SetSize = uncurry(ObjectGetOwnPropertyDescriptor(Set.prototype, "size").get);
  const WeakMapCtor = WeakMap;
  const WeakMapGet = uncurry(WeakMap.prototype.get);
  const WeakMapSet = uncurry(WeakMap.prototype.set);
  const WeakSetCtor = WeakSet;
  const WeakSetAdd = uncurry(WeakSet.prototype.add);
  const WeakSetHas = uncurry(WeakSet.prototype.has);
  const WeakSetDelete = uncurry(WeakSet.prototype.delete);
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const PromiseCtor = Promise;
  const PromiseReject = uncurry(Promise.reject);
  const OriginalProxy = Proxy;
  const OriginalProxyRevocable = Proxy.revocable;
  const SymbolToPrimitive = Symbol.toPrimitive;
  const SymbolToStringTag = Symbol.toStringTag;
  const globalObject = globalThis;

  const MAX_DEPTH = config.maxDepth;
  const MAX_NODES = config.maxNodes;
  const MAX_ARG_CHARS = config.maxArgChars;
  const MAX_PRINT_CHARS = config.maxPrintChars;
  const MAX_MESSAGE_CHARS = 4096;

  const hidden = (value) => ({ __proto__: null, value, writable: true, enumerable: false, configurable: true });
  const fixed = (value) => ({ __proto__: null, value, writable: false, enumerable: false, configurable: false });
  const setName = (fn, name) => ObjectDefineProperty(fn, "name", { __proto__: null, value: name, configurable: true });
  const typeError = (message) => new TypeErrorCtor(message);

  // ---- Proxy registry: every proxy the script can make goes through this wrapper ----
  // A Proxy runs script code on every introspection; marshalling refuses them outright.
  const proxies = new WeakSetCtor();
  const Proxy = function Proxy(target, handler) {
    if (new.target === undefined) throw typeError("Constructor Proxy requires 'new'");
    const proxy = new OriginalProxy(target, handler);
    WeakSetAdd(proxies, proxy);
    return proxy;
  };
  ObjectDefineProperty(Proxy, "revocable", hidden(function revocable(target, handler) {
    const pair = OriginalProxyRevocable(target, handler);
    WeakSetAdd(proxies, pair.proxy);
    return pair;
  }));
  const isProxy = (value) => WeakSetHas(proxies, value);

  // ---- Error.prepareStackTrace: accepted and ignored, so it can never run during a host read ----
  ObjectDefineProperty(ErrorCtor, "prepareStackTrace", {
    __proto__: null,
    get: function prepareStackTrace() { return undefined; },
    set: function prepareStackTrace(_ignored) {},
    enumerable: false,
    configurable: false,
  });

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

  // ---- reading values without running script code ----
  const ACCESSOR = ObjectFreeze({ __proto__: null });
  const MISSING = ObjectFreeze({ __proto__: null });
  const readOwn = (object, key) => {
    const descriptor = ObjectGetOwnPropertyDescriptor(object, key);
    if (descriptor === undefined) return MISSING;
    return ObjectHasOwn(descriptor, "value") ? descriptor.value : ACCESSOR;
  };
  // A data property found along the prototype chain (getters are never called).
  const readChain = (object, key) => {
    let current = object;
    for (let i = 0; i < 32 && current !== null; i++) {
      if (isProxy(current)) return MISSING;
      const found = readOwn(current, key);
      if (found !== MISSING) return found;
      current = ObjectGetPrototypeOf(current);
    }
    return MISSING;
  };
  const constructorName = (object) => {
    const proto = ObjectGetPrototypeOf(object);
    if (proto === null || isProxy(proto)) return "";
    const ctor = readOwn(proto, "constructor");
    if (typeof ctor !== "function") return "";
    const name = readOwn(ctor, "name");
    return typeof name === "string" ? name : "";
  };
  const isErrorLike = (object) => {
    let current = ObjectGetPrototypeOf(object);
    for (let i = 0; i < 32 && current !== null; i++) {
      if (current === ErrorPrototype) return true;
      if (isProxy(current)) return false;
      current = ObjectGetPrototypeOf(current);
    }
    return false;
  };
  const describeKind = (object) => {
    if (isErrorLike(object)) return "an Error";
    const name = constructorName(object);
    return name === "" ? "an object with a custom prototype" : "a " + name;
  };

  // ---- marshalling guest → host (encode) ----
  // Walks plain data only: null, booleans, numbers, strings, arrays and plain objects of own
  // enumerable data properties; bounded in depth, node count and characters. It never calls
  // a getter, a toJSON, or a proxy trap, so a hostile value can only be refused, not run.
  const OMIT = ObjectFreeze({ __proto__: null });
  let walkNodes = 0;
  let walkChars = 0;
  let walkCharLimit = 0;
  let walkForResult = false;
  let ancestors = new WeakSetCtor();

  const pathText = (node) => {
    let text = "";
    for (let current = node; current !== null; current = current.up) {
      const key = current.key;
      text = (typeof key === "number" ? "[" + key + "]" : current.up === null ? key : "." + key) + text;
    }
    return text;
  };
  const fail = (node, what) => { throw typeError(pathText(node) + " " + what); };

  const encodeAny = (value, depth, node) => {
    switch (typeof value) {
      case "string":
        walkChars += value.length;
        if (walkChars > walkCharLimit) fail(node, "is too large (more than " + walkCharLimit + " characters in total)");
        return JSONStringify(value);
      case "number":
        if (NumberIsFinite(value)) return "" + value;
        return walkForResult ? "null" : "[3," + JSONStringify("" + value) + "]";
      case "boolean":
        return value ? "true" : "false";
      case "undefined":
        return walkForResult ? OMIT : "[4]";
      case "bigint":
        return fail(node, "is a BigInt; pass a number or a string");
      case "symbol":
        return walkForResult ? OMIT : fail(node, "is a Symbol; only plain data can be passed");
      case "function":
        return walkForResult ? OMIT : fail(node, "is a function; only plain data can be passed");
      default:
        return value === null ? "null" : encodeObject(value, depth, node);
    }
  };

  const encodeObject = (value, depth, node) => {
    if (isProxy(value)) fail(node, "is a Proxy; only plain data can be passed");
    const record = sealedRecord(value);
    if (record !== undefined) {
      return walkForResult ? JSONStringify("[sealed " + record.label + "]") : "[2," + record.id + "]";
    }
    if (depth >= MAX_DEPTH) fail(node, "is nested deeper than " + MAX_DEPTH + " levels");
    if (WeakSetHas(ancestors, value)) fail(node, "is cyclic (it contains itself)");
    if (++walkNodes > MAX_NODES) fail(node, "holds more than " + MAX_NODES + " values");
    const proto = ObjectGetPrototypeOf(value);
    const isArray = ArrayIsArray(value);
    if (isArray ? proto !== ArrayPrototype : proto !== ObjectPrototype && proto !== null) {
      fail(node, "is " + describeKind(value) + "; only plain objects and arrays can be passed (convert it first, e.g. with String(x) or x.toISOString())");
    }
    WeakSetAdd(ancestors, value);
    let out;
    if (isArray) {
      const length = value.length;
      if (length > MAX_NODES - walkNodes) fail(node, "holds more than " + MAX_NODES + " values");
      out = walkForResult ? "[" : "[0,[";
      for (let i = 0; i < length; i++) {
        const here = { __proto__: null, up: node, key: i };
        const item = readOwn(value, i);
        let text;
        if (item === MISSING) text = "null";
        else if (item === ACCESSOR) fail(here, "is a getter; only plain data can be passed");
        else {
          walkNodes++;
          text = encodeAny(item, depth + 1, here);
          if (text === OMIT) text = "null";
        }
        out += i === 0 ? text : "," + text;
      }
      out += walkForResult ? "]" : "]]";
    } else {
      const keys = ObjectKeys(value);
      out = walkForResult ? "{" : "[1,{";
      let first = true;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        const here = { __proto__: null, up: node, key };
        const item = readOwn(value, key);
        if (item === MISSING) continue;
        if (item === ACCESSOR) fail(here, "is a getter; only plain data can be passed");
        walkNodes++;
        walkChars += key.length;
        const text = encodeAny(item, depth + 1, here);
        if (text === OMIT) continue;
        out += (first ? "" : ",") + JSONStringify(key) + ":" + text;
        first = false;
      }
      out += walkForResult ? "}" : "}]";
    }
    WeakSetDelete(ancestors, value);
    return out;
  };

  const startWalk = (forResult, charLimit) => {
    walkNodes = 0;
    walkChars = 0;
    walkCharLimit = charLimit;
    walkForResult = forResult;
    ancestors = new WeakSetCtor();
  };
  const encodeArgs = (args, callee) => {
    startWalk(false, MAX_ARG_CHARS);
    let out = "[";
    for (let i = 0; i < args.length; i++) {
      const node = { __proto__: null, up: null, key: callee + " argument " + (i + 1) };
      out += (i === 0 ? "" : ",") + encodeAny(args[i], 0, node);
    }
    return out + "]";
  };

  const encodeResult = (value, charLimit) => {
    if (value === undefined) return "";
    startWalk(true, charLimit);
    const text = encodeAny(value, 0, { __proto__: null, up: null, key: "export default" });
    return text === OMIT ? "" : text;
  };

  // ---- marshalling host → guest (decode) ----
  // The text comes from the host; JSON.parse defines own properties (no setters run), and
  // the walk below only reads own properties of the fresh values it produced.
  const decodeTagged = (item) => {
    if (typeof item !== "object" || item === null) return item;
    const tag = item[0];
    if (tag === 0) {
      const items = item[1];
      for (let i = 0; i < items.length; i++) items[i] = decodeTagged(items[i]);
      return items;
    }
    if (tag === 1) {
      const object = item[1];
      const keys = ObjectKeys(object);
      for (let i = 0; i < keys.length; i++) object[keys[i]] = decodeTagged(object[keys[i]]);
      return object;
    }
    if (tag === 2) return makeSealed(item[1], item[2]);
    if (tag === 3) return item[1] === "NaN" ? 0 / 0 : item[1] === "Infinity" ? 1 / 0 : -1 / 0;
    return undefined;
  };
  const responseJson = setName(function json() {
    const body = readOwn(this, "body");
    if (typeof body === "string") return JSONParse(body);
    if (typeof body === "object" && body !== null && sealedRecord(body) !== undefined) throw sealedMisuse(body);
    throw typeError("json(): this response has no text body");
  }, "json");
  const decodeResult = (callee, text, tagged) => {
    const value = tagged ? decodeTagged(JSONParse(text)) : JSONParse(text);
    if (StringSlice(callee, 0, 4) === "net." && typeof value === "object" && value !== null && !ArrayIsArray(value)) {
      ObjectDefineProperty(value, "json", hidden(responseJson));
    }
    return value;
  };

  // ---- console formatting (never runs script code) ----
  const inspect = (value, depth, seen, budget) => {
    switch (typeof value) {
      case "string":
        return depth === 0 ? value : JSONStringify(value);
      case "number":
      case "boolean":
      case "undefined":
        return "" + value;
      case "bigint":
        return "" + value + "n";
      case "symbol":
        return SymbolToString(value);
      case "function": {
        const name = readOwn(value, "name");
        return typeof name === "string" && name !== "" ? "[Function " + name + "]" : "[Function (anonymous)]";
      }
    }
    if (value === null) return "null";
    if (isProxy(value)) return "[Proxy]";
    const record = sealedRecord(value);
    if (record !== undefined) return "[sealed " + record.label + "]";
    if (WeakSetHas(seen, value)) return "[Circular]";
    if (isErrorLike(value)) {
      const name = readChain(value, "name");
      const message = readChain(value, "message");
      return (typeof name === "string" ? name : "Error") + (typeof message === "string" && message !== "" ? ": " + message : "");
    }
    const kind = constructorName(value);
    if (kind === "Date") {
      try { return DateToISOString(value); } catch (_) { return "Invalid Date"; }
    }
    if (kind === "Map" || kind === "Set") {
      try { return kind + "(" + (kind === "Map" ? MapSize(value) : SetSize(value)) + ") {…}"; } catch (_) { /* not a real one */ }
    }
    const isArray = ArrayIsArray(value);
    if (depth >= 4) return isArray ? "[Array]" : "[Object]";
    WeakSetAdd(seen, value);
    let out = "";
    let count = 0;
    const add = (text) => {
      out += (count === 0 ? "" : ", ") + text;
      count++;
    };
    if (isArray) {
      const length = value.length;
      for (let i = 0; i < length && out.length < budget; i++) {
        if (count >= 100) { add("… " + (length - i) + " more"); break; }
        const item = readOwn(value, i);
        add(item === MISSING ? "<empty>" : item === ACCESSOR ? "[Getter]" : inspect(item, depth + 1, seen, budget - out.length));
      }
      WeakSetDelete(seen, value);
      return "[" + (count === 0 ? "" : " " + out + " ") + "]";
    }
    const keys = ObjectKeys(value);
    for (let i = 0; i < keys.length && out.length < budget; i++) {
      if (count >= 100) { add("… " + (keys.length - i) + " more"); break; }
      const item = readOwn(value, keys[i]);
      if (item === MISSING) continue;
      add(JSONStringify(keys[i]) + ": " + (item === ACCESSOR ? "[Getter]" : inspect(item, depth + 1, seen, budget - out.length)));
    }
    WeakSetDelete(seen, value);
    const prefix = kind === "" || kind === "Object" ? "" : kind + " ";
    return prefix + "{" + (count === 0 ? "" : " " + out + " ") + "}";
  };
  const safeInspect = (value, budget) => {
    try {
      return inspect(value, 0, new WeakSetCtor(), budget);
    } catch (_) {
      return "[uninspectable value]";
    }
  };
  const formatLine = (args) => {
    let line = "";
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      line += (i === 0 ? "" : " ") + (typeof arg === "string" ? arg : safeInspect(arg, MAX_PRINT_CHARS));
      if (line.length > MAX_PRINT_CHARS) return StringSlice(line, 0, MAX_PRINT_CHARS);
    }
    return line;
  };
  const makePrinter = (level) => setName((...args) => { hostPrint(level, formatLine(args)); }, level);
  const console = ObjectFreeze({
    __proto__: null,
    log: makePrinter("log"),
    info: makePrinter("info"),
    warn: makePrinter("warn"),
    error: makePrinter("error"),
    debug: makePrinter("debug"),
  });

  // ---- errors that end a run, described for the host without running script code ----
  const clip = (text) => text.length > MAX_MESSAGE_CHARS ? StringSlice(text, 0, MAX_MESSAGE_CHARS) + "…" : text;
  const describeError = (error) => {
    let kind = "";
    let name = "";
    let message = "";
    let stack = "";
    try {
      if (typeof error === "object" && error !== null && !isProxy(error) && sealedRecord(error) === undefined) {
        if (WeakSetHas(hostErrors, error)) {
          const ownKind = readOwn(error, "kind");
          kind = typeof ownKind === "string" ? ownKind : "";
        }
        const ownName = readChain(error, "name");
        const ownMessage = readChain(error, "message");
        const ownStack = readOwn(error, "stack");
        name = typeof ownName === "string" ? ownName : "";
        message = typeof ownMessage === "string" ? ownMessage : "";
        stack = typeof ownStack === "string" ? ownStack : "";
        if (!isErrorLike(error) && name === "" && message === "") message = safeInspect(error, MAX_MESSAGE_CHARS);
      } else {
        message = safeInspect(error, MAX_MESSAGE_CHARS);
      }
    } catch (_) {
      message = "(a thrown value that could not be read)";
    }
    return "[" + JSONStringify(kind) + "," + JSONStringify(clip(name)) + "," + JSONStringify(clip(message)) + "," +
      JSONStringify(clip(stack)) + "]";
  };

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
  ObjectDefineProperty(globalObject, "Proxy", hidden(Proxy));

  return {
    __proto__: null,
    decodeResult: (callee, text, tagged) => decodeResult(callee, text, tagged),
    encodeResult: (value, charLimit) => encodeResult(value, charLimit),
    describeError: (error) => describeError(error),
    makeAegisError: (kind, message) => makeAegisError(kind, message),
    makeTypeError: (message) => typeError(message),
    makeSealed: (id, label) => makeSealed(id, label),
  };
})`;
