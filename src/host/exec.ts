// The ONE place that spawns host commands. argv only (never a shell string), optional
// stdin, timeout, stderr kept for errors, ENOENT turned into an install hint, and the
// privileged path (direct as root, `sudo -n` otherwise) limited to an allow-list.
import { BangerError } from "../api/errors.ts";

/** Which Debian package provides a tool, for "install X" hints. */
const PACKAGE_OF: Record<string, string> = {
  "mkfs.ext4": "e2fsprogs",
  debugfs: "e2fsprogs",
  e2fsck: "e2fsprogs",
  resize2fs: "e2fsprogs",
  "qemu-system-x86_64": "qemu-system-x86",
  qemu: "qemu-system-x86",
  nft: "nftables",
  iptables: "iptables",
  ip: "iproute2",
  git: "git",
  ssh: "openssh-client",
  "ssh-keygen": "openssh-client",
  resolvectl: "systemd-resolved",
  sudo: "sudo",
  zstd: "zstd",
  tar: "tar",
  xz: "xz-utils",
  bzip2: "bzip2",
  lz4: "lz4",
  cp: "coreutils",
  gcc: "gcc",
  "musl-gcc": "musl-tools",
  setpriv: "util-linux",
};

/** Commands that may need root; nothing else is ever run through sudo. */
export const PRIVILEGED_COMMANDS = ["ip", "nft", "iptables", "resolvectl", "sysctl"] as const;
export type PrivilegedCommand = (typeof PRIVILEGED_COMMANDS)[number];

export interface ExecOptions {
  stdin?: string | Uint8Array;
  env?: Record<string, string>;
  cwd?: string;
  /** Milliseconds; default 120 s. */
  timeoutMs?: number;
  /** Return instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  /** Write stdout to this file (binary output, e.g. a decompressor) instead of capturing it. */
  stdoutFile?: string;
}

export interface ExecResult {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class ExecError extends BangerError {
  constructor(
    readonly result: ExecResult,
    message: string,
  ) {
    super("exec_failed", message, { argv: result.argv, exit_code: result.exitCode, stderr: result.stderr });
    this.name = "ExecError";
  }
}

export function installHint(tool: string): string {
  const base = tool.split("/").pop() ?? tool;
  const pkg = PACKAGE_OF[base];
  return pkg ? `install ${pkg} (apt-get install ${pkg})` : `install ${base}`;
}

/** Is `tool` on PATH (or an executable path)? */
export function hasCommand(tool: string): boolean {
  return Bun.which(tool) !== null;
}

export async function exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  if (argv.length === 0) throw new BangerError("internal", "exec: empty argv");
  const tool = argv[0]!;
  if (!tool.includes("/") && !hasCommand(tool)) {
    throw new BangerError("precondition", `${tool} not found: ${installHint(tool)}`);
  }
  let proc: Bun.Subprocess<"pipe" | "ignore", "pipe" | Bun.BunFile, "pipe">;
  try {
    proc = Bun.spawn(argv, {
      stdin: opts.stdin === undefined ? "ignore" : "pipe",
      stdout: opts.stdoutFile ? Bun.file(opts.stdoutFile) : "pipe",
      stderr: "pipe",
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : undefined,
    });
  } catch (err) {
    throw new BangerError("precondition", `cannot run ${tool}: ${(err as Error).message}; ${installHint(tool)}`);
  }
  if (opts.stdin !== undefined) {
    const sink = proc.stdin as import("bun").FileSink;
    sink.write(opts.stdin);
    await sink.end();
  }
  const timeoutMs = opts.timeoutMs ?? 120_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, timeoutMs);
  const [stdout, stderr, exitCode] = await Promise.all([
    proc.stdout instanceof ReadableStream ? new Response(proc.stdout).text() : Promise.resolve(""),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  const result: ExecResult = { argv, exitCode, stdout, stderr };
  if (timedOut) throw new ExecError(result, `${describe(argv)} timed out after ${timeoutMs} ms`);
  if (exitCode !== 0 && !opts.allowFailure) {
    const why = stderr.trim().split("\n").slice(-3).join("; ") || `exit code ${exitCode}`;
    throw new ExecError(result, `${describe(argv)} failed: ${why}`);
  }
  return result;
}

/** Run an allow-listed privileged command: directly as root, else through `sudo -n`. */
export async function execPrivileged(
  argv: [PrivilegedCommand, ...string[]],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  if (!(PRIVILEGED_COMMANDS as readonly string[]).includes(argv[0])) {
    throw new BangerError("internal", `${argv[0]} is not an allow-listed privileged command`);
  }
  return exec(privilegedArgv(argv, isRoot()), opts);
}

/** Pure: the argv actually run for a privileged command. */
export function privilegedArgv(argv: string[], root: boolean): string[] {
  return root ? argv : ["sudo", "-n", "--", ...argv];
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function describe(argv: string[]): string {
  return argv.slice(0, 3).join(" ");
}
