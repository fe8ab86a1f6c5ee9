/**
 * Intrinsics captured before any script code runs, the Proxy registry, the neutered
 * Error.prepareStackTrace, and the helpers that read values without running script code
 * (own-property descriptors only; getters are never called).
 * Part of the guest prelude (see prelude.ts): plain JavaScript evaluated in the guest.
 */
// biome-ignore lint/complexity/noUselessStringRaw: guest source stays raw so any escape reaches the guest unchanged
export const INTRINSICS_SOURCE = String.raw`
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
  const MapCtor = Map;
  const MapGet = uncurry(Map.prototype.get);
  const MapSet = uncurry(Map.prototype.set);
  const MapDelete = uncurry(Map.prototype.delete);
  const MathImul = Math.imul;
  const MathObject = Math;
  const WeakMapCtor = WeakMap;
  const WeakMapGet = uncurry(WeakMap.prototype.get);
  const WeakMapSet = uncurry(WeakMap.prototype.set);
  const WeakSetCtor = WeakSet;
  const WeakSetAdd = uncurry(WeakSet.prototype.add);
  const WeakSetHas = uncurry(WeakSet.prototype.has);
  const WeakSetDelete = uncurry(WeakSet.prototype.delete);
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const RangeErrorCtor = RangeError;
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
  const ProxyWrapper = function Proxy(target, handler) {
    if (new.target === undefined) throw typeError("Constructor Proxy requires 'new'");
    const proxy = new OriginalProxy(target, handler);
    WeakSetAdd(proxies, proxy);
    return proxy;
  };
  ObjectDefineProperty(ProxyWrapper, "revocable", hidden(function revocable(target, handler) {
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
`;
