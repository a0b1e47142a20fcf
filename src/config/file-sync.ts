// [[file_sync]] entries (F32): host files or directories copied into the guest's work
// disk at VM start. The work disk is mounted at /root in the guest, so that is the only
// namespace an entry may target. Validation happens at config load and names the entry.
import { posix } from "node:path";
import type { RawFileSync } from "./schema.ts";

export interface FileSyncEntry {
  /** Absolute host path, `~/` already expanded. */
  host: string;
  /** Absolute guest path under /root/. */
  guest: string;
  /** Mode for copied files; undefined = 0600 for a file, each file's own mode in a directory. */
  mode?: number;
}

export const DEFAULT_FILE_MODE = 0o600;

export type FileSyncCheck = { ok: true; entry: FileSyncEntry } | { ok: false; message: string };

const MODE_RE = /^[0-7]{3,4}$/;

/** Validate and normalize entry `index`; `home` is the host user's $HOME. */
export function checkFileSyncEntry(raw: RawFileSync, index: number, home: string): FileSyncCheck {
  const where = (field: string) => `file_sync[${index}].${field}`;
  const hostProblem = pathProblem(raw.host) ?? (isHostPathForm(raw.host) ? undefined : "must be an absolute path or start with ~/");
  if (hostProblem) return fail(where("host"), hostProblem, raw.host);
  const guestProblem = pathProblem(raw.guest) ?? (guestPath(raw.guest) ? undefined : "must be under ~/ or /root/");
  if (guestProblem) return fail(where("guest"), guestProblem, raw.guest);
  if (raw.mode !== undefined && !MODE_RE.test(raw.mode)) {
    return fail(where("mode"), 'must be an octal string like "0600" or "0755"', raw.mode);
  }
  const entry: FileSyncEntry = { host: expandHome(raw.host, home), guest: guestPath(raw.guest)! };
  if (raw.mode !== undefined) entry.mode = parseInt(raw.mode, 8);
  return { ok: true, entry };
}

/** Problems shared by both sides: emptiness, `~user`, `..`. */
function pathProblem(path: string): string | undefined {
  if (path.trim() === "") return "must not be empty";
  if (/^~[^/]/.test(path)) return "uses ~user, which is not supported; use ~/ or an absolute path";
  if (path.split("/").includes("..")) return 'must not contain ".."';
  return undefined;
}

function isHostPathForm(path: string): boolean {
  return path.startsWith("/") || path === "~" || path.startsWith("~/");
}

/** `~/x` or `/root/x` -> normalized `/root/x`; undefined outside /root or for /root itself. */
function guestPath(path: string): string | undefined {
  const absolute = path.startsWith("~/") ? `/root/${path.slice(2)}` : path;
  const normalized = posix.normalize(absolute).replace(/\/+$/, "");
  return normalized.startsWith("/root/") ? normalized : undefined;
}

/** Host `~` / `~/x` against $HOME; absolute paths as they are (normalized). */
export function expandHome(path: string, home: string): string {
  if (path === "~") return posix.normalize(home);
  if (path.startsWith("~/")) return posix.join(home, path.slice(2));
  return posix.normalize(path);
}

function fail(where: string, problem: string, value: string): FileSyncCheck {
  return { ok: false, message: value.trim() === "" ? `${where} ${problem}` : `${where} ${problem} (got ${JSON.stringify(value)})` };
}
