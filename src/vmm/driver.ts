// The VMM driver contract (F64). A driver is a few small capabilities plus declared
// features (Lima pkg/driver): callers read `info.features` instead of branching on the
// driver's name. Both drivers (firecracker/, qemu/) implement every method.
import type { Logger } from "../log.ts";
import type { ByteStream } from "./byte-stream.ts";

export type VmmName = "firecracker" | "qemu";

export interface DriverFeatures {
  /** How the host reaches the guest agent: Firecracker's UDS + `CONNECT <port>` or a virtio-serial port. */
  agentTransport: "hybrid-vsock" | "virtio-serial";
  /** The VMM's own shutdown request, used when the agent cannot be asked. */
  gracefulStop: "ctrl-alt-del" | "acpi-powerdown";
  /** Only an uncompressed ELF vmlinux boots (Firecracker <= 1.16 on x86_64). */
  needsElfKernel: boolean;
  /**
   * How the guest must end itself for the VMM process to exit: Firecracker on x86 stays
   * alive after a guest poweroff but exits on reboot, so its guests power off by rebooting.
   */
  guestPoweroff: "poweroff" | "reboot";
  /** Whether several agent connections may be open at once (virtio-serial is one stream). */
  concurrentAgentConnections: boolean;
}

export interface DriverInfo {
  readonly name: VmmName;
  /** Command name or path of the VMM executable, as configured. */
  readonly binary: string;
  readonly features: DriverFeatures;
}

/** Result of `available()`: whether this driver can boot guests here, and why (not). */
export interface Availability {
  ok: boolean;
  reason: string;
  /** Resolved executable path, when found. */
  binaryPath?: string;
  /** Whether KVM can really run a guest (see kvm-probe.ts). */
  kvm: boolean;
}

/** Unix socket paths for one VM; all come from Paths.vmSocket (108-byte check). */
export interface VmSockets {
  api: string;
  qmp: string;
  agent: string;
  vsock: string;
}

export interface LaunchSpec {
  vmId: string;
  vcpu: number;
  memoryMib: number;
  /** vmlinux (ELF) is required; vmlinuz (bzImage) is preferred by QEMU when present. */
  kernel: { vmlinux: string; vmlinuz?: string; initrd?: string };
  /** Guest kernel command line from src/guest/cmdline.ts; drivers only add their own keys. */
  cmdline: string;
  rootDisk: string;
  workDisk: string;
  tap: string;
  /** Guest MAC, e.g. 02:fc:12:34:56:78 (derived from the VM id by the store). */
  mac: string;
  /** vsock context id (>= 3); unique per host. */
  guestCid: number;
  sockets: VmSockets;
  /** The VMM's own log (Firecracker logger, QEMU stderr). */
  logPath: string;
  /** The guest serial console. */
  consoleLogPath: string;
}

/**
 * What a running VMM is, as plain JSON (stored in handles.json and re-adopted by a
 * restarted daemon). `argv0` and `marker` identify the process: a pid only counts as
 * this VMM while /proc/<pid>/cmdline starts with argv0 and contains the marker pair.
 */
export interface VmmHandle {
  driver: VmmName;
  vmId: string;
  pid: number;
  argv0: string;
  marker: [string, string];
  sockets: Partial<VmSockets>;
  logPath: string;
  consoleLogPath: string;
  startedAt: string;
}

export interface StopOptions {
  /** Grace window for the guest to shut down before the VMM is killed. */
  timeoutMs: number;
  log?: Logger;
}

/** Which step ended the VMM. */
export type StopStage =
  | "already-stopped"
  | "agent-shutdown"
  | "ctrl-alt-del"
  | "acpi-powerdown"
  | "qmp-quit"
  | "sigkill";

export interface StopResult {
  stage: StopStage;
  /** True when the guest did not shut down by itself within the grace window. */
  forced: boolean;
  /** The guest halted but the VMM stayed up (Firecracker x86 poweroff) and was killed. */
  haltedThenKilled: boolean;
  durationMs: number;
}

export interface ProcessStats {
  /** user + system CPU time of the VMM process. */
  cpuSeconds: number;
  rssBytes: number;
}

/** Start and end a VMM process. */
export interface Lifecycle {
  /**
   * Whether this driver can boot guests on this host (binary found, KVM where needed).
   * Cheap after the first call (the KVM probe is cached per process); safe to call any
   * time and concurrently. Used by `vmm = auto` and `doctor`.
   */
  available(): Promise<Availability>;
  /**
   * Spawn the VMM for one boot and return once the guest is started (not once it is
   * ready: wait for the agent with connectAgent). The disks, tap and sockets' directory
   * must exist; stale sockets at the spec's paths are removed. On failure nothing is
   * left running and the error names the log file. Not idempotent: call once per boot;
   * the caller serializes calls per VM (per-VM lock), different VMs may launch at once.
   */
  launch(spec: LaunchSpec): Promise<VmmHandle>;
  /**
   * Staged stop (never hangs): agent POST /shutdown, then the VMM's own request
   * (features.gracefulStop), wait up to `timeoutMs`, then SIGKILL; each fallback is
   * logged. Removes the VM's sockets. Idempotent: a VMM already gone answers
   * "already-stopped". The caller serializes stop/kill/launch per VM.
   */
  stop(handle: VmmHandle, opts: StopOptions): Promise<StopResult>;
  /** Send a signal (default SIGKILL) if the handle's process is still this VMM; idempotent. */
  kill(handle: VmmHandle, signal?: NodeJS.Signals): void;
}

/** Observe a VMM process; all of these are synchronous /proc reads and safe at any time. */
export interface Inspect {
  /** THE liveness check: the pid exists, is not a zombie, and its cmdline is this VMM. */
  isAlive(handle: VmmHandle): boolean;
  /**
   * Re-adopt a VMM after a daemon restart: validate a handle read from handles.json and
   * return it when its process is still this VMM, else null (the caller demotes the VM).
   */
  attach(raw: unknown): VmmHandle | null;
  /** CPU and RSS of the VMM process, null when it is gone. */
  stats(handle: VmmHandle): ProcessStats | null;
}

/** The byte stream to the guest agent (HTTP/1.1 is spoken over it by guest/agent-client.ts). */
export interface AgentChannel {
  /**
   * Open one connection to the guest agent, retrying until `timeoutMs` while the guest
   * boots. May be called concurrently; drivers whose transport is a single stream
   * (virtio-serial) queue callers until the previous stream is closed, so callers must
   * always close() what they get.
   */
  connectAgent(handle: VmmHandle, timeoutMs: number): Promise<ByteStream>;
}

export interface VmmDriver extends Lifecycle, Inspect, AgentChannel {
  readonly info: DriverInfo;
}

/** The explicit driver table handed to the daemon (no registration by import). */
export type DriverTable = Readonly<Record<VmmName, VmmDriver>>;

