// F32: one case per invalid shape, each naming the entry index, plus the happy paths.
import { describe, expect, test } from "bun:test";
import { checkFileSyncEntry, expandHome } from "../../../src/config/file-sync.ts";

const HOME = "/home/dev";

function reject(host: string, guest: string, mode?: string, index = 3): string {
  const r = checkFileSyncEntry(mode === undefined ? { host, guest } : { host, guest, mode }, index, HOME);
  if (r.ok) throw new Error(`expected ${host} -> ${guest} to be rejected`);
  return r.message;
}

describe("invalid entries", () => {
  test.each([
    ["empty host", "", "~/a", undefined, "file_sync[3].host must not be empty"],
    ["blank host", "   ", "~/a", undefined, "file_sync[3].host must not be empty"],
    ["empty guest", "~/a", "", undefined, "file_sync[3].guest must not be empty"],
    ["relative host", "notes.txt", "~/notes.txt", undefined, 'file_sync[3].host must be an absolute path or start with ~/ (got "notes.txt")'],
    ["dot-relative host", "./notes.txt", "~/notes.txt", undefined, 'file_sync[3].host must be an absolute path or start with ~/ (got "./notes.txt")'],
    ["host .. traversal", "~/a/../../etc/shadow", "~/a", undefined, 'file_sync[3].host must not contain ".." (got "~/a/../../etc/shadow")'],
    ["guest .. traversal", "~/a", "~/../etc/passwd", undefined, 'file_sync[3].guest must not contain ".." (got "~/../etc/passwd")'],
    ["guest .. under /root", "~/a", "/root/../etc/x", undefined, 'file_sync[3].guest must not contain ".." (got "/root/../etc/x")'],
    ["host ~user", "~bob/.aws", "~/.aws", undefined, 'file_sync[3].host uses ~user, which is not supported; use ~/ or an absolute path (got "~bob/.aws")'],
    ["guest ~user", "~/.aws", "~bob/.aws", undefined, 'file_sync[3].guest uses ~user, which is not supported; use ~/ or an absolute path (got "~bob/.aws")'],
    ["guest outside /root", "~/a", "/etc/a", undefined, 'file_sync[3].guest must be under ~/ or /root/ (got "/etc/a")'],
    ["guest relative", "~/a", "a", undefined, 'file_sync[3].guest must be under ~/ or /root/ (got "a")'],
    ["guest /rootx lookalike", "~/a", "/rootfs/a", undefined, 'file_sync[3].guest must be under ~/ or /root/ (got "/rootfs/a")'],
    ["guest is /root itself", "~/a", "/root/", undefined, 'file_sync[3].guest must be under ~/ or /root/ (got "/root/")'],
    ["guest is ~ itself", "~/a", "~", undefined, 'file_sync[3].guest must be under ~/ or /root/ (got "~")'],
    ["mode not octal", "~/a", "~/a", "0800", 'file_sync[3].mode must be an octal string like "0600" or "0755" (got "0800")'],
    ["mode too long", "~/a", "~/a", "017777", 'file_sync[3].mode must be an octal string like "0600" or "0755" (got "017777")'],
    ["mode symbolic", "~/a", "~/a", "u+rw", 'file_sync[3].mode must be an octal string like "0600" or "0755" (got "u+rw")'],
    ["mode empty", "~/a", "~/a", "", 'file_sync[3].mode must be an octal string like "0600" or "0755"'],
  ])("%s", (_, host, guest, mode, message) => {
    expect(reject(host, guest, mode)).toBe(message);
  });

  test("the index in the message is the entry's", () => {
    expect(reject("", "~/a", undefined, 0)).toBe("file_sync[0].host must not be empty");
  });
});

describe("valid entries", () => {
  test.each([
    [{ host: "~/.aws", guest: "~/.aws" }, { host: "/home/dev/.aws", guest: "/root/.aws" }],
    [{ host: "/etc/gitconfig", guest: "/root/.gitconfig" }, { host: "/etc/gitconfig", guest: "/root/.gitconfig" }],
    [{ host: "~/bin/tool", guest: "~/bin/tool", mode: "0755" }, { host: "/home/dev/bin/tool", guest: "/root/bin/tool", mode: 0o755 }],
    [{ host: "~/a", guest: "~/a", mode: "600" }, { host: "/home/dev/a", guest: "/root/a", mode: 0o600 }],
    [{ host: "~/s", guest: "~/s", mode: "4755" }, { host: "/home/dev/s", guest: "/root/s", mode: 0o4755 }],
    [{ host: "~", guest: "~/host-home" }, { host: "/home/dev", guest: "/root/host-home" }],
    [{ host: "/srv//data/./x/", guest: "/root//data/./x/" }, { host: "/srv/data/x/", guest: "/root/data/x" }],
  ])("%p", (raw, entry) => {
    expect(checkFileSyncEntry(raw, 0, HOME)).toEqual({ ok: true, entry });
  });

  test("expandHome leaves absolute paths alone", () => {
    expect(expandHome("/abs/p", HOME)).toBe("/abs/p");
    expect(expandHome("~/x/y", "/root")).toBe("/root/x/y");
  });
});
