// The fake's API model: it must reject what Firecracker v1.16.1 rejects, or the driver's
// contract tests would prove nothing. Also: every request the driver builds passes it.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeFirecrackerModel } from "../../fixtures/fake-firecracker/model.ts";
import { findRoute, loadSwagger } from "../../fixtures/fake-firecracker/swagger.ts";
import { configureRequests, INSTANCE_START, SEND_CTRL_ALT_DEL } from "../../../src/vmm/firecracker/requests.ts";
import type { LaunchSpec } from "../../../src/vmm/driver.ts";

const spec = loadSwagger();
const dir = mkdtempSync(join(tmpdir(), "banger-fcmodel-"));
for (const f of ["vmlinux", "initrd", "root.ext4", "work.ext4"]) writeFileSync(join(dir, f), "x");
const file = (f: string) => join(dir, f);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let model: FakeFirecrackerModel;
let events: string[];
beforeEach(() => {
  events = [];
  model = new FakeFirecrackerModel(spec, "banger-test", {
    bindVsock: (p) => void events.push(`bind ${p}`),
    instanceStart: () => void events.push("start"),
    ctrlAltDel: () => void events.push("cad"),
    log: () => {},
  });
});

const put = (path: string, body: unknown) => model.handle("PUT", path, typeof body === "string" ? body : JSON.stringify(body));
const faultOf = (a: { body?: unknown }) => (a.body as { fault_message: string }).fault_message;
const boot = () => put("/boot-source", { kernel_image_path: file("vmlinux") });

test("the vendored swagger is v1.16.1 and routes resolve with path params", () => {
  expect(spec.version).toBe("1.16.1");
  expect(findRoute(spec, "PUT", "/drives/rootfs")?.params).toEqual({ drive_id: "rootfs" });
  expect(findRoute(spec, "PUT", "/drives/rootfs")?.bodyDefinition).toBe("Drive");
  expect(findRoute(spec, "DELETE", "/drives/rootfs")).toBeNull();
});

describe("schema", () => {
  test("unknown fields are rejected (deny_unknown_fields), also nested", () => {
    expect(faultOf(put("/machine-config", { vcpu_count: 1, mem_size_mib: 128, cpus: 2 }))).toContain("unknown field `cpus`");
    expect(faultOf(put("/vsock", { guest_cid: 3, uds_path: "/x", vsock_idd: "a" }))).toContain("unknown field `vsock_idd`");
    const nested = { drive_id: "rootfs", path_on_host: file("root.ext4"), is_root_device: true, is_read_only: false, rate_limiter: { bandwidth: { size: 1, refill_time: 1, burst: 3 } } };
    expect(faultOf(put("/drives/rootfs", nested))).toContain("unknown field `burst`");
  });

  test("missing required fields", () => {
    expect(faultOf(put("/machine-config", { vcpu_count: 1 }))).toContain("missing field `mem_size_mib`");
    expect(faultOf(put("/actions", {}))).toContain("missing field `action_type`");
    expect(faultOf(put("/network-interfaces/eth0", { iface_id: "eth0" }))).toContain("missing field `host_dev_name`");
  });

  test("types, enums, unsigned integers and bounds", () => {
    expect(faultOf(put("/machine-config", { vcpu_count: "2", mem_size_mib: 128 }))).toContain("invalid type: string \"2\"");
    expect(faultOf(put("/machine-config", { vcpu_count: 33, mem_size_mib: 128 }))).toContain("expected at most 32");
    expect(faultOf(put("/machine-config", { vcpu_count: 0, mem_size_mib: 128 }))).toContain("expected at least 1");
    expect(faultOf(put("/machine-config", { vcpu_count: 1, mem_size_mib: -5 }))).toContain("expected an unsigned integer");
    expect(faultOf(put("/vsock", { guest_cid: 2, uds_path: "/x" }))).toContain("expected at least 3");
    expect(faultOf(put("/logger", { level: "Verbose" }))).toContain("unknown variant `Verbose`");
    expect(faultOf(put("/actions", { action_type: "Reboot" }))).toContain("unknown variant `Reboot`");
    expect(faultOf(put("/boot-source", { kernel_image_path: null }))).toContain("invalid type: null");
    expect(faultOf(put("/boot-source", "{not json"))).toContain("deserializing the json body");
    expect(faultOf(put("/boot-source", ""))).toBe("Empty PUT request.");
  });

  test("unknown paths and methods", () => {
    expect(faultOf(put("/nope", {}))).toBe("Invalid request method and/or path: PUT /nope.");
    expect(faultOf(model.handle("POST", "/actions", "{}"))).toBe("Invalid request method and/or path: POST /actions.");
  });
});

describe("rules enforced in code", () => {
  const drive = (id: string, extra: Record<string, unknown> = {}) => ({ drive_id: id, path_on_host: file("root.ext4"), is_root_device: false, is_read_only: false, ...extra });

  test("resource ids: alphanumerics and underscore; path id == body id", () => {
    expect(faultOf(put("/drives/root-fs", drive("root-fs")))).toBe("API Resource IDs can only contain alphanumeric characters and underscores.");
    expect(faultOf(put("/drives/rootfs", drive("work")))).toBe("The id from the path does not match the id from the body!");
    expect(faultOf(put("/network-interfaces/eth0", { iface_id: "eth1", host_dev_name: "tap0" }))).toBe("The id from the path does not match the id from the body!");
    expect(put("/drives/root_fs1", drive("root_fs1")).status).toBe(204);
  });

  test("files must open; virtio-blk needs path_on_host and is_read_only; one root device", () => {
    expect(faultOf(put("/boot-source", { kernel_image_path: "/nonexistent/vmlinux" }))).toContain("The kernel file cannot be opened");
    expect(faultOf(put("/drives/a", { drive_id: "a", is_root_device: false }))).toContain("path_on_host and is_read_only are required");
    expect(faultOf(put("/drives/a", drive("a", { path_on_host: "/nonexistent" })))).toContain("Cannot open the backing file");
    expect(put("/drives/a", drive("a", { is_root_device: true })).status).toBe(204);
    expect(faultOf(put("/drives/b", drive("b", { is_root_device: true })))).toBe("A root block device already exists!");
  });

  test("a bad MAC is rejected", () => {
    expect(faultOf(put("/network-interfaces/eth0", { iface_id: "eth0", host_dev_name: "tap0", guest_mac: "02:fc:zz:00:00:01" }))).toContain("Invalid MAC");
  });

  test("InstanceStart needs a kernel, works once; pre-boot PUTs are refused after it", () => {
    expect(faultOf(put("/actions", { action_type: "InstanceStart" }))).toBe("Cannot start microvm without kernel configuration.");
    expect(boot().status).toBe(204);
    expect(put("/actions", { action_type: "InstanceStart" }).status).toBe(204);
    expect(events).toEqual(["start"]);
    expect(faultOf(put("/actions", { action_type: "InstanceStart" }))).toBe("The requested operation is not supported after starting the microVM.");
    expect(faultOf(put("/machine-config", { vcpu_count: 1, mem_size_mib: 128 }))).toBe("The requested operation is not supported after starting the microVM.");
    expect(faultOf(boot())).toBe("The requested operation is not supported after starting the microVM.");
    expect(model.handle("GET", "/", "").body).toMatchObject({ state: "Running", id: "banger-test" });
  });

  test("SendCtrlAltDel only after boot; PATCH drive only after boot", () => {
    expect(faultOf(put("/actions", { action_type: "SendCtrlAltDel" }))).toBe("The requested operation is not supported before starting the microVM.");
    expect(faultOf(model.handle("PATCH", "/drives/a", JSON.stringify({ drive_id: "a" })))).toBe("The requested operation is not supported before starting the microVM.");
    boot();
    put("/actions", { action_type: "InstanceStart" });
    expect(put("/actions", { action_type: "SendCtrlAltDel" }).status).toBe(204);
    expect(events).toEqual(["start", "cad"]);
  });
});

test("every request the driver sends is valid, in order, and boots", () => {
  const launch: LaunchSpec = {
    vmId: "abc", vcpu: 2, memoryMib: 512, kernel: { vmlinux: file("vmlinux"), initrd: file("initrd") },
    cmdline: "console=ttyS0 panic=-1", rootDisk: file("root.ext4"), workDisk: file("work.ext4"), tap: "bgt0001",
    mac: "02:fc:00:00:00:01", guestCid: 7, logPath: join(dir, "vmm.log"), consoleLogPath: join(dir, "console.log"),
    sockets: { api: join(dir, "api.sock"), qmp: join(dir, "qmp.sock"), agent: join(dir, "agent.sock"), vsock: join(dir, "vsock.sock") },
  };
  for (const r of [...configureRequests(launch), INSTANCE_START, SEND_CTRL_ALT_DEL]) {
    const a = model.handle(r.method, r.path, JSON.stringify(r.body));
    expect({ path: r.path, status: a.status, fault: a.status >= 400 ? faultOf(a) : undefined }).toEqual({ path: r.path, status: 204, fault: undefined });
  }
  expect(events).toEqual([`bind ${join(dir, "vsock.sock")}`, "start", "cad"]);
});
