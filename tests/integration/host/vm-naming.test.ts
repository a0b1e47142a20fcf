// VmNaming as the daemon uses it: DNS server + ssh-config block + hosts file, with this
// host's real systemd-resolved detection (absent here: routing must be a logged no-op).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostResolvedFacts, probeResolved } from "../../../src/host/resolved.ts";
import { BLOCK_START } from "../../../src/host/ssh-config.ts";
import { DnsRecords, DnsServer } from "../../../src/host/dns-server.ts";
import { VmNaming } from "../../../src/host/vm-naming.ts";
import { silentLogger, type LogFields } from "../../../src/log.ts";

const root = mkdtempSync(join(tmpdir(), "banger-naming-"));
const logged: [string, LogFields | undefined][] = [];
const log = { ...silentLogger, info: (m: string, f?: LogFields) => void logged.push([m, f]), warn: (m: string, f?: LogFields) => void logged.push([m, f]) };
const opts = {
  listen: "127.0.0.1:0",
  bridge: "br-banger",
  log,
  sshConfigPath: join(root, ".ssh", "config"),
  keyPath: join(root, "state", "ssh", "id_ed25519"),
  hostsFile: join(root, "state", "ssh", "vm_hosts"),
  knownHostsFile: join(root, "state", "ssh", "known_hosts_vm"),
};
const naming = new VmNaming(opts);

beforeAll(() => naming.start());
afterAll(async () => {
  await naming.stop();
  rmSync(root, { recursive: true, force: true });
});

async function digA(name: string): Promise<string> {
  const p = Bun.spawn(["dig", "@127.0.0.1", "-p", naming.listen!.split(":")[1]!, name, "A", "+short", "+time=2", "+tries=1"], { stdout: "pipe" });
  const out = (await new Response(p.stdout).text()).trim();
  await p.exited;
  return out;
}

function sshHostName(host: string): string {
  const out = Bun.spawnSync(["ssh", "-G", "-F", opts.sshConfigPath, host], { stdout: "pipe" }).stdout.toString();
  return /^hostname (.*)$/m.exec(out)?.[1] ?? "";
}

test("start: DNS listening, ssh block installed, hosts file written", () => {
  expect(naming.listen).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(readFileSync(opts.sshConfigPath, "utf8").startsWith(BLOCK_START)).toBe(true);
  expect(existsSync(opts.hostsFile)).toBe(true);
});

test("systemd-resolved routing follows this host's real state", () => {
  const probe = probeResolved(hostResolvedFacts());
  if (!probe.active) {
    expect(logged).toContainEqual(["skipping systemd-resolved routing", { reason: probe.reason, bridge: "br-banger" }]);
  } else {
    expect(logged.map((l) => l[0])).toContain("routed .vm to banger's DNS via systemd-resolved");
  }
});

test("a record set by the VM service answers in DNS and in ssh at once; removal undoes both", async () => {
  naming.records.set("web", "172.30.0.5", "0123abcd");
  expect(await digA("web.vm")).toBe("172.30.0.5");
  expect(sshHostName("web.vm")).toBe("172.30.0.5");
  naming.records.remove("web");
  expect(await digA("web.vm")).toBe("");
  expect(sshHostName("web.vm")).toBe("web.vm");
});

test("replaceAll (reconcile at startup) swaps the whole set", async () => {
  naming.records.set("old", "172.30.0.9");
  naming.records.replaceAll([{ name: "a", ip: "172.30.0.2" }, { name: "b", ip: "172.30.0.3" }]);
  expect(await digA("old.vm")).toBe("");
  expect(await digA("b.vm")).toBe("172.30.0.3");
  expect(sshHostName("a.vm")).toBe("172.30.0.2");
});

test("stop closes the server (port free again) and leaves the ssh block for running VMs", async () => {
  const listen = naming.listen!;
  await naming.stop();
  expect(naming.listen).toBeNull();
  const again = await DnsServer.start({ listen, records: new DnsRecords(), log: silentLogger });
  await again.close();
  expect(readFileSync(opts.sshConfigPath, "utf8").startsWith(BLOCK_START)).toBe(true);
});
