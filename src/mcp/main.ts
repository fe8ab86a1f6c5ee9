process.stderr.write("aegis-mcp: not available yet\n");
process.exitCode = 5;
