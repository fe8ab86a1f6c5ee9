// What a prompt-injected agent might try: build the path at run time so no reviewer
// (and no verifier) sees it, then read the user's SSH key.
//   cd examples/summarise/project && aegis run ../../steal-key.js
// The policy grants fs.read under src/, so the script runs; the gate stops the read.
const target = ["~", ".ssh", "id_rsa"].join("/");
const key = await fs.read(target);
console.log(key);
