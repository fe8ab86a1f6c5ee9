// Runs on the built-in secure-defaults policy, which grants nothing:
//   aegis run examples/hello.js
// The language is all there; the effects (fs, net, subprocess, env) are not granted,
// so a script that names one is rejected before it runs (see steal-key.js).
const primes = [];
for (let n = 2; primes.length < 10; n++) if (primes.every((p) => n % p !== 0)) primes.push(n);
console.log("hello from the aegis sandbox");
export default { primes, granted: "nothing" };
