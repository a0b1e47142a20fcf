import { expect, test } from "bun:test";
import type { Availability, DriverTable, VmmDriver } from "../../../src/vmm/driver.ts";
import { createDrivers } from "../../../src/vmm/registry.ts";
import { selectDriver } from "../../../src/vmm/select.ts";

function table(fc: Availability, qemu: Availability): DriverTable {
  const stub = (name: "firecracker" | "qemu", a: Availability) => ({ info: { name }, available: async () => a }) as unknown as VmmDriver;
  return { firecracker: stub("firecracker", fc), qemu: stub("qemu", qemu) };
}

const FC_OK: Availability = { ok: true, reason: "/usr/bin/firecracker found and KVM runs guest code", kvm: true };
const FC_NO: Availability = { ok: false, reason: "firecracker not found", kvm: false };
const QEMU_OK: Availability = { ok: true, reason: "/usr/bin/qemu-system-x86_64 found; TCG software emulation (KVM is slow)", kvm: false };
const QEMU_NO: Availability = { ok: false, reason: "qemu-system-x86_64 not found", kvm: false };

test("auto prefers firecracker", async () => {
  const s = await selectDriver("auto", table(FC_OK, QEMU_OK));
  expect(s.driver.info.name).toBe("firecracker");
  expect(s.reason).toBe(`auto: firecracker (${FC_OK.reason})`);
});

test("auto falls back to qemu and says why", async () => {
  const s = await selectDriver("auto", table(FC_NO, QEMU_OK));
  expect(s.driver.info.name).toBe("qemu");
  expect(s.reason).toBe(`auto: qemu, since firecracker is not usable (firecracker not found); ${QEMU_OK.reason}`);
});

test("auto with nothing usable names both reasons", async () => {
  await expect(selectDriver("auto", table(FC_NO, QEMU_NO))).rejects.toThrow("no usable VMM: firecracker: firecracker not found; qemu: qemu-system-x86_64 not found");
});

test("an explicit choice is honoured or refused, never swapped", async () => {
  expect((await selectDriver("qemu", table(FC_OK, QEMU_OK))).driver.info.name).toBe("qemu");
  await expect(selectDriver("firecracker", table(FC_NO, QEMU_OK))).rejects.toThrow("vmm firecracker is not usable here: firecracker not found");
});

test("the real table on this host: explicit names, the shared KVM verdict", async () => {
  const kvm = async () => ({ usable: false, reason: "test: KVM off" });
  const drivers = createDrivers({ firecrackerBin: "firecracker-not-installed-here", qemuBin: "qemu-system-x86_64" }, { kvm });
  expect(drivers.firecracker.info.name).toBe("firecracker");
  expect(drivers.qemu.info.features.agentTransport).toBe("virtio-serial");
  expect(drivers.firecracker.info.features.agentTransport).toBe("hybrid-vsock");
  expect(await drivers.firecracker.available()).toEqual({ ok: false, reason: "firecracker-not-installed-here not found", kvm: false });
  const q = await drivers.qemu.available();
  expect(q.ok).toBe(true);
  expect(q.reason).toContain("TCG software emulation (test: KVM off)");
  const s = await selectDriver("auto", drivers);
  expect(s.driver).toBe(drivers.qemu);
});
