/**
 * Marshalling: guest → host (`encodeArgs`, `encodeResult`: plain data only, bounded, no
 * script code runs), host → guest (`decodeResult`), and `describeError` for the host.
 * Part of the guest prelude (see prelude.ts): plain JavaScript evaluated in the guest.
 */
// biome-ignore lint/complexity/noUselessStringRaw: guest source stays raw so any escape reaches the guest unchanged
export const MARSHAL_SOURCE = String.raw`
  // ---- marshalling guest → host (encode) ----
  // Walks plain data only: null, booleans, numbers, strings, arrays and plain objects of own
  // enumerable data properties; bounded in depth, node count and characters. It never calls
  // a getter, a toJSON, or a proxy trap, so a hostile value can only be refused, not run.
  const OMIT = ObjectFreeze({ __proto__: null });
  let walkNodes = 0;
  let walkChars = 0;
  let walkCharLimit = 0;
  let walkForResult = false;
  // Made on the first object of a walk: most calls pass only strings.
  let ancestors = null;

  const pathText = (node) => {
    let text = "";
    for (let current = node; current !== null; current = current.up) {
      const key = current.key;
      text = (typeof key === "number" ? "[" + key + "]" : current.up === null ? key : "." + key) + text;
    }
    return text;
  };
  // A value of the wrong shape is a TypeError; one past a size bound is a RangeError (for the
  // result value that is a runtime limit, not a script bug).
  const fail = (node, what) => { throw typeError(pathText(node) + " " + what); };
  const tooBig = (node, what) => { throw new RangeErrorCtor(pathText(node) + " " + what); };

  const encodeAny = (value, depth, node) => {
    switch (typeof value) {
      case "string":
        walkChars += value.length;
        if (walkChars > walkCharLimit) tooBig(node, "is too large (more than " + walkCharLimit + " characters in total)");
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
    if (depth >= MAX_DEPTH) tooBig(node, "is nested deeper than " + MAX_DEPTH + " levels");
    if (ancestors === null) ancestors = new WeakSetCtor();
    else if (WeakSetHas(ancestors, value)) fail(node, "is cyclic (it contains itself)");
    if (++walkNodes > MAX_NODES) tooBig(node, "holds more than " + MAX_NODES + " values");
    const proto = ObjectGetPrototypeOf(value);
    const isArray = ArrayIsArray(value);
    if (isArray ? proto !== ArrayPrototype : proto !== ObjectPrototype && proto !== null) {
      fail(node, "is " + describeKind(value) + "; only plain objects and arrays can be passed (convert it first, e.g. with String(x) or x.toISOString())");
    }
    WeakSetAdd(ancestors, value);
    let out;
    if (isArray) {
      const length = value.length;
      if (length > MAX_NODES - walkNodes) tooBig(node, "holds more than " + MAX_NODES + " values");
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
    ancestors = null;
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
`;
