// Can KVM really run a guest here? Opening /dev/kvm, KVM_GET_API_VERSION and even
// KVM_CREATE_VM succeed on hosts where guests cannot usefully run: on this project's
// build host (itself a Firecracker guest, nested KVM without hardware assistance) a
// Linux guest under QEMU+KVM spends minutes in early boot. So the probe runs guest code
// for real: a child process builds a tiny long-mode VM and times a 100k-iteration loop
// (kvm-probe-child.ts). Hardware-assisted KVM finishes in well under a millisecond; the
// broken case takes ~200 ms (~2 µs per iteration, slower than TCG). The child runs out
// of process so a KVM_RUN that never returns is simply killed. Cached per process.
import { accessSync, constants, existsSync } from "node:fs";
import { KVM_PROBE_CHILD } from "./kvm-probe-child.ts";

export interface KvmStatus {
  usable: boolean;
  reason: string;
}

/** What the child printed (see kvm-probe-child.ts). */
export interface ProbeOutput {
  stage: string;
  errno?: number;
  value?: number;
  exit_reason?: number;
  iterations?: number;
  ms?: number;
  error?: string;
}

export const PROBE_ITERATIONS = 100_000;
/** Above this the loop is >500 ns per iteration: hundreds of times slower than real KVM. */
export const PROBE_MAX_MS = 50;
const CHILD_TIMEOUT_MS = 5000;

const ERRNO: Record<number, string> = { 1: "EPERM", 2: "ENOENT", 6: "ENXIO", 12: "ENOMEM", 13: "EACCES", 16: "EBUSY", 19: "ENODEV", 22: "EINVAL" };

/** Pure: the child's JSON line (or its absence) -> verdict with a reason for doctor. */
export function judgeProbe(out: ProbeOutput | null, timedOut: boolean, device = "/dev/kvm"): KvmStatus {
  if (timedOut) {
    return { usable: false, reason: `KVM probe guest did not finish within ${CHILD_TIMEOUT_MS} ms: ${device} is present but cannot run guests` };
  }
  if (!out) return { usable: false, reason: "KVM probe failed to report a result" };
  const err = out.errno === undefined ? "" : ` (${ERRNO[out.errno] ?? `errno ${out.errno}`})`;
  switch (out.stage) {
    case "done": {
      const ms = out.ms ?? Number.POSITIVE_INFINITY;
      const nsPerIter = Math.round((ms * 1e6) / (out.iterations ?? PROBE_ITERATIONS));
      if (ms <= PROBE_MAX_MS) return { usable: true, reason: `KVM runs guest code (${ms.toFixed(2)} ms probe loop)` };
      return {
        usable: false,
        reason: `KVM is present but runs guest code ~${nsPerIter} ns per loop iteration (hardware-assisted: ~1 ns); likely nested virtualization without acceleration`,
      };
    }
    case "open":
      if (out.errno === 13 || out.errno === 1) return { usable: false, reason: `no permission to open ${device}${err}: add the user to the kvm group` };
      return { usable: false, reason: `cannot open ${device}${err}` };
    case "api_version":
      return { usable: false, reason: `unexpected KVM API version ${out.value} (want 12)` };
    case "create_vm":
      return { usable: false, reason: `KVM_CREATE_VM failed${err}${out.errno === 16 ? ": another hypervisor holds the virtualization extensions" : ""}` };
    case "first_exit":
    case "loop_exit":
      return { usable: false, reason: `KVM probe guest stopped unexpectedly (KVM exit reason ${out.exit_reason})` };
    case "ffi":
      return { usable: false, reason: `KVM probe could not load libc: ${out.error}` };
    default:
      return { usable: false, reason: `KVM probe failed at ${out.stage}${err}` };
  }
}

/** Quick, in-process checks that need no child: the device node and its permissions. */
export function precheck(device = "/dev/kvm"): KvmStatus | null {
  if (!existsSync(device)) return { usable: false, reason: `${device} does not exist (KVM module not loaded or no hardware virtualization)` };
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
  } catch {
    return { usable: false, reason: `no permission to open ${device}: add the user to the kvm group` };
  }
  return null;
}

/** Run the probe now (uncached). `runtime` is bun, or the compiled banger acting as bun. */
export async function probeKvm(runtime = process.execPath): Promise<KvmStatus> {
  const pre = precheck();
  if (pre) return pre;
  const proc = Bun.spawn([runtime, "-e", KVM_PROBE_CHILD, String(PROBE_ITERATIONS)], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    cwd: "/", // acting as bun, the runtime would read a .env or bunfig.toml from its cwd
    env: { ...process.env, BUN_BE_BUN: "1" },
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, CHILD_TIMEOUT_MS);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const line = stdout.trim().split("\n").at(-1) ?? "";
  let out: ProbeOutput | null = null;
  try {
    out = line ? (JSON.parse(line) as ProbeOutput) : null;
  } catch {
    out = null;
  }
  const status = judgeProbe(out, timedOut);
  if (!out && !timedOut && stderr.trim()) status.reason += `: ${stderr.trim().split("\n").slice(-2).join("; ")}`;
  return status;
}

let cached: Promise<KvmStatus> | undefined;

/** The probe's verdict for this process (run once, then remembered). */
export function kvmStatus(): Promise<KvmStatus> {
  cached ??= probeKvm();
  return cached;
}
