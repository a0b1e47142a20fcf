// vmm = auto | firecracker | qemu -> one driver and a sentence saying why (shown by
// `vm create`, `vm show` and doctor). Auto prefers Firecracker, which needs working KVM;
// QEMU runs anywhere (TCG without KVM).
import { BangerError } from "../api/errors.ts";
import type { DriverTable, VmmDriver, VmmName } from "./driver.ts";

export type VmmChoice = "auto" | VmmName;

export interface Selection {
  driver: VmmDriver;
  reason: string;
}

export async function selectDriver(requested: VmmChoice, drivers: DriverTable): Promise<Selection> {
  if (requested !== "auto") {
    const driver = drivers[requested];
    const a = await driver.available();
    if (!a.ok) {
      throw new BangerError("precondition", `vmm ${requested} is not usable here: ${a.reason}`, { vmm: requested });
    }
    return { driver, reason: `vmm = ${requested}: ${a.reason}` };
  }
  const [fc, qemu] = await Promise.all([drivers.firecracker.available(), drivers.qemu.available()]);
  if (fc.ok) return { driver: drivers.firecracker, reason: `auto: firecracker (${fc.reason})` };
  if (qemu.ok) return { driver: drivers.qemu, reason: `auto: qemu, since firecracker is not usable (${fc.reason}); ${qemu.reason}` };
  throw new BangerError("precondition", `no usable VMM: firecracker: ${fc.reason}; qemu: ${qemu.reason}`, { vmm: "auto" });
}
