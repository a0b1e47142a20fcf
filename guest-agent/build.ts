// Builds the guest agent: a static C binary, no runtime dependencies. Uses musl-gcc when
// present (small binary), else `gcc -static` (glibc, ~1 MB). The main build.ts calls
// buildAgent() and embeds the result; run this file directly to build by hand:
//   bun guest-agent/build.ts [out] [version]
import { mkdir, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";

const SRC_DIR = join(import.meta.dir, "src");
const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$/;

export interface AgentBuild {
  path: string;
  compiler: string;
}

/** The compiler buildAgent would use, or null when neither musl-gcc nor gcc exists. */
export function agentCompiler(): string | null {
  return Bun.which("musl-gcc") ?? Bun.which("gcc");
}

/** Argv of the compile step (pure: exported for tests). */
export function agentCompileArgs(cc: string, out: string, version: string, sources: string[]): string[] {
  return [
    cc, "-static", "-Os", "-s", "-std=gnu11", "-D_GNU_SOURCE", "-Wall", "-Wextra",
    `-DBANGER_VERSION="${version}"`, "-o", out, ...sources,
  ];
}

export async function buildAgent(opts: { out: string; version: string; srcDir?: string }): Promise<AgentBuild> {
  if (!VERSION_RE.test(opts.version)) {
    throw new Error(`guest agent build: version ${JSON.stringify(opts.version)} has unsupported characters`);
  }
  const cc = agentCompiler();
  if (!cc) {
    throw new Error("guest agent build: no C compiler; install musl-tools (apt-get install musl-tools) or gcc");
  }
  const srcDir = opts.srcDir ?? SRC_DIR;
  const sources = (await readdir(srcDir)).filter((f) => f.endsWith(".c")).sort().map((f) => join(srcDir, f));
  await mkdir(dirname(opts.out), { recursive: true });
  const argv = agentCompileArgs(cc, opts.out, opts.version, sources);
  const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) {
    throw new Error(`guest agent build failed: ${argv.slice(0, 9).join(" ")} ... exited ${code}\n${stderr}${stdout}`);
  }
  return { path: opts.out, compiler: cc };
}

if (import.meta.main) {
  const out = process.argv[2] ?? join(import.meta.dir, "..", "dist", "banger-agent");
  const version = process.argv[3] ?? "dev";
  const res = await buildAgent({ out, version });
  console.log(`built ${res.path} with ${res.compiler}`);
}
