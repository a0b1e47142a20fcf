// Just enough ELF to tell a real, complete vmlinux from a false start: a decompressor
// that ran into trailing garbage may still have produced the whole image, while a
// truncated one lacks the section headers that sit at the end of the file.

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;

/** Debian/OCI architecture names by ELF e_machine. */
const ARCH_OF_MACHINE: Record<number, string> = { 3: "i386", 62: "amd64", 183: "arm64", 243: "riscv64" };

export function hasElfMagic(bytes: Uint8Array): boolean {
  return ELF_MAGIC.every((b, i) => bytes[i] === b);
}

/** A 64- or 32-bit little-endian ELF whose program and section header tables lie inside `bytes`. */
export function isCompleteElf(bytes: Uint8Array): boolean {
  if (bytes.length < 64 || !hasElfMagic(bytes) || bytes[5] !== 1) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const is64 = bytes[4] === 2;
  const phoff = is64 ? Number(dv.getBigUint64(0x20, true)) : dv.getUint32(0x1c, true);
  const shoff = is64 ? Number(dv.getBigUint64(0x28, true)) : dv.getUint32(0x20, true);
  const [phentsize, phnum, shentsize, shnum] = is64
    ? [dv.getUint16(0x36, true), dv.getUint16(0x38, true), dv.getUint16(0x3a, true), dv.getUint16(0x3c, true)]
    : [dv.getUint16(0x2a, true), dv.getUint16(0x2c, true), dv.getUint16(0x2e, true), dv.getUint16(0x30, true)];
  if (phnum === 0 || phoff + phentsize * phnum > bytes.length) return false;
  return shoff === 0 || shoff + shentsize * shnum <= bytes.length;
}

/** "amd64", "arm64", ... from e_machine; null when unknown or not ELF. */
export function elfArch(bytes: Uint8Array): string | null {
  if (bytes.length < 20 || !hasElfMagic(bytes)) return null;
  const machine = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(18, true);
  return ARCH_OF_MACHINE[machine] ?? null;
}
