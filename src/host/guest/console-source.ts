/**
 * Console formatting for captured output: never calls a getter, a toString or a proxy
 * trap; sealed values print as `[sealed NAME]`.
 * Part of the guest prelude (see prelude.ts): plain JavaScript evaluated in the guest.
 */
// biome-ignore lint/complexity/noUselessStringRaw: guest source stays raw so any escape reaches the guest unchanged
export const CONSOLE_SOURCE = String.raw`
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
`;
