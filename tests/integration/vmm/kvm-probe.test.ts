// The KVM probe through the compiled executable: the daemon is `banger`, so the probe's
// child is `BUN_BE_BUN=1 banger -e <script>`. It must reach the same verdict as under bun.
import { expect, test } from "bun:test";
import { probeKvm } from "../../../src/vmm/kvm-probe.ts";
import { requireBinary } from "../../helpers/instance.ts";

test("the compiled banger runs the probe child and agrees with bun", async () => {
  const viaBanger = await probeKvm(requireBinary());
  const viaBun = await probeKvm(process.execPath);
  expect(viaBanger.usable).toBe(viaBun.usable);
  expect(viaBanger.reason).not.toContain("failed to report");
  expect(viaBanger.reason.split(" ").slice(0, 4)).toEqual(viaBun.reason.split(" ").slice(0, 4));
  console.log(`KVM via banger: ${JSON.stringify(viaBanger)}`);
}, 20_000);
