// An isolated banger instance for integration tests: its own four XDG roots in a temp
// dir, the compiled binary, and cleanup that kills whatever daemon it started.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "../..");
export const BINARY = join(REPO, "dist", "banger");

export function requireBinary(path = BINARY): string {
  if (!existsSync(path)) throw new Error(`${path} missing: run \`bun run build.ts\` first (the test runner does)`);
  return path;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Instance {
  readonly root: string;
  readonly env: Record<string, string>;

  constructor(readonly binary: string = requireBinary()) {
    // Short prefix: the socket path must stay under 108 bytes.
    this.root = mkdtempSync(join(tmpdir(), "bgi-"));
    this.env = {
      ...(process.env as Record<string, string>),
      XDG_CONFIG_HOME: join(this.root, "config"),
      XDG_STATE_HOME: join(this.root, "state"),
      XDG_CACHE_HOME: join(this.root, "cache"),
      XDG_RUNTIME_DIR: join(this.root, "run"),
      HOME: join(this.root, "home"),
    };
    // Instances run side by side: the DNS server takes any free port.
    mkdirSync(join(this.root, "config", "banger"), { recursive: true });
    writeFileSync(this.configFile, 'dns_listen = "127.0.0.1:0"\n');
  }

  get socket() { return join(this.root, "run", "banger", "bangerd.sock"); }
  get pidFile() { return join(this.root, "run", "banger", "bangerd.pid"); }
  get stateDir() { return join(this.root, "state", "banger"); }
  get configFile() { return join(this.root, "config", "banger", "config.toml"); }

  async run(args: string[], opts: { binary?: string; stdin?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    const proc = Bun.spawn([opts.binary ?? this.binary, ...args], {
      env: this.env,
      stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    clearTimeout(timer);
    return { code, stdout, stderr };
  }

  /** Run and require exit 0; returns stdout. */
  async ok(args: string[], opts: { binary?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`banger ${args.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  async json<T = any>(args: string[], opts: { binary?: string; timeoutMs?: number } = {}): Promise<T> {
    return JSON.parse(await this.ok([...args, "--json"], opts)) as T;
  }

  daemonPid(): number | null {
    try {
      return Number.parseInt(readFileSync(this.pidFile, "utf8"), 10);
    } catch {
      return null;
    }
  }

  async cleanup(): Promise<void> {
    const pid = this.daemonPid();
    if (pid) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {}
      for (let i = 0; i < 100 && alive(pid); i++) await Bun.sleep(50);
      if (alive(pid)) process.kill(pid, "SIGKILL");
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A process counts as alive unless it is gone or a zombie (VMMs re-parented to a
 * container's PID 1 may linger as zombies after they exit). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Wait until `fn` is truthy or fail after `ms`. */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
