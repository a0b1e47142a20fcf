// Adapters for what goes into a guest: the managed ssh key, the work disk contents
// (git identity, file_sync) and the guest kernel command line.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Config } from "../../config/config.ts";
import type { Paths } from "../../config/paths.ts";
import { ensureSshKey } from "../../config/ssh-key.ts";
import { buildWorkDisk } from "../../disk/work-disk.ts";
import { planWorkDisk, type GitIdentity } from "../../disk/work-plan.ts";
import { buildGuestCmdline } from "../../guest/cmdline.ts";
import { exec } from "../../host/exec.ts";
import type { VmServiceDeps, WorkDiskRequest } from "../vms/context.ts";
import type { SshPort } from "../vms/ports.ts";

export function sshPort(config: Config): SshPort {
  let key: Promise<string> | null = null;
  return {
    publicKey: () => {
      key ??= ensureSshKey(config.sshKey).then((k) => k.publicKey);
      return key.catch((err) => {
        key = null;
        throw err;
      });
    },
    keyPath: () => config.sshKey,
    knownHostsPath: () => join(dirname(config.sshKey), "known_hosts_vm"),
  };
}

/** The host user's global git identity (F63); missing values are simply left out. */
export async function hostGitIdentity(): Promise<GitIdentity> {
  const get = async (key: string) => {
    const r = await exec(["git", "config", "--global", "--get", key], { allowFailure: true }).catch(() => null);
    return r && r.exitCode === 0 ? r.stdout.trim() || undefined : undefined;
  };
  return { name: await get("user.name"), email: await get("user.email") };
}

export function workDiskPreparer(config: Config, paths: Paths): VmServiceDeps["prepareWorkDisk"] {
  return async (req: WorkDiskRequest, notice) => {
    const plan = planWorkDisk({ authorizedKey: req.authorizedKey, git: await hostGitIdentity(), fileSync: config.fileSync });
    for (const w of plan.warnings) notice(w);
    await buildWorkDisk(req.seed, req.target, req.sizeBytes, plan, paths.tmpDir);
  };
}

/** Nameservers for guests: the host's, minus loopback ones a guest cannot reach. */
export function hostNameservers(resolvConf = "/etc/resolv.conf"): string[] {
  try {
    return readFileSync(resolvConf, "utf8")
      .split("\n")
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((ns): ns is string => !!ns && /^\d+\.\d+\.\d+\.\d+$/.test(ns) && !ns.startsWith("127."));
  } catch {
    return [];
  }
}

/** The guest part of the kernel command line; drivers add their own (TSC fix, poweroff mode). */
export function guestCmdline(): VmServiceDeps["guestCmdline"] {
  const dns = hostNameservers();
  return (a) =>
    buildGuestCmdline({
      ip: a.ip, prefix: a.prefix, gateway: a.gateway, dns, hostname: a.hostname,
      console: "ttyS0",
      // Both drivers attach the root disk first and the work disk second.
      workDevice: "/dev/vdb",
      tcg: null,
      extra: [],
    });
}
