// vmlinux extraction on synthetic images for every codec; the real Debian kernel is
// covered in tests/integration/kernels/import.test.ts.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { readBzImage } from "../../../src/kernels/bzimage.ts";
import { elfArch, isCompleteElf } from "../../../src/kernels/elf.ts";
import { decodeLz4Legacy } from "../../../src/kernels/lz4.ts";
import { extractVmlinux } from "../../../src/kernels/vmlinux.ts";
import { fakeBzImage, tinyElf } from "../../fixtures/kernel-bundle.ts";

const scratch = mkdtempSync(join(tmpdir(), "bk-vml-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Compressible but not trivial: repeated text with a counter.
const payload = new TextEncoder().encode(Array.from({ length: 3000 }, (_, i) => `line ${i % 97} of the kernel\n`).join(""));
const elf = tinyElf(payload);

function tool(argv: string[], input: Uint8Array): Uint8Array {
  const r = Bun.spawnSync(argv, { stdin: input });
  if (r.exitCode !== 0) throw new Error(`${argv[0]} failed: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

const compressors: Record<string, (d: Uint8Array) => Uint8Array> = {
  gzip: (d) => new Uint8Array(gzipSync(d)),
  zstd: (d) => new Uint8Array(zstdCompressSync(d)),
  lz4: (d) => tool(["lz4", "-l", "-c", "-9"], d),
  xz: (d) => tool(["xz", "-c", "--check=crc32"], d),
  bzip2: (d) => tool(["bzip2", "-c"], d),
  lzma: (d) => tool(["xz", "--format=lzma", "-c"], d),
};

/** The kernel build appends the uncompressed size (4 bytes LE) after the stream. */
function withSize(stream: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(stream.length + 4);
  out.set(stream);
  new DataView(out.buffer).setUint32(stream.length, size, true);
  return out;
}

for (const [name, compress] of Object.entries(compressors)) {
  test(`${name}: from the bzImage header's payload`, async () => {
    const image = fakeBzImage(withSize(compress(elf), elf.length));
    const out = await extractVmlinux(image, scratch);
    expect(out.compression).toBe(name as never);
    expect(out.vmlinux).toEqual(elf);
  });

  test(`${name}: by magic scan when there is no boot header`, async () => {
    const junk = new Uint8Array(3000).map((_, i) => (i * 31) & 0xff);
    const image = new Uint8Array([...junk, ...withSize(compress(elf), elf.length), 0, 0, 0, 0]);
    const out = await extractVmlinux(image, scratch);
    expect(out.compression).toBe(name as never);
    expect(out.vmlinux).toEqual(elf);
  });
}

test("an ELF image is returned as is; scratch files never linger", async () => {
  expect(await extractVmlinux(elf, scratch)).toEqual({ vmlinux: elf, compression: "none" });
  expect(readdirSync(scratch)).toEqual([]);
});

test("no ELF inside: a clear error", async () => {
  const image = fakeBzImage(new Uint8Array(gzipSync(new TextEncoder().encode("not a kernel"))));
  await expect(extractVmlinux(image, scratch, "vmlinuz-x")).rejects.toThrow(/no ELF vmlinux found inside vmlinuz-x/);
});

test("a truncated ELF does not count as a vmlinux", () => {
  expect(isCompleteElf(elf)).toBe(true);
  expect(isCompleteElf(elf.subarray(0, 100))).toBe(false);
  expect(elfArch(elf)).toBe("amd64");
});

test("boot header facts", () => {
  const info = readBzImage(fakeBzImage(new Uint8Array(100), "6.1.0-7-cloud-amd64"));
  expect(info).toEqual({ payloadOffset: 5 * 512 + 64, payloadLength: 100, version: "6.1.0-7-cloud-amd64" });
  expect(readBzImage(elf)).toBeNull();
});

test("lz4 legacy: overlapping matches and multiple blocks decode exactly", () => {
  const big = new Uint8Array(9 * 1024 * 1024).map((_, i) => (i % 3 === 0 ? i & 0xff : 7)); // > one 8 MiB block
  expect(decodeLz4Legacy(compressors.lz4!(big))).toEqual(big);
  const runs = new Uint8Array(100_000).fill(0x41);
  expect(decodeLz4Legacy(compressors.lz4!(runs))).toEqual(runs);
});
