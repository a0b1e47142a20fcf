import { expect, test } from "bun:test";
import { TarStream, type TarEntry } from "../../../src/oci/tar-stream.ts";
import { concat, tarBytes, tarMember } from "../../fixtures/oci-builder.ts";

function read(bytes: Uint8Array, chunk = bytes.length): { entries: TarEntry[]; data: Map<string, string> } {
  const entries: TarEntry[] = [];
  const data = new Map<string, string>();
  const tar = new TarStream((e) => {
    entries.push(e);
    let text = "";
    return { data: (c) => void (text += new TextDecoder().decode(c)), end: () => void data.set(e.path, text) };
  });
  for (let off = 0; off < bytes.length; off += chunk) tar.write(bytes.subarray(off, off + chunk));
  tar.end();
  return { entries, data };
}

const enc = new TextEncoder();

test("member types, ownership, device numbers; fed one byte at a time", () => {
  const bytes = tarBytes([
    { type: "dir", path: "d", mode: 0o1777, uid: 5, gid: 6 },
    { type: "file", path: "d/f", content: "hello", mode: 0o4755 },
    { type: "symlink", path: "l", target: "/abs/target" },
    { type: "hardlink", path: "h", target: "d/f" },
    { type: "char", path: "null", major: 1, minor: 3 },
    { type: "block", path: "sda", major: 8, minor: 16 },
    { type: "fifo", path: "p" },
  ]);
  const { entries, data } = read(bytes, 1);
  expect(entries.map((e) => [e.path, e.type])).toEqual([
    ["d/", "dir"], ["d/f", "file"], ["l", "symlink"], ["h", "hardlink"], ["null", "char"], ["sda", "block"], ["p", "fifo"],
  ]);
  expect(entries[0]).toMatchObject({ mode: 0o1777, uid: 5, gid: 6 });
  expect(entries[1]).toMatchObject({ mode: 0o4755, size: 5 });
  expect(entries[2]!.linkpath).toBe("/abs/target");
  expect(entries[5]).toMatchObject({ devMajor: 8, devMinor: 16 });
  expect(data.get("d/f")).toBe("hello");
});

test("pax long names and link targets", () => {
  const long = `${"x".repeat(150)}/file`;
  const target = `/${"t".repeat(200)}`;
  const { entries } = read(tarBytes([{ type: "file", path: long, content: "1" }, { type: "symlink", path: "s", target }]), 700);
  expect(entries.map((e) => e.path)).toEqual([long, "s"]);
  expect(entries[1]!.linkpath).toBe(target);
});

/** A raw 512-byte header with a valid checksum. */
function rawHeader(fields: { name: string; flag: string; size?: number; uidBytes?: number[] }): Uint8Array {
  const h = new Uint8Array(512);
  const put = (off: number, s: string) => h.set(enc.encode(s), off);
  put(0, fields.name);
  put(100, "0000644\0");
  if (fields.uidBytes) h.set(fields.uidBytes, 108);
  else put(108, "0000000\0");
  put(116, "0000000\0");
  put(124, (fields.size ?? 0).toString(8).padStart(11, "0") + "\0");
  put(136, "00000000000\0");
  put(148, "        ");
  put(156, fields.flag);
  put(257, "ustar  \0");
  let sum = 0;
  for (const b of h) sum += b;
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

test("GNU long names ('L') and base-256 numbers", () => {
  const name = `${"n".repeat(120)}/gnu`;
  const nameData = enc.encode(name + "\0");
  const padded = new Uint8Array(Math.ceil(nameData.length / 512) * 512);
  padded.set(nameData);
  const bigUid = [0x80, 0, 0, 0, 0, 0x01, 0x86, 0xa0]; // 100000
  const bytes = concat([rawHeader({ name: "././@LongLink", flag: "L", size: nameData.length }), padded, rawHeader({ name: "short", flag: "0", uidBytes: bigUid }), new Uint8Array(1024)]);
  const { entries } = read(bytes, 100);
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({ path: name, uid: 100000 });
});

test("pax uid/gid/size overrides and xattrs", () => {
  const records = ["uid=2000000", "gid=7", "SCHILY.xattr.security.capability=\u0001\u0002"].map((r) => {
    const body = ` ${r}\n`;
    let len = body.length + 1;
    while (`${len}${body}`.length !== len) len = `${len}${body}`.length;
    return `${len}${body}`;
  });
  const pax = enc.encode(records.join(""));
  const padded = new Uint8Array(512);
  padded.set(pax);
  const bytes = concat([rawHeader({ name: "PaxHeaders/f", flag: "x", size: pax.length }), padded, ...tarMember({ path: "f", flag: "0", mode: 0o644 }), new Uint8Array(1024)]);
  const { entries } = read(bytes);
  expect(entries[0]).toMatchObject({ path: "f", uid: 2000000, gid: 7 });
  expect([...entries[0]!.xattrs!["security.capability"]!]).toEqual([1, 2]);
});

test("corrupt, truncated, empty and exotic streams are refused", () => {
  const good = tarBytes([{ type: "file", path: "a", content: "x".repeat(1000) }]);
  const bad = good.slice();
  bad[10] ^= 0xff;
  expect(() => read(bad)).toThrow("bad tar header checksum");
  expect(() => read(good.subarray(0, 700))).toThrow("tar stream is truncated");
  expect(() => read(new Uint8Array(0))).toThrow("tar stream is empty");
  expect(() => read(concat([rawHeader({ name: "sparse", flag: "S" }), new Uint8Array(1024)]))).toThrow(`tar member "sparse" has unsupported type 'S'`);
});
