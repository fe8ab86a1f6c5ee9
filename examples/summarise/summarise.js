// Reads every file under src/, counts lines, writes reports/summary.md.
//   cd examples/summarise/project && aegis run ../summarise.js
const entries = await fs.list("src");
const rows = [];
for (const e of entries) {
  if (e.type !== "file") continue;
  const text = await fs.read(`src/${e.name}`);
  rows.push({ file: e.name, lines: text.split("\n").length - 1 });
}
const report = ["# Summary", "", ...rows.map((r) => `- ${r.file}: ${r.lines} lines`), ""].join("\n");
await fs.write("reports/summary.md", report);
console.log(report);
export default { files: rows.length, lines: rows.reduce((n, r) => n + r.lines, 0) };
