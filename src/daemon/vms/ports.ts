// What the VM service needs from the rest of the daemon, as narrow interfaces. The
// composition root adapts the real modules (vmm/, host/, images, kernels) to these;
// tests can substitute any one of them.
import type { ProgressSink } from "../../api/progress.ts";
import type { ImageRow } from "../../store/schema.ts";

/** Files needed to boot an image. */
export interface BootFiles {
  vmlinux: string;
  vmlinuz?: string;
  initrd?: string;
}

export interface ImagesPort {
  /** Resolve a ref (or the default image when undefined), pulling it when missing. */
  resolveForVm(ref: string | undefined, sink: ProgressSink): Promise<ImageRow>;
  /** Kernel files for the image, pulling a missing catalog kernel. */
  bootFiles(image: ImageRow, sink: ProgressSink): Promise<BootFiles>;
}

export interface NetworkPort {
  readonly bridge: string;
  readonly subnet: string;
  readonly gateway: string;
  readonly prefix: number;
  ensureBridge(): Promise<void>;
  acquireTap(vmId: string): Promise<string>;
  releaseTap(tap: string): Promise<void>;
  addNat(vmId: string, ip: string): Promise<void>;
  removeNat(vmId: string): Promise<void>;
  /** Banger-owned taps and the vm ids NAT rules exist for (for gc). */
  audit(): Promise<{ taps: string[]; natVmIds: string[] }>;
}

export interface DnsPort {
  /** `vmId` lets the ssh-config hosts file pin host keys per VM. */
  set(name: string, ip: string, vmId?: string): void;
  remove(name: string): void;
  names(): string[];
}

/** The host's managed ssh material. */
export interface SshPort {
  /** Public key text for authorized_keys (generating the key pair on first need). */
  publicKey(): Promise<string>;
  keyPath(): string;
  knownHostsPath(): string;
}

export interface LaunchRequest {
  vmId: string;
  name: string;
  vcpu: number;
  memoryMib: number;
  boot: BootFiles;
  /** Guest part of the kernel command line (network, init shim); drivers add their own. */
  cmdline: string;
  rootDisk: string;
  workDisk: string;
  tap: string;
  mac: string;
  guestCid: number;
  vmDir: string;
  logPath: string;
  consoleLogPath: string;
}

/** A listening socket as the guest agent reports it. */
export interface GuestSocket {
  proto: "tcp" | "udp";
  address: string;
  port: number;
  pid: number | null;
  process: string | null;
  cmdline: string | null;
}

export interface AgentApi {
  healthz(timeoutMs: number): Promise<Record<string, unknown>>;
  ports(): Promise<GuestSocket[]>;
  sysinfo(): Promise<Record<string, unknown>>;
}

/** One VMM driver as the VM service uses it; `handle` is the driver's JSON-safe handle. */
export interface VmmPort {
  readonly name: "firecracker" | "qemu";
  launch(req: LaunchRequest): Promise<unknown>;
  isAlive(handle: unknown): boolean;
  pid(handle: unknown): number;
  agent(handle: unknown): AgentApi;
  /** Graceful stop (agent, then the VMM's own request), forced kill after `timeoutMs`. */
  stop(handle: unknown, timeoutMs: number): Promise<{ forced: boolean }>;
  kill(handle: unknown, signal: string): void;
  /** CPU seconds and RSS of the VMM process. */
  processStats(handle: unknown): { cpuSeconds: number; rssBytes: number } | null;
  /** Whether the driver can run here, and why not. */
  available(): Promise<{ ok: boolean; reason: string }>;
}
