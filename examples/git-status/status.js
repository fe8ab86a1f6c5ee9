// Runs `git status` and `git log` (argv only, no shell) and reports the branch.
//   cd examples/git-status && aegis run status.js
const status = await subprocess.exec(["git", "status", "--short", "--branch"]);
const log = await subprocess.exec(["git", "log", "--oneline", "-n", "3"]);
console.log(status.stdout.trim());
export default {
  code: status.code,
  branch: status.stdout.split("\n")[0],
  recent: log.stdout.trim().split("\n").length,
};
