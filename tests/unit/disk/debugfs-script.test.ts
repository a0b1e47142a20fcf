import { expect, test } from "bun:test";
import { fixLines, fullMode, metadataScript, quote, writeFilesScript } from "../../../src/disk/debugfs-script.ts";
import type { NodeMeta } from "../../../src/oci/tree.ts";

const m = (o: Partial<NodeMeta> & Pick<NodeMeta, "type">): NodeMeta => ({ mode: 0o644, uid: 0, gid: 0, size: 0, ...o });

test("quoting: double quotes doubled, newlines refused", () => {
  expect(quote("/a b/c")).toBe('"/a b/c"');
  expect(quote('/q"x')).toBe('"/q""x"');
  expect(quote("/back\\slash")).toBe('"/back\\slash"');
  expect(() => quote("/a\nb")).toThrow("newline or NUL");
});

test("full modes carry the type bits", () => {
  expect(fullMode(m({ type: "file", mode: 0o4755 }))).toBe("0104755");
  expect(fullMode(m({ type: "dir", mode: 0o1777 }))).toBe("041777");
  expect(fullMode(m({ type: "symlink", mode: 0o777 }))).toBe("0120777");
  expect(fullMode(m({ type: "char", mode: 0o666 }))).toBe("020666");
  expect(fullMode(m({ type: "block", mode: 0o660 }))).toBe("060660");
  expect(fullMode(m({ type: "fifo", mode: 0o600 }))).toBe("010600");
});

test("sif only for what mkfs did not already get right", () => {
  const su = m({ type: "file", mode: 0o4755 });
  expect(fixLines("usr/bin/su", su, { mode: 0o100755, uid: 0, gid: 0 })).toEqual(['sif "/usr/bin/su" mode 0104755']);
  expect(fixLines("etc/shadow", m({ type: "file", mode: 0o640, gid: 42 }), { mode: 0o100640, uid: 1000, gid: 1000 })).toEqual([
    'sif "/etc/shadow" uid 0',
    'sif "/etc/shadow" gid 42',
  ]);
  expect(fixLines("ok", m({ type: "file" }), { mode: 0o100644, uid: 0, gid: 0 })).toEqual([]);
  expect(fixLines("", m({ type: "dir", mode: 0o755 }), null)).toEqual(['sif "/" mode 040755', 'sif "/" uid 0', 'sif "/" gid 0']);
});

test("the metadata script: special files made from their parent dir, then fixes, then xattrs", () => {
  const nodes = new Map<string, NodeMeta>([
    ["", m({ type: "dir", mode: 0o755 })],
    ["dev", m({ type: "dir", mode: 0o755 })],
    ["dev/null", m({ type: "char", mode: 0o666, devMajor: 1, devMinor: 3 })],
    ["dev/sda", m({ type: "block", mode: 0o660, gid: 6, devMajor: 8, devMinor: 0 })],
    ["fifo", m({ type: "fifo", mode: 0o600 })],
    ["bin/ping", m({ type: "file", mode: 0o755, xattrs: { "security.capability": new Uint8Array([1, 2]) } })],
  ]);
  const staged = (rel: string) => (rel === "" || rel.startsWith("dev/") || rel === "fifo" ? null : { mode: rel === "dev" ? 0o40755 : 0o100755, uid: 0, gid: 0 });
  const plan = metadataScript(nodes, staged, "/tmp/x");
  expect(plan.script.trim().split("\n")).toEqual([
    'cd "/dev"', 'mknod "null" c 1 3', "cd /",
    'cd "/dev"', 'mknod "sda" b 8 0', "cd /",
    'cd "/"', 'mknod "fifo" p', "cd /",
    'sif "/" mode 040755', 'sif "/" uid 0', 'sif "/" gid 0',
    'ea_set -f "/tmp/x/xattr-0" "/bin/ping" "security.capability"',
    'sif "/dev/null" mode 020666', 'sif "/dev/null" uid 0', 'sif "/dev/null" gid 0',
    'sif "/dev/sda" mode 060660', 'sif "/dev/sda" uid 0', 'sif "/dev/sda" gid 6',
    'sif "/fifo" mode 010600', 'sif "/fifo" uid 0', 'sif "/fifo" gid 0',
  ]);
  expect(plan.xattrs).toEqual([{ file: "/tmp/x/xattr-0", value: new Uint8Array([1, 2]) }]);
  expect(plan.commands).toBe(22);
});

test("writing files into an existing image", () => {
  const script = writeFilesScript([{ guestPath: "/usr/local/bin/agent", source: "/tmp/f0", mode: 0o755, uid: 0, gid: 0 }], ["/usr", "/usr/local", "/usr/local/bin"]);
  expect(script.trim().split("\n")).toEqual([
    'mkdir "/usr"', 'mkdir "/usr/local"', 'mkdir "/usr/local/bin"',
    'cd "/usr/local/bin"', 'rm "agent"', 'write "/tmp/f0" "agent"', "cd /",
    'sif "/usr/local/bin/agent" mode 0100755', 'sif "/usr/local/bin/agent" uid 0', 'sif "/usr/local/bin/agent" gid 0',
  ]);
});
