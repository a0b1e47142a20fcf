// `banger-agent netup` inside a network namespace: address, default route, link state,
// resolv.conf, hostname and hosts from a fake kernel command line. Needs root + iproute2.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testAgent } from "../../fixtures/agent.ts";
import { createNetns, run, type NetnsFixture } from "../../fixtures/netns.ts";
import { requireRoot } from "../../helpers/require.ts";

let fx: NetnsFixture;
let agent: string;
let dir: string;

/** Runs netup in the namespace and a private UTS namespace; returns the hostname after. */
function netup(cmdline: string, root: string): { code: number; hostname: string; stderr: string } {
  const file = join(dir, "cmdline");
  writeFileSync(file, cmdline);
  const script = '"$0" netup --cmdline "$1" --root "$2"; rc=$?; hostname; exit $rc';
  const r = run(["ip", "netns", "exec", fx.ns, "unshare", "--uts", "sh", "-c", script, agent, file, root], {
    allowFailure: true,
  });
  return { code: r.code, hostname: r.stdout.trim(), stderr: r.stderr };
}

// Needs root for `ip netns`; CI runs as root.
describe("netup in a netns", () => {
  beforeAll(async () => {
    requireRoot("netup in a netns");
    agent = await testAgent();
    fx = createNetns();
    dir = mkdtempSync(join(tmpdir(), "banger-netup-"));
  }, 60_000);

  afterAll(() => {
    fx?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("configures address, route, link, resolv.conf and hostname", () => {
    const root = join(dir, "root1");
    const cmdline = `console=ttyS0 root=/dev/vda rw banger.ip=${fx.subnet}.2/24 banger.gw=${fx.subnet}.1 banger.dns=${fx.subnet}.1,192.0.2.53 banger.hostname=netup-test quiet\n`;
    const r = netup(cmdline, root);
    expect(r.stderr).toContain(`${fx.nsIf} ${fx.subnet}.2/24`);
    expect(r.code).toBe(0);
    expect(r.hostname).toBe("netup-test");

    const addr = run(["ip", "-n", fx.ns, "-4", "-o", "addr", "show", "dev", fx.nsIf]).stdout;
    expect(addr).toContain(`inet ${fx.subnet}.2/24`);
    const link = run(["ip", "-n", fx.ns, "-o", "link", "show", "dev", fx.nsIf]).stdout;
    expect(link).toMatch(/[<,]UP[,>]/);
    const lo = run(["ip", "-n", fx.ns, "-o", "link", "show", "dev", "lo"]).stdout;
    expect(lo).toMatch(/[<,]UP[,>]/);
    const route = run(["ip", "-n", fx.ns, "-4", "route", "show", "default"]).stdout;
    expect(route).toContain(`default via ${fx.subnet}.1 dev ${fx.nsIf}`);

    const resolv = readFileSync(join(root, "etc/resolv.conf"), "utf8");
    expect(resolv.split("\n").filter((l) => l.startsWith("nameserver"))).toEqual([
      `nameserver ${fx.subnet}.1`,
      "nameserver 192.0.2.53",
    ]);
    expect(readFileSync(join(root, "etc/hostname"), "utf8")).toBe("netup-test\n");
    expect(readFileSync(join(root, "etc/hosts"), "utf8")).toContain("127.0.1.1\tnetup-test");
  });

  test("the configured interface really reaches the gateway", () => {
    const ping = run(["ip", "netns", "exec", fx.ns, "busybox", "ping", "-c", "1", "-W", "3", `${fx.subnet}.1`], {
      allowFailure: true,
    });
    expect(ping.code).toBe(0);
  });

  test("running it again is idempotent", () => {
    const root = join(dir, "root1");
    const cmdline = `banger.ip=${fx.subnet}.2/24 banger.gw=${fx.subnet}.1 banger.dns=${fx.subnet}.1 banger.hostname=netup-test`;
    const r = netup(cmdline, root);
    expect(r.code).toBe(0);
    const hosts = readFileSync(join(root, "etc/hosts"), "utf8");
    expect(hosts.match(/netup-test/g)?.length).toBe(1);
  });

  test("a bad address fails with a message and a non-zero exit", () => {
    const r = netup("banger.ip=999.1.1.1/24 banger.gw=10.0.0.1", join(dir, "root2"));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("bad address");
  });

  test("without banger.* parameters only the loopback comes up", () => {
    const r = netup("console=ttyS0 quiet", join(dir, "root3"));
    expect(r.code).toBe(0);
  });
});
