// image register: an existing ext4 rootfs (made here with mkfs.ext4 -d, merged /usr with
// /lib -> usr/lib) adopted with explicit kernel files or a catalog kernel; the user's file
// is never modified; flag combinations that make no sense are usage errors.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec } from "../../../src/host/exec.ts";
import { dcat, dstat, e2fsckClean, KERNEL_NAME, KERNEL_VERSION, leftovers, makeInstance, type Instance } from "./helpers.ts";

let inst: Instance;
let rootfs: string;
let hash: string;

const sha = (file: string) => new Bun.CryptoHasher("sha256").update(readFileSync(file)).digest("hex");

beforeAll(async () => {
  inst = makeInstance();
  const tree = join(inst.root, "tree");
  for (const d of ["usr/lib", "usr/bin", "etc/ssh", "root"]) mkdirSync(join(tree, d), { recursive: true });
  symlinkSync("usr/lib", join(tree, "lib"));
  writeFileSync(join(tree, "usr/lib/os-release"), 'NAME="Void"\nID="void"\n');
  symlinkSync("../usr/lib/os-release", join(tree, "etc/os-release"));
  writeFileSync(join(tree, "etc/ssh/ssh_host_rsa_key"), "baked\n");
  writeFileSync(join(tree, "root/.profile"), "echo hi\n");
  rootfs = join(inst.root, "user-rootfs.ext4");
  await exec(["truncate", "-s", "256M", rootfs]);
  await exec(["mkfs.ext4", "-q", "-F", "-d", tree, rootfs]);
  hash = sha(rootfs);
}, 60_000);

afterAll(() => inst?.cleanup());

test("with --kernel/--initrd/--modules: files copied, guest files and modules injected", async () => {
  const kernel = join(inst.root, "vmlinuz");
  const initrd = join(inst.root, "initrd.img");
  writeFileSync(kernel, "kernel bytes");
  writeFileSync(initrd, "initrd bytes");
  const row = await inst.images.register({ name: "void", rootfs, kernel, initrd, modules: join(inst.kernelDir, "modules") });
  const dir = inst.paths.imageDir(row.id);
  expect(row).toMatchObject({ source: "register", ref: null, kernelName: null, osId: "void" });
  expect(row.kernelPath).toBe(join(dir, "kernel"));
  expect(row.initrdPath).toBe(join(dir, "initrd.img"));
  expect(readFileSync(row.kernelPath!, "utf8")).toBe("kernel bytes");
  expect(row.modulesPath).toBe(join(inst.kernelDir, "modules"));
  expect(row.rootfsPath).toBe(join(dir, "rootfs.ext4"));
  expect(await dstat(row.rootfsPath, "/usr/local/bin/banger-agent")).toMatchObject({ mode: 0o755, uid: 0, gid: 0 });
  expect(await dstat(row.rootfsPath, "/usr/local/bin")).toMatchObject({ type: "directory", mode: 0o755, uid: 0 });
  expect(await dcat(row.rootfsPath, "/etc/ssh/sshd_config.d/00-banger.conf")).toContain("PasswordAuthentication no");
  expect(await dstat(row.rootfsPath, "/etc/ssh/ssh_host_rsa_key")).toBeNull();
  expect(await dcat(row.rootfsPath, `/usr/lib/modules/${KERNEL_VERSION}/modules.dep`)).toContain("virtio_test.ko");
  expect(await dstat(row.rootfsPath, `/usr/lib/modules/${KERNEL_VERSION}/build`)).toMatchObject({ type: "symlink" });
  expect(await dstat(row.rootfsPath, "/lib")).toMatchObject({ type: "symlink", linkTarget: "usr/lib" });
  expect((await e2fsckClean(row.rootfsPath)).ok).toBe(true);
  expect(await dcat(row.workSeedPath!, "/.profile")).toBe("echo hi\n");
  expect(await dstat(row.workSeedPath!, "/")).toMatchObject({ mode: 0o700, uid: 0 });
  expect(sha(rootfs)).toBe(hash);
}, 60_000);

test("with --kernel-ref: the catalog kernel's modules are injected", async () => {
  const row = await inst.images.register({ name: "void-ref", rootfs, kernelRef: KERNEL_NAME });
  expect(row).toMatchObject({ kernelName: KERNEL_NAME, kernelPath: null, initrdPath: null, modulesPath: null });
  expect(await dcat(row.rootfsPath, `/usr/lib/modules/${KERNEL_VERSION}/modules.dep`)).toContain("virtio_test.ko");
  expect(sha(rootfs)).toBe(hash);
}, 60_000);

test("kernel flags: exclusive, required, existing", async () => {
  const both = await inst.images.register({ name: "x", rootfs, kernelRef: KERNEL_NAME, kernel: "/vmlinuz" }).catch((e) => e);
  expect([both.code, both.message]).toEqual(["usage", "--kernel-ref and --kernel/--initrd/--modules are mutually exclusive"]);
  const onlyModules = await inst.images.register({ name: "x", rootfs, kernelRef: KERNEL_NAME, modules: "/m" }).catch((e) => e);
  expect(onlyModules.code).toBe("usage");
  const none = await inst.images.register({ name: "x", rootfs }).catch((e) => e);
  expect(none.message).toContain("a kernel is required");
  const missing = await inst.images.register({ name: "x", rootfs, kernel: join(inst.root, "nope") }).catch((e) => e);
  expect(missing.message).toBe(`--kernel ${join(inst.root, "nope")} is not a file`);
  const noRootfs = await inst.images.register({ name: "x", rootfs: join(inst.root, "none.ext4"), kernelRef: KERNEL_NAME }).catch((e) => e);
  expect(noRootfs.message).toBe(`--rootfs ${join(inst.root, "none.ext4")} is not a file`);
  const noModules = await inst.images.register({ name: "x", rootfs, kernel: rootfs, modules: join(inst.root, "nomods") }).catch((e) => e);
  expect(noModules.message).toBe(`--modules ${join(inst.root, "nomods")} is not a directory`);
  const dup = await inst.images.register({ name: "void", rootfs, kernelRef: KERNEL_NAME }).catch((e) => e);
  expect(dup.code).toBe("conflict");
  const badName = await inst.images.register({ name: "bad/name", rootfs, kernelRef: KERNEL_NAME }).catch((e) => e);
  expect(badName.message).toContain('invalid image name "bad/name"');
}, 30_000);

test("a rootfs that is not ext4 is refused and nothing is left", async () => {
  const junk = join(inst.root, "junk.img");
  writeFileSync(junk, new Uint8Array(1024 * 1024));
  const err = await inst.images.register({ name: "junk", rootfs: junk, kernelRef: KERNEL_NAME }).catch((e) => e);
  expect(err.code).toBe("usage");
  expect(err.message).toContain("is not a clean ext4 filesystem");
  expect(leftovers(inst)).toEqual([]);
  expect(inst.images.list().map((i) => i.name).sort()).toEqual(["void", "void-ref"]);
}, 30_000);
