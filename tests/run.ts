// The test command (`bun run test`): build the executable the integration and e2e
// suites drive, typecheck, then run every suite and print one summary line.
// Usage: bun run test [unit|integration|e2e ...]
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ["unit", "integration", "e2e"];

function step(name: string, argv: string[]): void {
  const started = Date.now();
  const r = Bun.spawnSync(argv, { stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) {
    console.error(`${name} failed (exit ${r.exitCode})`);
    process.exit(r.exitCode || 1);
  }
  console.log(`${name} ok in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

step("build", [process.execPath, "run", "build.ts"]);
step("typecheck", ["node_modules/.bin/tsc", "--noEmit", "-p", "."]);

let passed = 0;
let failed = 0;
for (const suite of suites) {
  const proc = Bun.spawn([process.execPath, "test", `tests/${suite}`], { stdout: "inherit", stderr: "pipe" });
  // bun test reports on stderr; echo it and keep the counts.
  let out = "";
  const decoder = new TextDecoder();
  for await (const chunk of proc.stderr) {
    const text = decoder.decode(chunk);
    out += text;
    process.stderr.write(text);
  }
  const code = await proc.exited;
  const pass = Number(/^\s*(\d+) pass$/m.exec(out)?.[1] ?? 0);
  const fail = Number(/^\s*(\d+) fail$/m.exec(out)?.[1] ?? 0);
  passed += pass;
  failed += fail + (code !== 0 && fail === 0 ? 1 : 0);
  console.log(`suite ${suite}: ${pass} passed, ${fail} failed (exit ${code})`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
export {};
