// Work disk round trip with the real mkfs.ext4/debugfs: seed clone, growth, managed
// key, git identity and file_sync entries, read back with `debugfs -R stat`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWorkDisk } from "../../../src/disk/work-disk.ts";
import { planWorkDisk } from "../../../src/disk/work-plan.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "wd-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function debugfs(image: string, cmd: string): string {
  const r = Bun.spawnSync(["debugfs", "-R", cmd, image], { stderr: "pipe" });
  return r.stdout.toString();
}
function stat(image: string, path: string) {
  const out = debugfs(image, `stat ${path}`);
  const mode = /Mode:\s+(\d+)/.exec(out)?.[1];
  const uid = /User:\s+(\d+)/.exec(out)?.[1];
  const size = /Size:\s+(\d+)/.exec(out)?.[1];
  return { mode, uid: Number(uid), size: Number(size), exists: !out.includes("File not found") && out.length > 0 };
}

test("a work disk from a seed gets the key, git identity and file_sync entries with the right modes", async () => {
  const seedTree = join(dir, "seed");
  mkdirSync(join(seedTree, ".ssh"), { recursive: true });
  writeFileSync(join(seedTree, ".bashrc"), "echo seed\n");
  writeFileSync(join(seedTree, ".gitconfig"), "[old]\n");
  const seed = join(dir, "seed.ext4");
  expect(Bun.spawnSync(["mkfs.ext4", "-q", "-F", "-d", seedTree, seed, "16M"]).exitCode).toBe(0);

  const host = join(dir, "host");
  mkdirSync(join(host, "tree", "sub"), { recursive: true });
  writeFileSync(join(host, "token"), "secret");
  writeFileSync(join(host, "tree", "run.sh"), "#!/bin/sh\n");
  chmodSync(join(host, "tree", "run.sh"), 0o755);
  writeFileSync(join(host, "tree", "sub", "data"), "x");
  chmodSync(join(host, "tree", "sub", "data"), 0o640);

  const plan = planWorkDisk({
    authorizedKey: "ssh-ed25519 AAAA test",
    git: { name: "Ada", email: "ada@example.org" },
    fileSync: [
      { host: join(host, "token"), guest: "/root/.config/app/token" },
      { host: join(host, "token"), guest: "/root/bin/token-exec", mode: 0o755 },
      { host: join(host, "tree"), guest: "/root/tree" },
      { host: join(host, "missing"), guest: "/root/missing" },
    ],
  });
  expect(plan.warnings).toEqual([`file_sync[3]: ${join(host, "missing")} does not exist; skipped`]);

  const work = join(dir, "work.ext4");
  await buildWorkDisk(seed, work, 64 * 1024 * 1024, plan, dir);
  expect(Bun.file(work).size).toBe(64 * 1024 * 1024);
  expect(stat(work, "/.bashrc").exists).toBe(true); // seed content kept
  expect(stat(work, "/.ssh")).toMatchObject({ mode: "0700", uid: 0 });
  expect(stat(work, "/.ssh/authorized_keys")).toMatchObject({ mode: "0600", uid: 0 });
  expect(debugfs(work, "cat /.ssh/authorized_keys")).toBe("ssh-ed25519 AAAA test\n");
  expect(debugfs(work, "cat /.gitconfig")).toBe("[user]\n\tname = Ada\n\temail = ada@example.org\n");
  expect(stat(work, "/.config/app/token")).toMatchObject({ mode: "0600", uid: 0 });
  expect(stat(work, "/bin/token-exec")).toMatchObject({ mode: "0755" });
  expect(stat(work, "/tree/run.sh")).toMatchObject({ mode: "0755", uid: 0 });
  expect(stat(work, "/tree/sub/data")).toMatchObject({ mode: "0640", uid: 0 });
  expect(Bun.spawnSync(["e2fsck", "-fn", work]).exitCode).toBe(0);
});

test("without a seed an empty root-owned ext4 is made", async () => {
  const work = join(dir, "fresh.ext4");
  await buildWorkDisk(null, work, 32 * 1024 * 1024, planWorkDisk({ authorizedKey: "k", git: {}, fileSync: [] }), dir);
  expect(stat(work, "/")).toMatchObject({ uid: 0 });
  expect(stat(work, "/.gitconfig").exists).toBe(false);
  expect(debugfs(work, "cat /.ssh/authorized_keys")).toBe("k\n");
});

test("directories the seed already has at any depth are reused, never re-created (debugfs would corrupt the fs)", async () => {
  const seedTree = join(dir, "deepseed");
  mkdirSync(join(seedTree, ".config", "app", "deep"), { recursive: true });
  writeFileSync(join(seedTree, ".config", "app", "deep", "keep"), "k");
  const seed = join(dir, "deepseed.ext4");
  expect(Bun.spawnSync(["mkfs.ext4", "-q", "-F", "-d", seedTree, seed, "16M"]).exitCode).toBe(0);
  const host = join(dir, "deephost");
  mkdirSync(host, { recursive: true });
  writeFileSync(join(host, "f"), "x");
  const work = join(dir, "deep-work.ext4");
  const plan = planWorkDisk({ authorizedKey: "k", git: {}, fileSync: [{ host: join(host, "f"), guest: "/root/.config/app/deep/f" }] });
  await buildWorkDisk(seed, work, 32 * 1024 * 1024, plan, dir);
  const fsck = Bun.spawnSync(["e2fsck", "-fn", work], { stdout: "pipe" });
  expect(fsck.stdout.toString()).not.toContain("Unconnected");
  expect(fsck.exitCode).toBe(0);
  expect(debugfs(work, "cat /.config/app/deep/keep")).toBe("k");
  expect(debugfs(work, "cat /.config/app/deep/f")).toBe("x");
});
