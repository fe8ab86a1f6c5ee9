// Runs on the built-in secure-defaults policy, which grants nothing:
//   aegis run examples/hello.js
console.log("hello from the aegis sandbox");

// Every effect is a gated builtin. Under secure-defaults this read is denied,
// and the denial is an AegisError the script can catch.
try {
  await fs.read("~/.ssh/id_rsa");
} catch (err) {
  console.log(`denied as expected: ${err.kind}`);
  console.log(err.message);
}

export default { sandbox: "quickjs-wasm", granted: "nothing" };
