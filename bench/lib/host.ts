// Host helpers for the benches: short commands, unique names, a free /24 and a free
// loopback port, and a bridge + tap pair for the raw QEMU baseline. Bridge and tap
// names start with "bgb" so neither banger's audit (bgt/bgp taps) nor the test
// fixtures (bgbr/bgtap) mistake them for their own.
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { createBridge, type BridgeFixture } from "../../tests/fixtures/bridge.ts";

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function sh(argv: string[], opts: { allowFailure?: boolean; timeoutMs?: number } = {}): CmdResult {
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", timeout: opts.timeoutMs ?? 600_000 });
  const res = { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  if (res.code !== 0 && !opts.allowFailure) {
    throw new Error(`\`${argv.join(" ")}\` exited ${res.code}: ${res.stderr.trim().slice(-2000)}`);
  }
  return res;
}

export function hexId(bytes = 3): string {
  return randomBytes(bytes).toString("hex");
}

/** A /24 under 10.219.0.0/16 that no host address or route uses yet, as "10.219.x". */
export function freeSubnet(taken: readonly string[] = []): string {
  const used = sh(["ip", "-4", "route", "show", "table", "all"]).stdout + sh(["ip", "-4", "addr"]).stdout;
  for (let i = 0; i < 100; i++) {
    const subnet = `10.219.${Math.floor(Math.random() * 250) + 2}`;
    if (!used.includes(`${subnet}.`) && !taken.includes(subnet)) return subnet;
  }
  throw new Error("no free 10.219.x.0/24 subnet");
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export type RawNet = BridgeFixture;

/** bridge `bgbbr<id>` with `<subnet>.1/24`, tap `bgbtp<id>` on it; cleanup never throws. */
export function createRawNet(subnet: string): RawNet {
  return createBridge({ subnet, names: "bgb" });
}

/** Deletes every link enslaved to `bridge`, then the bridge (a banger instance's taps). */
export function deleteBridgeAndPorts(bridge: string): string[] {
  const removed: string[] = [];
  const out = sh(["ip", "-o", "link", "show", "master", bridge], { allowFailure: true });
  for (const line of out.code === 0 ? out.stdout.split("\n") : []) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name && sh(["ip", "link", "del", name], { allowFailure: true }).code === 0) removed.push(name);
  }
  if (sh(["ip", "link", "del", bridge], { allowFailure: true }).code === 0) removed.push(bridge);
  return removed;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
