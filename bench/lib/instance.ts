// An isolated banger instance for a bench: four XDG roots and HOME under one short temp
// dir (/tmp/bgb-XXXXXX keeps the socket path far below the 108-byte limit), a private
// copy of the compiled binary, and cleanup that stops the daemon it started and removes
// the dir. The copy matters: a rebuild of dist/banger during a bench (other work in the
// same tree) would otherwise make the next CLI call restart the daemon mid-measurement.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { onCleanup } from "./cleanup.ts";
import { pidAlive } from "./host.ts";

export const REPO = resolve(import.meta.dir, "../..");
export const BINARY = join(REPO, "dist", "banger");

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export class BenchInstance {
  readonly root: string;
  readonly binary: string;
  readonly env: Record<string, string>;
  private readonly forget: () => void;

  constructor(source: string = BINARY) {
    if (!existsSync(source)) throw new Error(`${source} missing: build it with \`bun run build.ts\` (bench/run.ts does)`);
    this.root = mkdtempSync("/tmp/bgb-");
    this.binary = join(this.root, "banger");
    copyFileSync(source, this.binary);
    chmodSync(this.binary, 0o755);
    this.env = {
      ...(process.env as Record<string, string>),
      XDG_CONFIG_HOME: join(this.root, "config"),
      XDG_STATE_HOME: join(this.root, "state"),
      XDG_CACHE_HOME: join(this.root, "cache"),
      XDG_RUNTIME_DIR: join(this.root, "run"),
      HOME: join(this.root, "home"),
    };
    mkdirSync(this.env.HOME!, { recursive: true, mode: 0o700 });
    this.forget = onCleanup(`banger instance ${this.root}`, () => this.cleanup());
  }

  get stateDir() { return join(this.root, "state", "banger"); }
  get database() { return join(this.stateDir, "banger.db"); }
  get socket() { return join(this.root, "run", "banger", "bangerd.sock"); }
  get pidFile() { return join(this.root, "run", "banger", "bangerd.pid"); }
  get daemonLog() { return join(this.stateDir, "logs", "bangerd.log"); }

  writeConfig(toml: string): void {
    const file = join(this.root, "config", "banger", "config.toml");
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, toml);
  }

  /** Spawns the binary; `ms` is the wall time from spawn to exit. */
  async run(args: string[], timeoutMs = 60_000): Promise<Run> {
    const started = performance.now();
    const proc = Bun.spawn([this.binary, ...args], { env: this.env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const ms = performance.now() - started;
    clearTimeout(timer);
    return { code, stdout, stderr, ms };
  }

  /** Runs and requires exit 0; the error names the command and carries its stderr. */
  async ok(args: string[], timeoutMs = 60_000): Promise<Run> {
    const r = await this.run(args, timeoutMs);
    if (r.code !== 0) {
      const why = stripAnsi(r.stderr.trim() || r.stdout.trim()).split("\n").slice(-5).join(" | ");
      throw new Error(`\`banger ${args.join(" ")}\` exited ${r.code}: ${why}`);
    }
    return r;
  }

  async json<T = any>(args: string[], timeoutMs = 60_000): Promise<{ value: T; ms: number }> {
    const r = await this.ok([...args, "--json"], timeoutMs);
    try {
      return { value: JSON.parse(r.stdout) as T, ms: r.ms };
    } catch {
      throw new Error(`\`banger ${args.join(" ")} --json\` printed no JSON: ${r.stdout.slice(0, 300)}`);
    }
  }

  /** How many times a daemon started in this instance (restarts show up here). */
  daemonStarts(): number {
    try {
      return readFileSync(this.daemonLog, "utf8").split("\n").filter((l) => l.includes('"daemon started"')).length;
    } catch {
      return 0;
    }
  }

  daemonPid(): number | null {
    try {
      return Number.parseInt(readFileSync(this.pidFile, "utf8"), 10) || null;
    } catch {
      return null;
    }
  }

  async stopDaemon(): Promise<void> {
    const pid = this.daemonPid();
    if (!pid || !pidAlive(pid)) return;
    await this.run(["daemon", "stop"], 30_000);
    for (let i = 0; i < 100 && pidAlive(pid); i++) await Bun.sleep(50);
    if (pidAlive(pid)) process.kill(pid, "SIGKILL");
  }

  async cleanup(): Promise<void> {
    this.forget();
    await this.stopDaemon().catch(() => {});
    const pid = this.daemonPid();
    if (pid && pidAlive(pid)) process.kill(pid, "SIGKILL");
    rmSync(this.root, { recursive: true, force: true });
  }
}

export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}
