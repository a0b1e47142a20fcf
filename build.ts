// Builds dist/banger: ONE self-contained executable (bun build --compile) with the build
// stamp defined in, the guest agent compiled first and embedded as a file asset, and
// migrations/assets/catalogs embedded through text/json/file imports.
// Usage: bun run build.ts [--outdir dist]
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import pkg from "./package.json" with { type: "json" };
import { buildAgent } from "./guest-agent/build.ts";

const outdir = resolve(process.argv.includes("--outdir") ? process.argv[process.argv.indexOf("--outdir") + 1]! : "dist");

function gitCommit(): string {
  const r = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { stderr: "ignore" });
  if (r.exitCode !== 0) return "unknown";
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no"]).stdout.toString().trim();
  return r.stdout.toString().trim() + (dirty ? "-dirty" : "");
}

async function main(): Promise<void> {
  const build = { version: pkg.version, commit: gitCommit(), built_at: new Date().toISOString() };
  mkdirSync(outdir, { recursive: true });
  const started = Date.now();
  const agent = await buildAgent({ out: join("dist", "banger-agent"), version: build.version });
  const outfile = join(outdir, "banger");
  const argv = [
    process.execPath, "build", "--compile", "src/main.ts", "--outfile", outfile,
    "--define", `BANGER_VERSION=${JSON.stringify(build.version)}`,
    "--define", `BANGER_COMMIT=${JSON.stringify(build.commit)}`,
    "--define", `BANGER_BUILT_AT=${JSON.stringify(build.built_at)}`,
  ];
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    process.stderr.write(r.stdout.toString() + r.stderr.toString());
    throw new Error(`bun build --compile failed (exit ${r.exitCode})`);
  }
  // `bangerd` is the same executable; argv[0] selects the daemon role.
  rmSync(join(outdir, "bangerd"), { force: true });
  symlinkSync("banger", join(outdir, "bangerd"));
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`built ${outfile} (${build.version}, ${build.commit}, agent via ${agent.compiler}) in ${secs}s`);
}

await main();
