// vm ssh: the system ssh client with the managed key, publickey only (F67).
import { defineCommand } from "citty";
import { BangerError } from "../api/errors.ts";
import { call } from "./context.ts";

export interface SshTarget {
  /** Host keys are pinned per VM under this alias (as in the managed ssh-config block). */
  alias: string;
  user: string;
  host: string;
  key_path: string;
  known_hosts: string;
}

/** Pure: the ssh argv for a target and an optional remote command. */
export function sshArgv(t: SshTarget, command: string[], tty: boolean): string[] {
  return [
    "ssh",
    "-i", t.key_path,
    "-o", "IdentitiesOnly=yes",
    "-o", "PreferredAuthentications=publickey",
    "-o", "PasswordAuthentication=no",
    "-o", "KbdInteractiveAuthentication=no",
    "-o", "BatchMode=yes",
    // Every VM gets fresh host keys; pin them per VM in banger's own known_hosts.
    "-o", "StrictHostKeyChecking=accept-new",
    "-o", `UserKnownHostsFile=${t.known_hosts}`,
    "-o", `HostKeyAlias=${t.alias}`,
    "-o", "LogLevel=ERROR",
    ...(tty ? ["-t"] : []),
    `${t.user}@${t.host}`,
    ...(command.length > 0 ? ["--", ...command] : []),
  ];
}

export const ssh = defineCommand({
  meta: { name: "ssh", description: "SSH into a VM (banger vm ssh NAME [-- command ...])" },
  args: { vm: { type: "positional", required: true, description: "Name, id or unique id prefix" } },
  async run({ args, rawArgs }) {
    const dash = rawArgs.indexOf("--");
    const command = dash >= 0 ? rawArgs.slice(dash + 1) : [];
    const info = await call("vm.ssh_info", { ref: args.vm });
    if (info.vm.state !== "running") throw new BangerError("conflict", `${info.vm.name} is ${info.vm.state}; start it with: banger vm start ${info.vm.name}`);
    const tty = command.length === 0 && Boolean(process.stdin.isTTY);
    const proc = Bun.spawn(sshArgv({ ...info, alias: `banger-${info.vm.id}` }, command, tty), { stdin: "inherit", stdout: "inherit", stderr: "inherit" });
    const code = await proc.exited;
    if (command.length === 0) {
      const now = await call("vm.show", { ref: info.vm.id }).catch(() => null);
      if (now?.state === "running") process.stderr.write(`${now.name} is still running (banger vm stop ${now.name} to stop it)\n`);
    }
    if (code !== 0) process.exit(code);
  },
});
