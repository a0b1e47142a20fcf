// Editing an existing ext4 image with debugfs (image register): directories the image
// already has must be reused, or debugfs corrupts the filesystem.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { editImage } from "../../../src/disk/image-edit.ts";

const dir = mkdtempSync(join(tmpdir(), "edit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cat = (image: string, path: string) => Bun.spawnSync(["debugfs", "-R", `cat ${path}`, image], { stderr: "pipe" }).stdout.toString();

test("injecting into dirs and a modules version the image already has keeps the filesystem clean", async () => {
  const tree = join(dir, "tree");
  mkdirSync(join(tree, "usr/local/bin"), { recursive: true });
  mkdirSync(join(tree, "usr/lib/modules/6.1.0-old/kernel/virt/lib"), { recursive: true });
  writeFileSync(join(tree, "usr/lib/modules/6.1.0-old/kernel/virt/lib/a.ko"), "image's own");
  const image = join(dir, "img.ext4");
  expect(Bun.spawnSync(["mkfs.ext4", "-q", "-F", "-d", tree, image, "32M"]).exitCode).toBe(0);
  const host = join(dir, "modules");
  mkdirSync(join(host, "6.1.0-old/kernel/virt/lib"), { recursive: true });
  writeFileSync(join(host, "6.1.0-old/kernel/virt/lib/a.ko"), "host copy");
  mkdirSync(join(host, "6.1.0-new/kernel/net"), { recursive: true });
  writeFileSync(join(host, "6.1.0-new/kernel/net/b.ko"), "new module");
  await editImage(
    image,
    {
      remove: [],
      files: [{ guestPath: "/usr/local/bin/agent", contents: new TextEncoder().encode("bin"), mode: 0o755, uid: 0, gid: 0 }],
      modules: { hostDir: host, target: "/usr/lib/modules" },
    },
    dir,
  );
  const fsck = Bun.spawnSync(["e2fsck", "-fn", image], { stdout: "pipe" });
  expect(fsck.stdout.toString()).not.toContain("Unconnected");
  expect(fsck.exitCode).toBe(0);
  expect(cat(image, "/usr/local/bin/agent")).toBe("bin");
  expect(cat(image, "/usr/lib/modules/6.1.0-new/kernel/net/b.ko")).toBe("new module");
  expect(cat(image, "/usr/lib/modules/6.1.0-old/kernel/virt/lib/a.ko")).toBe("image's own");
});
