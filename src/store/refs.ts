// Resolving what a user typed (a name, a full id, or a unique id prefix) to one row.
// Pure over a snapshot of rows, so a command naming several targets resolves them all
// against the same state (F61).
import { BangerError } from "../api/errors.ts";

export type RefResult<T> =
  | { kind: "found"; ref: string; item: T }
  | { kind: "missing"; ref: string }
  | { kind: "ambiguous"; ref: string; matches: T[] };

interface Named {
  id: string;
  name: string;
}

/**
 * Exact id wins, then exact name, then id prefix. A name is checked before prefixes so a
 * VM called "abc" is reachable even when some id starts with "abc".
 */
export function resolveRef<T extends Named>(rows: readonly T[], ref: string): RefResult<T> {
  if (ref === "") return { kind: "missing", ref };
  const byId = rows.find((r) => r.id === ref);
  if (byId) return { kind: "found", ref, item: byId };
  const byName = rows.find((r) => r.name === ref);
  if (byName) return { kind: "found", ref, item: byName };
  const matches = rows.filter((r) => r.id.startsWith(ref));
  if (matches.length === 1) return { kind: "found", ref, item: matches[0]! };
  if (matches.length > 1) return { kind: "ambiguous", ref, matches };
  return { kind: "missing", ref };
}

/** The row, or a not_found / ambiguous BangerError; `noun` is "VM", "image", ... */
export function expectFound<T extends Named>(result: RefResult<T>, noun: string): T {
  if (result.kind === "found") return result.item;
  throw refError(result, noun);
}

export function refError<T extends Named>(result: Exclude<RefResult<T>, { kind: "found" }>, noun: string): BangerError {
  if (result.kind === "missing") {
    return new BangerError("not_found", `no ${noun} named or with id "${result.ref}"`, { ref: result.ref });
  }
  const shown = result.matches.slice(0, 5).map((m) => `${m.name} (${m.id.slice(0, 12)})`);
  const more = result.matches.length > 5 ? ", ..." : "";
  return new BangerError(
    "ambiguous",
    `"${result.ref}" matches ${result.matches.length} ${noun}s: ${shown.join(", ")}${more}; type more of the id`,
    { ref: result.ref, matches: result.matches.map((m) => m.id) },
  );
}
