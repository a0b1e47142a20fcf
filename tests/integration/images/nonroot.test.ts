// The rootless promise: the same flatten + mkfs.ext4 -d + debugfs pass run as an
// unprivileged user (nobody, via setpriv when the tests run as root) gives root-owned
// files, setuid bits, foreign owners, unreadable files and dirs, and device nodes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec, isRoot } from "../../../src/host/exec.ts";
import { dstat, e2fsckClean } from "./helpers.ts";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "banger-nonroot-"));
  chmodSync(dir, 0o777);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("building as an unprivileged user keeps ownership, modes and device nodes", async () => {
  const child = [process.execPath, join(import.meta.dir, "nonroot-build.ts"), dir];
  const argv = isRoot() ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...child] : child;
  const r = await exec(argv, { timeoutMs: 60_000 });
  expect(r.stdout).toBe(`built as uid ${isRoot() ? 65534 : process.getuid?.()}\n`);
  const img = join(dir, "img.ext4");
  expect((await e2fsckClean(img)).ok).toBe(true);
  expect(await dstat(img, "/")).toMatchObject({ mode: 0o755, uid: 0, gid: 0 });
  expect(await dstat(img, "/usr")).toMatchObject({ mode: 0o755, uid: 0, gid: 0 });
  expect(await dstat(img, "/usr/bin/su")).toMatchObject({ mode: 0o4755, uid: 0, gid: 0 });
  expect(await dstat(img, "/etc/shadow")).toMatchObject({ mode: 0o640, uid: 0, gid: 42 });
  expect(await dstat(img, "/etc/secret")).toMatchObject({ mode: 0o000, uid: 0 });
  expect(await dstat(img, "/locked")).toMatchObject({ type: "directory", mode: 0o000, uid: 0 });
  expect(await dstat(img, "/locked/f")).toMatchObject({ mode: 0o400, uid: 1000, size: 2 });
  expect(await dstat(img, "/lib")).toMatchObject({ type: "symlink", uid: 5, linkTarget: "usr/lib" });
  expect(await dstat(img, "/dev/null")).toMatchObject({ type: "character special", mode: 0o666, uid: 0, device: "1:3" });
}, 60_000);
