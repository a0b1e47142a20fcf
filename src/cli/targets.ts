// Shared rendering of multi-ref results (F61): one line per target in first-seen order,
// errors gathered, exit code non-zero when any target failed.
import { BangerError } from "../api/errors.ts";
import type { MultiResult } from "../api/vms.ts";
import { printJson } from "./output.ts";

export function reportTargets(verb: string, r: MultiResult, json: boolean): void {
  if (json) printJson(r);
  else {
    for (const t of r.results) {
      if (t.ok) process.stdout.write(`${t.vm?.name ?? t.ref}: ${verb}\n`);
      else process.stderr.write(`${t.ref}: ${t.error}\n`);
    }
  }
  const failed = r.results.filter((t) => !t.ok);
  if (failed.length > 0) {
    throw new BangerError("conflict", `${failed.length} of ${r.results.length} target(s) failed`);
  }
}

/** citty puts positionals in `_`; the first ones belong to the verb's path. */
export function refsFrom(args: { _: string[] }): string[] {
  const refs = args._.filter((a) => a.length > 0);
  if (refs.length === 0) throw new BangerError("usage", "name at least one VM (name, id or unique id prefix)");
  return refs;
}
