// `banger vm ...`: the noun table.
import { defineCommand } from "citty";
import { create, del, kill, restart, set, start, stop } from "./vm-lifecycle.ts";
import { gc, health, list, logs, ports, show, stats } from "./vm-info.ts";
import { ssh } from "./vm-ssh.ts";

export default defineCommand({
  meta: { name: "vm", description: "Create, run and manage microVMs" },
  subCommands: { create, start, stop, restart, kill, delete: del, set, list, show, logs, stats, health, ports, ssh, gc },
});

/** `banger ps` = `banger vm list`. */
export const ps = defineCommand({ ...list, meta: { name: "ps", description: "List running VMs (= banger vm list)" } });
