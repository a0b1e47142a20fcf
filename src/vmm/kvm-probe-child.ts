// Source of the KVM probe's child process (run as `bun -e`, or `BUN_BE_BUN=1 banger -e`
// from the compiled executable). It builds a one-vCPU VM through raw ioctls (bun:ffi on
// libc), enters 64-bit long mode with identity paging, and times a guest loop between
// two port writes. It prints one JSON line and exits; the parent kills it on a deadline,
// which is why this runs out of process: KVM_RUN can block for as long as the guest runs.
//
// Guest code at 0x1000 (long mode, CS.L=1):
//   mov dx, 0x3f8 ; mov al, 'S' ; out dx, al      -> first exit: vCPU runs at all
//   mov rcx, N ; 1: dec rcx ; jnz 1b              -> the timed loop
//   mov al, 'E' ; out dx, al ; hlt                -> second exit: loop done
export const KVM_PROBE_CHILD = String.raw`
const { dlopen, read, toArrayBuffer } = require("bun:ffi");
const N = Number(process.argv.at(-1)) || 100000;
const done = (o) => { process.stdout.write(JSON.stringify(o) + "\n"); process.exit(0); };
let c;
try {
  c = dlopen("libc.so.6", {
    open: { args: ["ptr", "i32"], returns: "i32" },
    ioctl: { args: ["i32", "u64", "ptr"], returns: "i32" },
    mmap: { args: ["ptr", "u64", "i32", "i32", "i32", "i64"], returns: "ptr" },
    __errno_location: { args: [], returns: "ptr" },
  }).symbols;
} catch (e) { done({ stage: "ffi", error: String(e) }); }
const errno = () => read.i32(c.__errno_location(), 0);
const must = (stage, r) => { if (r < 0 || r === null) done({ stage, errno: errno() }); return r; };
const kvm = must("open", c.open(Buffer.from("/dev/kvm\0"), 2 | 0o2000000));
const api = c.ioctl(kvm, 0xae00, null);
if (api !== 12) done({ stage: "api_version", value: api });
const vm = must("create_vm", c.ioctl(kvm, 0xae01, null));
const MEM = 0x200000;
const mem = c.mmap(null, MEM, 3, 0x22, -1, 0);
const mapped = (p) => p && p < 2 ** 63; // MAP_FAILED is (void *)-1
if (!mapped(mem)) done({ stage: "mmap", errno: errno() });
const m = new DataView(toArrayBuffer(mem, 0, MEM));
m.setBigUint64(0x2000, 0x3003n, true); m.setBigUint64(0x3000, 0x4003n, true); m.setBigUint64(0x4000, 0x83n, true);
[0x66, 0xba, 0xf8, 0x03, 0xb0, 0x53, 0xee, 0x48, 0xc7, 0xc1, N & 255, (N >> 8) & 255, (N >> 16) & 255, (N >>> 24) & 255,
 0x48, 0xff, 0xc9, 0x75, 0xfb, 0xb0, 0x45, 0xee, 0xf4].forEach((b, i) => m.setUint8(0x1000 + i, b));
const region = new DataView(new ArrayBuffer(32));
region.setBigUint64(16, BigInt(MEM), true); region.setBigUint64(24, BigInt(mem), true);
must("set_memory", c.ioctl(vm, 0x4020ae46, new Uint8Array(region.buffer)));
const vcpu = must("create_vcpu", c.ioctl(vm, 0xae41, null));
const run = c.mmap(null, must("mmap_size", c.ioctl(kvm, 0xae04, null)), 3, 1, vcpu, 0);
if (!mapped(run)) done({ stage: "mmap_run", errno: errno() });
const sregs = new Uint8Array(312), s = new DataView(sregs.buffer);
must("get_sregs", c.ioctl(vcpu, 0x8138ae83, sregs));
const seg = (i, sel, type, l, db) => {
  s.setBigUint64(i * 24, 0n, true); s.setUint32(i * 24 + 8, 0xffffffff, true); s.setUint16(i * 24 + 12, sel, true);
  [type, 1, 0, db, 1, l, 1, 0, 0, 0].forEach((v, k) => s.setUint8(i * 24 + 14 + k, v));
};
seg(0, 8, 11, 1, 0); for (let i = 1; i <= 5; i++) seg(i, 16, 3, 0, 1);
s.setBigUint64(224, 0x80050033n, true); s.setBigUint64(240, 0x2000n, true); s.setBigUint64(248, 0x20n, true); s.setBigUint64(264, 0x500n, true);
must("set_sregs", c.ioctl(vcpu, 0x4138ae84, sregs));
const regs = new DataView(new ArrayBuffer(144)); regs.setBigUint64(128, 0x1000n, true); regs.setBigUint64(136, 2n, true);
must("set_regs", c.ioctl(vcpu, 0x4090ae82, new Uint8Array(regs.buffer)));
const step = () => {
  must("run", c.ioctl(vcpu, 0xae80, null));
  const reason = read.u32(run, 8);
  return reason === 2 ? { reason, byte: read.u8(run, Number(read.u64(run, 40))) } : { reason };
};
const first = step();
if (first.byte !== 0x53) done({ stage: "first_exit", exit_reason: first.reason });
const t0 = performance.now();
const second = step();
const ms = performance.now() - t0;
if (second.byte !== 0x45) done({ stage: "loop_exit", exit_reason: second.reason });
done({ stage: "done", iterations: N, ms });
`;
