// Shared bits of the host-network integration tests: unique names, a free /24, and a
// synchronous runner for setup/cleanup commands (never used while an in-process server
// must answer: spawnSync blocks the event loop).

export function hex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function run(argv: string[], allowFailure = false): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0 && !allowFailure) throw new Error(`${argv.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** A 10.213.x.0/24 no interface on this host uses yet. */
export function freeSubnet(): string {
  const used = run(["ip", "-4", "-o", "addr", "show"]) + run(["ip", "-4", "route", "show"]);
  for (let tries = 0; tries < 64; tries++) {
    const x = Math.floor(Math.random() * 250) + 2;
    if (!used.includes(`10.213.${x}.`)) return `10.213.${x}.0/24`;
  }
  throw new Error("no free 10.213.x.0/24");
}

export function linkExists(name: string): boolean {
  return Bun.spawnSync(["ip", "link", "show", "dev", name], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}

/** Names of the interfaces enslaved to `bridge`, from `ip -j link show master`. */
export function bridgeMembers(bridge: string): string[] {
  return (JSON.parse(run(["ip", "-j", "link", "show", "master", bridge]) || "[]") as { ifname: string }[]).map((l) => l.ifname).sort();
}
