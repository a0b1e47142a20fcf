// Ordering of kernel release strings ("6.1.0-9-cloud-amd64" < "6.1.0-10-cloud-amd64",
// "6.9.1" < "6.10.0"): numeric runs compare as numbers, everything else as text.

function tokens(version: string): (number | string)[] {
  return (version.match(/\d+|[A-Za-z]+/g) ?? []).map((t) => (/^\d/.test(t) ? Number(t) : t));
}

/** Negative when a < b, positive when a > b, 0 when equal. */
export function compareKernelVersions(a: string, b: string): number {
  const ta = tokens(a);
  const tb = tokens(b);
  for (let i = 0; i < Math.max(ta.length, tb.length); i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    // A number beats a word at the same position: "6.1.0-10" > "6.1.0-rc".
    if (typeof x !== typeof y) return typeof x === "number" ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export function newestVersion(versions: Iterable<string>): string | null {
  let best: string | null = null;
  for (const v of versions) if (best === null || compareKernelVersions(v, best) > 0) best = v;
  return best;
}
