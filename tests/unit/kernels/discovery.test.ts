import { afterAll, beforeEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discoverKernel } from "../../../src/kernels/discovery.ts";

const base = mkdtempSync(join(tmpdir(), "bk-disc-"));
let root: string;
let n = 0;
afterAll(() => rmSync(base, { recursive: true, force: true }));
beforeEach(() => {
  root = join(base, `t${++n}`);
  mkdirSync(root);
});

function touch(rel: string, content = "x"): string {
  const path = join(root, rel);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, content);
  return path;
}

test("the newest version wins and initrd and modules follow it", () => {
  for (const v of ["6.1.0-1-x", "6.1.0-2-x", "6.1.0-10-x"]) {
    touch(`boot/vmlinuz-${v}`);
    touch(`boot/initrd.img-${v}`);
    touch(`lib/modules/${v}/modules.dep`);
  }
  touch("etc/os-release", 'PRETTY_NAME="Debian"\nID=debian\n');
  const k = discoverKernel(root);
  expect(k.version).toBe("6.1.0-10-x");
  expect(k.images).toEqual([join(root, "boot/vmlinuz-6.1.0-10-x")]);
  expect(k.initrd).toBe(join(root, "boot/initrd.img-6.1.0-10-x"));
  expect(k.modules).toBe(join(root, "lib/modules/6.1.0-10-x"));
  expect(k.distro).toBe("debian");
});

test("versions are never mixed: a newer initrd or modules tree without its kernel is ignored", () => {
  touch("boot/vmlinuz-6.1.0-1-x");
  touch("boot/initrd.img-6.1.0-3-x");
  touch("lib/modules/6.1.0-3-x/modules.dep");
  const k = discoverKernel(root);
  expect(k.version).toBe("6.1.0-1-x");
  expect(k.initrd).toBeNull();
  expect(k.modules).toBeNull();
});

test("vmlinux and vmlinuz of one version are both taken, vmlinux first; initramfs and usr/lib/modules count", () => {
  touch("boot/vmlinuz-6.2.0");
  touch("boot/vmlinux-6.2.0");
  touch("boot/initramfs-6.2.0.img");
  touch("usr/lib/modules/6.2.0/modules.dep");
  const k = discoverKernel(root);
  expect(k.images).toEqual([join(root, "boot/vmlinux-6.2.0"), join(root, "boot/vmlinuz-6.2.0")]);
  expect(k.initrd).toBe(join(root, "boot/initramfs-6.2.0.img"));
  expect(k.modules).toBe(join(root, "usr/lib/modules/6.2.0"));
  expect(k.distro).toBeNull();
});

test("Fedora/Arch layout: the image inside the modules directory", () => {
  touch("usr/lib/modules/6.8.5-301.fc40.x86_64/vmlinuz");
  touch("usr/lib/modules/6.8.5-301.fc40.x86_64/modules.dep");
  const k = discoverKernel(root);
  expect(k.version).toBe("6.8.5-301.fc40.x86_64");
  expect(k.modules).toBe(join(root, "usr/lib/modules/6.8.5-301.fc40.x86_64"));
});

test("metadata.json replaces discovery and its paths must stay inside", () => {
  touch("k/bzImage");
  touch("k/initrd");
  touch("mods/6.5.0-custom/modules.dep");
  writeFileSync(
    join(root, "metadata.json"),
    JSON.stringify({ distro: "custom", arch: "amd64", kernel: "k/bzImage", initrd: "k/initrd", modules: "mods/6.5.0-custom" }),
  );
  const k = discoverKernel(root);
  expect(k).toMatchObject({ images: [join(root, "k/bzImage")], initrd: join(root, "k/initrd"), distro: "custom", arch: "amd64" });
  expect(k.version).toBe("6.5.0-custom"); // from the modules dir when nothing else says

  writeFileSync(join(root, "metadata.json"), JSON.stringify({ kernel: "../outside" }));
  expect(() => discoverKernel(root)).toThrow(/relative path inside/);
  writeFileSync(join(root, "metadata.json"), JSON.stringify({ kernel: "/etc/passwd" }));
  expect(() => discoverKernel(root)).toThrow(/relative path inside/);
  symlinkSync("/etc/passwd", join(root, "escape"));
  writeFileSync(join(root, "metadata.json"), JSON.stringify({ kernel: "escape" }));
  expect(() => discoverKernel(root)).toThrow(/resolves outside/);
  writeFileSync(join(root, "metadata.json"), JSON.stringify({ kernel: "k/bzImage", colour: "red" }));
  expect(() => discoverKernel(root)).toThrow(/colour: unknown field/);
});

test("metadata.json without paths only steers the version and labels", () => {
  touch("boot/vmlinuz-6.1.0-1-x");
  touch("boot/vmlinuz-6.1.0-2-x");
  writeFileSync(join(root, "metadata.json"), JSON.stringify({ kernel_version: "6.1.0-1-x", distro: "debian" }));
  expect(discoverKernel(root)).toMatchObject({ version: "6.1.0-1-x", distro: "debian" });
});

test("no kernel: a clear not_found naming what was looked for", () => {
  touch("lib/modules/6.1.0-1-x/modules.dep");
  expect(() => discoverKernel(root)).toThrow(/no kernel found under .*boot\/vmlinuz-\*/);
  expect(() => discoverKernel(join(root, "missing"))).toThrow(/not a directory/);
});
