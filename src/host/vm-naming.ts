// How `<name>.vm` reaches a VM (F66), put together: the DNS server answering from the
// records, systemd-resolved routing where it runs, and the managed ssh-config block whose
// per-VM hosts file follows the records. `records` is the VM service's DnsPort.
//
// Call order: start() once at daemon start (after HostNetwork.start(), so the bridge
// exists for resolved), records.replaceAll() from reconcile, set/remove as VMs boot and
// stop, stop() at daemon shutdown. The ssh block and hosts file are left in place on stop:
// running VMs survive the daemon, and `ssh root@<name>.vm` keeps working for them.
import type { Logger } from "../log.ts";
import { DnsRecords, DnsServer } from "./dns-server.ts";
import { revertVmZone, routeVmZone, type ResolvedFacts } from "./resolved.ts";
import { installManagedBlock, writeVmHostsFile } from "./ssh-config.ts";

export interface VmNamingOptions {
  /** dns_listen, "127.0.0.1:42069". */
  listen: string;
  bridge: string;
  log: Logger;
  /** ~/.ssh/config; null leaves the user's ssh config alone. */
  sshConfigPath: string | null;
  keyPath: string;
  /** banger's per-VM ssh hosts file (Paths.sshVmHostsFile). */
  hostsFile: string;
  /** banger's known_hosts for VMs (Paths.sshVmKnownHosts). */
  knownHostsFile: string;
  resolvedFacts?: ResolvedFacts;
}

export class VmNaming {
  readonly records = new DnsRecords();
  private server: DnsServer | undefined;
  private routed = false;

  constructor(private readonly opts: VmNamingOptions) {
    // Every record change rewrites the hosts file; it is tiny and the write is atomic.
    this.records.onChange(() => this.writeHosts());
  }

  async start(): Promise<void> {
    this.server = await DnsServer.start({ listen: this.opts.listen, records: this.records, log: this.opts.log });
    this.writeHosts();
    if (this.opts.sshConfigPath) {
      const changed = installManagedBlock(this.opts.sshConfigPath, {
        keyPath: this.opts.keyPath, hostsFile: this.opts.hostsFile, knownHostsFile: this.opts.knownHostsFile,
      });
      if (changed) this.opts.log.info("managed ssh-config block written", { path: this.opts.sshConfigPath });
    }
    await this.routeResolved();
  }

  /** The address the server really listens on (port 0 in tests becomes a real port). */
  get listen(): string | null {
    return this.server?.listen ?? null;
  }

  /** (Re)apply resolved routing for the bridge; never throws (logged instead). */
  async routeResolved(): Promise<void> {
    if (!this.server) return;
    try {
      this.routed = await routeVmZone({ bridge: this.opts.bridge, dnsListen: this.server.listen, log: this.opts.log, facts: this.opts.resolvedFacts });
    } catch (err) {
      this.opts.log.warn("systemd-resolved routing failed; .vm names resolve only through ssh-config and direct queries", { error: String(err) });
    }
  }

  async stop(): Promise<void> {
    if (this.routed && this.server) {
      await revertVmZone({ bridge: this.opts.bridge, dnsListen: this.server.listen, log: this.opts.log, facts: this.opts.resolvedFacts })
        .catch((err) => this.opts.log.warn("could not revert systemd-resolved settings", { error: String(err) }));
      this.routed = false;
    }
    await this.server?.close();
    this.server = undefined;
  }

  private writeHosts(): void {
    try {
      writeVmHostsFile(this.opts.hostsFile, this.records.entries());
    } catch (err) {
      this.opts.log.warn("could not write the ssh hosts file", { path: this.opts.hostsFile, error: String(err) });
    }
  }
}
