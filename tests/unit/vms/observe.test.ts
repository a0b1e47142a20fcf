import { expect, test } from "bun:test";
import { generateName } from "../../../src/daemon/vms/names.ts";
import { sysinfoFields } from "../../../src/daemon/vms/observe.ts";
import { dedupeSockets, describePorts } from "../../../src/daemon/vms/ports-probe.ts";
import type { GuestSocket } from "../../../src/daemon/vms/ports.ts";

const sock = (proto: "tcp" | "udp", address: string, port: number, process = "p"): GuestSocket => ({
  proto, address, port, pid: 7, process, cmdline: `${process} -x`,
});

test("ports: 0.0.0.0 and :: on one port are one row; loopback-only sockets hidden; sorted", () => {
  const rows = dedupeSockets([
    sock("tcp", "::", 22, "sshd"), sock("tcp", "0.0.0.0", 22, "sshd"), sock("tcp", "127.0.0.1", 631),
    sock("udp", "0.0.0.0", 68), sock("tcp", "0.0.0.0", 8080), sock("tcp", "::1", 9000),
  ]);
  expect(rows.map((r) => `${r.proto}/${r.port}`)).toEqual(["tcp/22", "tcp/8080", "udp/68"]);
});

test("ports: TCP endpoints probed https first, then http; UDP never probed", async () => {
  const probed: string[] = [];
  const probe = async (url: string) => (probed.push(url), url === "http://10.0.0.2:8080/" || url === "https://10.0.0.2:8443/");
  const rows = await describePorts([sock("tcp", "0.0.0.0", 8080), sock("tcp", "::", 8443), sock("tcp", "0.0.0.0", 22), sock("udp", "0.0.0.0", 53)], "dev", "10.0.0.2", probe);
  expect(rows.map((r) => r.url)).toEqual([null, "http://dev.vm:8080", "https://dev.vm:8443", null]);
  expect(probed).not.toContain("https://10.0.0.2:53/");
  expect(probed.indexOf("https://10.0.0.2:8080/")).toBeLessThan(probed.indexOf("http://10.0.0.2:8080/"));
  expect(rows[0]).toMatchObject({ endpoint: "dev.vm:22", pid: 7, process: "p", command: "p -x" });
});

test("stats: the agent's sysinfo maps onto memory, load and disks", () => {
  const f = sysinfoFields({
    memory: { total_bytes: 1000, available_bytes: 300 },
    load: { "1m": 0.5 },
    disks: [{ path: "/", total_bytes: 10, used_bytes: 4 }, { path: "/root", total_bytes: 20, used_bytes: 2 }],
  });
  expect(f).toEqual({
    guest_mem_total_bytes: 1000, guest_mem_used_bytes: 700, disk_root_used_bytes: 4, disk_root_total_bytes: 10,
    disk_work_used_bytes: 2, disk_work_total_bytes: 20, load1: 0.5,
  });
  expect(sysinfoFields({}).guest_mem_used_bytes).toBeNull();
});

test("generated names are DNS labels and avoid taken ones", () => {
  let i = 0;
  const seq = [0, 0, 0, 0, 0.99, 0.99];
  const name = generateName((n) => n === "brisk-otter", () => seq[i++ % seq.length]!);
  expect(name).not.toBe("brisk-otter");
  expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
});
