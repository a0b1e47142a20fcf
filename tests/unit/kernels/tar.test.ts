// The bundle extractor against hand-crafted malicious archives: each is refused, nothing
// is written outside the extraction root, and the service's staging dir is removed.
import { afterAll, beforeEach, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractBundle } from "../../../src/kernels/bundle.ts";
import { symlinkStaysInside, TarExtractor } from "../../../src/kernels/tar-extract.ts";
import { tarArchive, zstd, type TarEntry } from "../../fixtures/kernel-bundle.ts";

const base = mkdtempSync(join(tmpdir(), "bk-tar-"));
let n = 0;
let dir: string;
let root: string;
afterAll(() => rmSync(base, { recursive: true, force: true }));
beforeEach(() => {
  dir = join(base, `t${++n}`);
  root = join(dir, "root");
  mkdirSync(root, { recursive: true });
});

async function extract(entries: TarEntry[]): Promise<void> {
  const file = join(dir, "bundle.tar.zst");
  writeFileSync(file, zstd(tarArchive(entries)));
  await extractBundle(file, root);
}

/** Everything under `dir` except the bundle file itself: must stay inside root/. */
function outsideRoot(): string[] {
  return readdirSync(dir).filter((f) => f !== "root" && f !== "bundle.tar.zst");
}

test("files, dirs, safe symlinks and hardlinks extract with their content and modes", async () => {
  await extract([
    { path: "boot/", type: "dir" },
    { path: "boot/vmlinuz-1", data: "kernel", mode: 0o600 },
    { path: "./lib/modules/1/kernel/a.ko", data: "module" },
    { path: "lib/modules/1/build", type: "symlink", linkpath: "kernel" },
    { path: "lib/modules/1/up", type: "symlink", linkpath: "../../../boot/vmlinuz-1" },
    { path: "lib/modules/1/same.ko", type: "hardlink", linkpath: "lib/modules/1/kernel/a.ko" },
  ]);
  expect(readFileSync(join(root, "boot/vmlinuz-1"), "utf8")).toBe("kernel");
  expect(lstatSync(join(root, "boot/vmlinuz-1")).mode & 0o777).toBe(0o600);
  expect(readFileSync(join(root, "lib/modules/1/up"), "utf8")).toBe("kernel");
  expect(lstatSync(join(root, "lib/modules/1/build")).isSymbolicLink()).toBe(true);
  expect(lstatSync(join(root, "lib/modules/1/same.ko")).nlink).toBe(2);
});

const attacks: [string, TarEntry[], RegExp][] = [
  ["a ../ member", [{ path: "../evil", data: "x" }], /contains "\.\."/],
  ["a nested ../ member", [{ path: "boot/../../evil", data: "x" }], /contains "\.\."/],
  ["an absolute member", [{ path: "/tmp/evil", data: "x" }], /absolute path/],
  ["a symlink escaping the root", [{ path: "link", type: "symlink", linkpath: "../../evil" }], /leaves the archive/],
  ["an absolute symlink", [{ path: "link", type: "symlink", linkpath: "/etc" }], /leaves the archive/],
  [
    "a symlink that climbs after a name (a/../..)",
    [{ path: "s/a", type: "symlink", linkpath: "." }, { path: "s/l", type: "symlink", linkpath: "a/../.." }],
    /leaves the archive/,
  ],
  ["a hardlink escaping the root", [{ path: "h", type: "hardlink", linkpath: "../../etc/passwd" }], /hardlink/],
  ["a hardlink to an absolute path", [{ path: "h", type: "hardlink", linkpath: "/etc/passwd" }], /hardlink/],
  [
    "a .. hidden behind a symlink name",
    [{ path: "boot", type: "symlink", linkpath: "." }, { path: "boot/../x", data: "x" }],
    /\.\./,
  ],
  [
    "symlink-then-write-through (a safe-looking symlink, then a file under it)",
    [{ path: "d", type: "dir" }, { path: "out", type: "symlink", linkpath: "d" }, { path: "out/file", data: "x" }],
    /written through the symlink "out"/,
  ],
  [
    "a duplicate member replacing a file with a symlink",
    [{ path: "f", data: "x" }, { path: "f", type: "symlink", linkpath: "g" }],
    /appears twice/,
  ],
  ["a fifo", [{ path: "p", type: "fifo" }], /unsupported type '6'/],
];

for (const [name, entries, message] of attacks) {
  test(`refused: ${name}`, async () => {
    await expect(extract(entries)).rejects.toThrow(message);
    expect(outsideRoot()).toEqual([]);
    expect(existsSync(join(base, "evil"))).toBe(false);
  });
}

test("the classic escape: a symlink to a directory outside, then a file through it", async () => {
  const victim = join(dir, "victim");
  mkdirSync(victim);
  await expect(
    extract([{ path: "lnk", type: "symlink", linkpath: victim }, { path: "lnk/owned", data: "x" }]),
  ).rejects.toThrow(/leaves the archive/);
  expect(readdirSync(victim)).toEqual([]);
});

test("symlink target rule", () => {
  expect(symlinkStaysInside("a/b/link", "../c")).toBe(true);
  expect(symlinkStaysInside("a/b/link", "../../c")).toBe(true);
  expect(symlinkStaysInside("a/b/link", "../../../c")).toBe(false);
  expect(symlinkStaysInside("link", "x/../y")).toBe(false);
  expect(symlinkStaysInside("link", "")).toBe(false);
});

test("corrupt input: bad zstd, not zstd, truncated tar, bad header checksum", async () => {
  const file = join(dir, "bundle.tar.zst");
  writeFileSync(file, tarArchive([{ path: "a", data: "x" }]));
  await expect(extractBundle(file, root)).rejects.toThrow(/not zstd-compressed/);
  const tar = tarArchive([{ path: "a", data: "x".repeat(2000) }]);
  writeFileSync(file, zstd(tar.subarray(0, 1024)));
  await expect(extractBundle(file, root)).rejects.toThrow(/truncated/);
  const bad = tarArchive([{ path: "b", data: "x" }]);
  bad[0] = 0x41;
  writeFileSync(file, zstd(bad));
  await expect(extractBundle(file, join(dir, "root"))).rejects.toThrow(/checksum/);
  const z = zstd(tarArchive([{ path: "c", data: "x" }]));
  writeFileSync(file, z.subarray(0, z.length - 3));
  await expect(extractBundle(file, root)).rejects.toThrow(/zstd|truncated/);
});

test("limits stop decompression bombs", () => {
  const t = new TarExtractor(root, { maxBytes: 1000, maxEntries: 10 });
  expect(() => t.write(tarArchive([{ path: "big", data: "x".repeat(2000) }]))).toThrow(/expands beyond 1000 bytes/);
  t.close();
  const many = Array.from({ length: 11 }, (_, i) => ({ path: `f${i}`, data: "x" }));
  const t2 = new TarExtractor(join(dir, "r2"), { maxBytes: 1e6, maxEntries: 10 });
  mkdirSync(join(dir, "r2"));
  expect(() => t2.write(tarArchive(many))).toThrow(/more than 10 members/);
  t2.close();
});

test("GNU long names and pax paths are honoured (and checked)", async () => {
  const long = "lib/modules/" + "d".repeat(120) + "/x.ko";
  const pax = (records: Record<string, string>) =>
    Object.entries(records)
      .map(([k, v]) => {
        const body = ` ${k}=${v}\n`;
        let len = body.length + 2;
        if (String(len).length + body.length !== len) len = String(len + 1).length + body.length;
        return `${len}${body}`;
      })
      .join("");
  const entries: TarEntry[] = [
    { path: "././@PaxHeader", type: "file", data: pax({ path: long }) },
    { path: "placeholder", data: "long" },
  ];
  // a pax header is typeflag 'x': patch it in after building
  const archive = tarArchive(entries);
  archive[156] = "x".charCodeAt(0);
  fixChecksum(archive.subarray(0, 512));
  const file = join(dir, "bundle.tar.zst");
  writeFileSync(file, zstd(archive));
  await extractBundle(file, root);
  expect(readFileSync(join(root, long), "utf8")).toBe("long");
});

test("a pax size overrides the header's size (data and padding follow the pax size)", async () => {
  const record = "12 size=700\n";
  const paxBlock = tarArchive([{ path: "PaxHeader", data: record }]).subarray(0, 1024);
  paxBlock[156] = "x".charCodeAt(0);
  fixChecksum(paxBlock.subarray(0, 512));
  const member = tarArchive([{ path: "big", data: "y".repeat(700) }, { path: "after", data: "ok" }]);
  member.set(new TextEncoder().encode("00000000000\0"), 124); // header says 0 bytes
  fixChecksum(member.subarray(0, 512));
  const file = join(dir, "bundle.tar.zst");
  writeFileSync(file, zstd(new Uint8Array([...paxBlock, ...member])));
  await extractBundle(file, root);
  expect(readFileSync(join(root, "big"), "utf8")).toBe("y".repeat(700));
  expect(readFileSync(join(root, "after"), "utf8")).toBe("ok");
});

function fixChecksum(h: Uint8Array): void {
  h.fill(0x20, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  h.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
}
