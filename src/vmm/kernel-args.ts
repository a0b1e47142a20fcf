// Drivers add their own kernel parameters to the caller's command line (built by
// src/guest/cmdline.ts) without overriding it: a parameter whose key the caller already
// set is left alone, so e.g. the caller's `panic=-1` wins over Firecracker's `panic=1`.

/** The key of a kernel parameter: `console=ttyS0` -> `console`; `ro` and `rw` share one. */
export function paramKey(param: string): string {
  if (param === "ro" || param === "rw") return "ro|rw";
  const i = param.indexOf("=");
  return i < 0 ? param : param.slice(0, i);
}

/** Pure: `cmdline` followed by each of `driverArgs` whose key it does not contain yet. */
export function withDriverArgs(cmdline: string, driverArgs: readonly string[]): string {
  const tokens = cmdline.split(/\s+/).filter(Boolean);
  const keys = new Set(tokens.map(paramKey));
  for (const arg of driverArgs) {
    const key = paramKey(arg);
    if (keys.has(key)) continue;
    keys.add(key);
    tokens.push(arg);
  }
  return tokens.join(" ");
}
