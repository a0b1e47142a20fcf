// The managed `Host *.vm` block in ~/.ssh/config (F66), so a plain `ssh root@<name>.vm`
// works with the managed key.
//
// Name resolution does not depend on systemd-resolved: the block Includes a banger-owned
// hosts file with one `Host <name>.vm / HostName <ip>` entry per running VM, rewritten
// whenever the DNS records change. No helper process, no ProxyCommand.
//
// Host keys: every VM generates its own on first boot, and names and IPs are reused by
// later VMs. Each entry therefore sets `HostKeyAlias banger-<vm id>`: keys are pinned per
// VM (accept-new on first contact, verified after) in banger's own known_hosts file, a
// recreated VM with the same name is a different alias, and the user's known_hosts is
// never touched.
//
// The block sits at the TOP of the file (ssh takes the first value it finds, so ours wins
// for *.vm) and is wrapped in `Match all` so it neither inherits nor leaks a Host context:
// the Include is unconditional wherever the block ends up, and the user's top-level lines
// after it stay global. User content outside the markers is preserved byte for byte.
import { chmodSync, existsSync, fsyncSync, mkdirSync, openSync, closeSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { BangerError } from "../api/errors.ts";
import type { DnsEntry } from "./dns-server.ts";

export const BLOCK_START = "# >>> banger managed >>>";
export const BLOCK_END = "# <<< banger managed <<<";

export interface ManagedBlockInput {
  /** The managed private key. */
  keyPath: string;
  /** banger's per-VM hosts file (see renderVmHosts). */
  hostsFile: string;
  /** banger's own known_hosts for VMs. */
  knownHostsFile: string;
}

/** Pure: the block, markers included, ending with a newline. */
export function renderManagedBlock(i: ManagedBlockInput): string {
  return [
    BLOCK_START,
    "# Written by banger: this block is replaced on every daemon start; edit outside it.",
    "Match all",
    `Include ${quotePath(i.hostsFile, false)}`,
    "Host *.vm",
    "    User root",
    `    IdentityFile ${quotePath(i.keyPath, true)}`,
    "    IdentitiesOnly yes",
    "    PreferredAuthentications publickey",
    "    StrictHostKeyChecking accept-new",
    `    UserKnownHostsFile ${quotePath(i.knownHostsFile, true)}`,
    "    LogLevel ERROR",
    "Match all",
    BLOCK_END,
  ].join("\n") + "\n";
}

/** Pure: the hosts file: one entry per VM, sorted by name. */
export function renderVmHosts(entries: DnsEntry[]): string {
  const lines = ["# Written by banger: one entry per running VM. Do not edit."];
  for (const e of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(e.name) || !/^\d{1,3}(\.\d{1,3}){3}$/.test(e.ip)) {
      throw new BangerError("internal", `bad host entry ${JSON.stringify(e)}`);
    }
    lines.push(`Host ${e.name}.vm`, `    HostName ${e.ip}`);
    if (e.vmId && /^[0-9a-z]+$/.test(e.vmId)) lines.push(`    HostKeyAlias banger-${e.vmId}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * ssh_config quoting is minimal: double quotes group, and `%` starts a token in most
 * path options. Refuse the characters we cannot express safely instead of guessing.
 */
function quotePath(path: string, tokens: boolean): string {
  if (!path.startsWith("/") || /["\\\n\r*?[]/.test(path) || (!tokens && path.includes("%"))) {
    throw new BangerError("usage", `cannot use ${JSON.stringify(path)} in ~/.ssh/config (needs an absolute path without quotes, \\, glob characters or newlines)`);
  }
  return `"${tokens ? path.replaceAll("%", "%%") : path}"`;
}

/** Text split into lines that keep their terminators, so joining them gives the bytes back. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

const isMarker = (line: string, marker: string) => line.replace(/[\r\n]+$/, "").trimEnd() === marker;

/** [start, end] line indexes (inclusive) of every managed block; refuses a broken one. */
export function findBlocks(lines: string[]): [number, number][] {
  const blocks: [number, number][] = [];
  for (let i = 0; i < lines.length; i++) {
    if (isMarker(lines[i]!, BLOCK_END)) throw new BangerError("conflict", `~/.ssh/config: "${BLOCK_END}" on line ${i + 1} has no start marker; fix the file by hand`);
    if (!isMarker(lines[i]!, BLOCK_START)) continue;
    const end = lines.findIndex((l, j) => j > i && isMarker(l, BLOCK_END));
    if (end < 0) throw new BangerError("conflict", `~/.ssh/config: "${BLOCK_START}" on line ${i + 1} has no end marker; fix the file by hand`);
    blocks.push([i, end]);
    i = end;
  }
  return blocks;
}

/** Pure: text with the block in place: the first existing block replaced (others dropped), else prepended. */
export function upsertBlock(text: string, block: string): string {
  const lines = splitLines(text);
  const blocks = findBlocks(lines);
  if (blocks.length === 0) return block + text;
  const out: string[] = [];
  let at = 0;
  blocks.forEach(([s, e], n) => {
    out.push(...lines.slice(at, s));
    if (n === 0) out.push(lines[e]!.endsWith("\n") ? block : block.slice(0, -1));
    at = e + 1;
  });
  out.push(...lines.slice(at));
  return out.join("");
}

/** Pure: text without any managed block. */
export function removeBlock(text: string): string {
  const lines = splitLines(text);
  const drop = new Set(findBlocks(lines).flatMap(([s, e]) => Array.from({ length: e - s + 1 }, (_, k) => s + k)));
  return lines.filter((_, i) => !drop.has(i)).join("");
}

export function defaultSshConfigPath(): string {
  return join(process.env.HOME || homedir(), ".ssh", "config");
}

/** Put (or refresh) the block; returns whether the file changed. */
export function installManagedBlock(configPath: string, input: ManagedBlockInput): boolean {
  const target = existsSync(configPath) ? realpathSync(configPath) : configPath;
  const before = existsSync(target) ? readFileSync(target, "utf8") : undefined;
  const after = upsertBlock(before ?? "", renderManagedBlock(input));
  if (after === before) return false;
  if (before === undefined) mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  atomicWrite(target, after, before === undefined ? 0o600 : statSync(target).mode & 0o7777);
  return true;
}

/** Take the block out again; the file keeps everything else (it is left even if empty). */
export function uninstallManagedBlock(configPath: string): boolean {
  if (!existsSync(configPath)) return false;
  const target = realpathSync(configPath);
  const before = readFileSync(target, "utf8");
  const after = removeBlock(before);
  if (after === before) return false;
  atomicWrite(target, after, statSync(target).mode & 0o7777);
  return true;
}

export function writeVmHostsFile(path: string, entries: DnsEntry[]): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  atomicWrite(path, renderVmHosts(entries), 0o600);
}

/** Temp file in the same directory, fsync, rename: readers see the old or the new file. */
export function atomicWrite(path: string, text: string, mode: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.banger-${process.pid}-${Math.random().toString(16).slice(2, 8)}.tmp`);
  try {
    const fd = openSync(tmp, "wx", mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, mode); // the umask may have narrowed it
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new BangerError("internal", `cannot write ${path}: ${(err as Error).message}`);
  }
}
