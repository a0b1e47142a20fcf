// The x86 boot protocol header of a bzImage (Documentation/arch/x86/boot.rst): where the
// compressed payload lies and the kernel's version string. Reading the exact payload
// span first avoids guessing from magic bytes on every x86 kernel.

export interface BzImageInfo {
  /** Byte offset of the compressed payload in the file. */
  payloadOffset: number;
  payloadLength: number;
  /** First word of the kernel_version string, e.g. "6.1.0-56-cloud-amd64". */
  version: string | null;
}

const HDRS = 0x53726448; // "HdrS"

/** Header facts of a bzImage (boot protocol >= 2.08), or null when `bytes` is not one. */
export function readBzImage(bytes: Uint8Array): BzImageInfo | null {
  if (bytes.length < 0x260) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0x202, true) !== HDRS || dv.getUint16(0x206, true) < 0x208) return null;
  const setupSects = bytes[0x1f1] || 4; // 0 means 4 (boot protocol)
  const payloadOffset = (setupSects + 1) * 512 + dv.getUint32(0x248, true);
  const payloadLength = dv.getUint32(0x24c, true);
  if (payloadLength === 0 || payloadOffset + payloadLength > bytes.length) return null;
  return { payloadOffset, payloadLength, version: versionString(bytes, dv) };
}

function versionString(bytes: Uint8Array, dv: DataView): string | null {
  const ptr = dv.getUint16(0x20e, true);
  if (ptr === 0) return null;
  const start = ptr + 0x200;
  if (start >= bytes.length) return null;
  let end = start;
  while (end < bytes.length && end - start < 256 && bytes[end] !== 0) end++;
  const text = new TextDecoder().decode(bytes.subarray(start, end));
  return text.split(" ")[0] || null;
}
