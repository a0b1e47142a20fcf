// Doctor checks about configuration: the file itself and the VM defaults with the
// provenance of each field (F31).
import type { Config } from "../config/config.ts";
import { formatSize } from "../config/size.ts";
import { resolveVmDefaults, type HostFacts } from "../config/vm-defaults.ts";
import { pass, type Check } from "./doctor.ts";

export function configChecks(config: Config, host: HostFacts): Check[] {
  return [
    {
      name: "config",
      run: () => pass("config", config.file.exists ? `${config.file.path} is valid` : `no ${config.file.path}; using defaults`),
    },
    {
      name: "vm defaults",
      run: () => {
        const spec = resolveVmDefaults(config.vmDefaults, host);
        return [
          pass("vm default vcpu", `${spec.vcpu.value} (${spec.vcpu.source})`),
          pass("vm default memory", `${spec.memoryMib.value} MiB (${spec.memoryMib.source})`),
          pass("vm default disk", `${formatSize(spec.diskSizeBytes.value)} (${spec.diskSizeBytes.source})`),
        ];
      },
    },
  ];
}
