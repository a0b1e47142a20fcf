// Identity values the store hands out: random hex ids, ISO timestamps, and a VM's MAC.

/** `bytes` random bytes as lowercase hex. */
export function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Images: 16 hex digits. */
export function newImageId(): string {
  return randomHex(8);
}

/** VMs: 32 hex digits, so short unique prefixes are practical to type. */
export function newVmId(): string {
  return randomHex(16);
}

export function nowIso(): string {
  return new Date().toISOString();
}

/**
 * A locally administered unicast MAC (first octet 0x02) derived from the VM id, so it is
 * stable for the VM's life and needs no extra randomness.
 */
export function macForVmId(id: string): string {
  if (!/^[0-9a-f]{10,}$/.test(id)) throw new Error(`macForVmId: not a hex id: ${id}`);
  const octets = ["02"];
  for (let i = 0; i < 10; i += 2) octets.push(id.slice(i, i + 2));
  return octets.join(":");
}
