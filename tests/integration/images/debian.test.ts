// A real Debian bookworm image (mmdebstrap rootfs -> OCI image -> a real registry) pulled
// into a registered image: e2fsck-clean rootfs, setuid-root and setgid binaries intact,
// Debian's group ownerships, merged-/usr module injection, os-release, work-seed.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { debianImage, pushDebianImage, type DebianImage } from "../../fixtures/debian-image.ts";
import { startRegistry, type TestRegistry } from "../../fixtures/registry.ts";
import { dcat, dls, dstat, e2fsckClean, KERNEL_NAME, KERNEL_VERSION, leftovers, makeInstance, type Instance } from "./helpers.ts";

let registry: TestRegistry;
let inst: Instance;
let debian: DebianImage;
let ref: string;

beforeAll(async () => {
  registry = await startRegistry();
  ref = await pushDebianImage(registry.host);
  debian = await debianImage();
  inst = makeInstance();
}, 20 * 60_000);

afterAll(async () => {
  inst?.cleanup();
  await registry?.stop();
});

test("pull gives a registered, e2fsck-clean Debian image with its setuid binaries", async () => {
  const started = performance.now();
  const row = await inst.images.pull(ref, { kernel: KERNEL_NAME });
  const secs = (performance.now() - started) / 1000;
  process.stderr.write(`debian pull+flatten+ext4: ${secs.toFixed(1)} s (${(debian.tarBytes / 1e6 / secs).toFixed(1)} MB/s of rootfs)\n`);
  expect(row).toMatchObject({ name: "debian-bookworm", osId: "debian", manifestDigest: debian.manifestDigest, kernelName: KERNEL_NAME });
  expect(row.rootfsSizeBytes).toBe(1024 ** 3);
  expect(leftovers(inst)).toEqual([]);
  const fsck = await e2fsckClean(row.rootfsPath);
  expect(fsck.output).toContain("Pass 5");
  expect(fsck.ok).toBe(true);
  const rootfs = row.rootfsPath;
  expect(await dstat(rootfs, "/usr/bin/passwd")).toMatchObject({ type: "regular", mode: 0o4755, uid: 0, gid: 0 });
  expect(await dstat(rootfs, "/usr/bin/sudo")).toMatchObject({ type: "regular", mode: 0o4755, uid: 0, gid: 0 });
  expect(await dstat(rootfs, "/usr/bin/chage")).toMatchObject({ mode: 0o2755, uid: 0, gid: 42 });
  expect(await dstat(rootfs, "/etc/shadow")).toMatchObject({ mode: 0o640, uid: 0, gid: 42 });
  expect(await dstat(rootfs, "/tmp")).toMatchObject({ mode: 0o1777 });
  expect(await dstat(rootfs, "/dev/null")).toMatchObject({ type: "character special", device: "1:3" });
  expect(await dstat(rootfs, "/lib")).toMatchObject({ type: "symlink", linkTarget: "usr/lib" });
  expect(await dcat(rootfs, `/usr/lib/modules/${KERNEL_VERSION}/modules.dep`)).toContain("virtio_test.ko");
  expect(await dstat(rootfs, "/usr/local/bin/banger-agent")).toMatchObject({ mode: 0o755, uid: 0 });
  expect((await dls(rootfs, "/etc/ssh")).filter((n) => n.startsWith("ssh_host_"))).toEqual([]);
  expect((await e2fsckClean(row.workSeedPath!)).ok).toBe(true);
  expect(await dls(row.workSeedPath!, "/")).toEqual(expect.arrayContaining([".bashrc", ".profile"]));
  expect(await dstat(row.workSeedPath!, "/")).toMatchObject({ mode: 0o700, uid: 0, gid: 0 });
}, 10 * 60_000);
