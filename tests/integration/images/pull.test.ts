// image pull against a REAL registry process (Debian's docker-registry on a loopback
// port): a multi-layer image (gzip, zstd and plain layers; whiteouts, an opaque dir,
// hardlinks, absolute symlinks, setuid/setgid files, device nodes, a fifo, a pax long
// name, file capabilities as xattrs) read back from the built ext4 with debugfs; a
// manifest list; a blob whose digest lies; then duplicate names, a too-small --size,
// delete and prune.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { BangerError } from "../../../src/api/errors.ts";
import { exec } from "../../../src/host/exec.ts";
import { getImage } from "../../../src/store/images.ts";
import { insertVm } from "../../../src/store/vms.ts";
import { buildImage, buildIndex, push, type BuiltImage } from "../../fixtures/oci-builder.ts";
import { startProxy, startRegistry, type TestRegistry } from "../../fixtures/registry.ts";
import { dcat, dls, dstat, e2fsckClean, KERNEL_NAME, KERNEL_VERSION, leftovers, makeInstance, type Instance } from "./helpers.ts";

const LONG = `usr/share/${"deep/".repeat(25)}long-name.txt`;
/** vfs_cap_data v2 with cap_net_raw (bit 13) permitted and effective. */
const CAP_NET_RAW = new Uint8Array([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

export function richImage(): BuiltImage {
  return buildImage({
    layers: [
      {
        compression: "gzip",
        entries: [
          { type: "dir", path: "./" },
          { type: "dir", path: "usr" },
          { type: "dir", path: "usr/lib" },
          { type: "dir", path: "usr/bin" },
          { type: "symlink", path: "lib", target: "usr/lib" },
          { type: "file", path: "usr/lib/os-release", content: 'ID=testos\nID_LIKE="debian ubuntu"\n' },
          { type: "dir", path: "etc" },
          { type: "symlink", path: "etc/os-release", target: "../usr/lib/os-release" },
          { type: "dir", path: "etc/alternatives" },
          { type: "symlink", path: "etc/alternatives/awk", target: "/usr/bin/mawk" },
          { type: "file", path: "etc/shadow", content: "root:*:1::::::\n", mode: 0o640, gid: 42 },
          { type: "dir", path: "etc/ssh" },
          { type: "file", path: "etc/ssh/ssh_host_ed25519_key", content: "baked key\n", mode: 0o600 },
          { type: "file", path: "usr/bin/su", content: "su binary", mode: 0o4755 },
          { type: "file", path: "usr/bin/chage", content: "chage binary", mode: 0o2755, gid: 42 },
          { type: "file", path: "usr/bin/perl", content: "perl binary", mode: 0o755 },
          { type: "file", path: "usr/bin/ping", content: "ping", mode: 0o755, xattrs: { "security.capability": CAP_NET_RAW, "user.note": new TextEncoder().encode("hi") } },
          { type: "hardlink", path: "usr/bin/perl5", target: "usr/bin/perl" },
          { type: "dir", path: "tmp", mode: 0o1777 },
          { type: "dir", path: "dev" },
          { type: "char", path: "dev/null", major: 1, minor: 3, mode: 0o666 },
          { type: "block", path: "dev/sda", major: 8, minor: 0, mode: 0o660, gid: 6 },
          { type: "fifo", path: "dev/initctl", mode: 0o600 },
          { type: "dir", path: "old" },
          { type: "file", path: "old/a", content: "a" },
          { type: "file", path: "old/b", content: "b" },
          { type: "dir", path: "keep" },
          { type: "file", path: "keep/x", content: "x" },
          { type: "file", path: "gone.txt", content: "bye" },
          { type: "dir", path: "home/user", uid: 1000, gid: 1000, mode: 0o750 },
          { type: "file", path: "home/user/notes", content: "mine", uid: 1000, gid: 1000, mode: 0o600 },
          { type: "dir", path: "root", mode: 0o700 },
          { type: "file", path: "root/.bashrc", content: "export PS1='vm# '\n" },
        ],
      },
      {
        compression: "zstd",
        entries: [
          { type: "whiteout", path: "gone.txt" },
          { type: "dir", path: "old" },
          { type: "opaque", path: "old" },
          { type: "file", path: "old/new", content: "new" },
          { type: "file", path: "keep/y", content: "y" },
        ],
      },
      {
        compression: "none",
        entries: [
          { type: "whiteout", path: "keep/x" },
          { type: "file", path: LONG, content: "long" },
        ],
      },
    ],
  });
}

let registry: TestRegistry;
let inst: Instance;
const rich = richImage();

beforeAll(async () => {
  registry = await startRegistry();
  inst = makeInstance();
  await push(registry.host, "test/rich", "v1", rich);
}, 60_000);

afterAll(async () => {
  inst?.cleanup();
  await registry?.stop();
});

function noStaging(): void {
  expect(leftovers(inst)).toEqual([]);
}

describe("pull of a multi-layer image", () => {
  let rootfs = "";
  let seed = "";

  test("registers the image with kernel, os-release and digests", async () => {
    const stages: string[] = [];
    const bytes = new Set<string>();
    const sink = { stage: (s: string) => void stages.push(s), bytes: (item: string) => void bytes.add(item), notice() {} };
    const row = await inst.images.pull(`${registry.host}/test/rich:v1`, { kernel: KERNEL_NAME }, sink);
    expect(row.name).toBe("rich-v1");
    expect(row.source).toBe("pull");
    expect(row.ref).toBe(`${registry.host}/test/rich:v1`);
    expect(row.manifestDigest).toBe(rich.manifest.digest);
    expect(row.configDigest).toBe(rich.config.digest);
    expect(row.kernelName).toBe(KERNEL_NAME);
    expect([row.osId, row.osLike]).toEqual(["testos", "debian ubuntu"]);
    expect(stages).toEqual(expect.arrayContaining(["resolve", "download", "flatten", "inject", "ext4", "work_seed", "register"]));
    for (const l of rich.layers) expect(bytes.has(l.digest)).toBe(true);
    rootfs = row.rootfsPath;
    seed = row.workSeedPath!;
    expect(rootfs).toBe(join(inst.paths.imageDir(row.id), "rootfs.ext4"));
    noStaging();
  }, 60_000);

  test("both filesystems pass e2fsck -fn", async () => {
    expect((await e2fsckClean(rootfs)).output).not.toContain("UNEXPECTED");
    expect((await e2fsckClean(rootfs)).ok).toBe(true);
    expect((await e2fsckClean(seed)).ok).toBe(true);
  }, 30_000);

  test("ownership, setuid/setgid, sticky bits and modes survive", async () => {
    expect(await dstat(rootfs, "/usr/bin/su")).toMatchObject({ mode: 0o4755, uid: 0, gid: 0 });
    expect(await dstat(rootfs, "/usr/bin/chage")).toMatchObject({ mode: 0o2755, uid: 0, gid: 42 });
    expect(await dstat(rootfs, "/etc/shadow")).toMatchObject({ mode: 0o640, gid: 42 });
    expect(await dstat(rootfs, "/tmp")).toMatchObject({ type: "directory", mode: 0o1777 });
    expect(await dstat(rootfs, "/home/user")).toMatchObject({ mode: 0o750, uid: 1000, gid: 1000 });
    expect(await dstat(rootfs, "/home/user/notes")).toMatchObject({ mode: 0o600, uid: 1000, gid: 1000 });
    expect(await dstat(rootfs, "/")).toMatchObject({ mode: 0o755, uid: 0, gid: 0 });
  }, 30_000);

  test("symlinks, hardlinks, device nodes, a fifo, a long name, xattrs", async () => {
    expect(await dstat(rootfs, "/lib")).toMatchObject({ type: "symlink", linkTarget: "usr/lib", uid: 0 });
    expect(await dstat(rootfs, "/etc/alternatives/awk")).toMatchObject({ type: "symlink", linkTarget: "/usr/bin/mawk" });
    const perl = (await dstat(rootfs, "/usr/bin/perl"))!;
    const perl5 = (await dstat(rootfs, "/usr/bin/perl5"))!;
    expect(perl5.inode).toBe(perl.inode);
    expect(perl.links).toBe(2);
    expect(await dstat(rootfs, "/dev/null")).toMatchObject({ type: "character special", mode: 0o666, device: "1:3" });
    expect(await dstat(rootfs, "/dev/sda")).toMatchObject({ type: "block special", mode: 0o660, gid: 6, device: "8:0" });
    expect(await dstat(rootfs, "/dev/initctl")).toMatchObject({ type: "FIFO", mode: 0o600 });
    expect(await dcat(rootfs, `/${LONG}`)).toBe("long");
    const xattrs = (await exec(["debugfs", "-R", "ea_list /usr/bin/ping", rootfs])).stdout;
    expect(xattrs).toContain("security.capability (20) = 01 00 00 02 00 20 00 00");
    expect(xattrs).toContain('user.note (2) = "hi"');
  }, 30_000);

  test("whiteouts and the opaque dir hide lower layers", async () => {
    expect(await dstat(rootfs, "/gone.txt")).toBeNull();
    expect((await dls(rootfs, "/old")).sort()).toEqual(["new"]);
    expect((await dls(rootfs, "/keep")).sort()).toEqual(["y"]);
  }, 30_000);

  test("guest files, modules through /lib -> usr/lib, host keys stripped", async () => {
    expect(await dstat(rootfs, "/usr/local/bin/banger-agent")).toMatchObject({ type: "regular", mode: 0o755, uid: 0, gid: 0 });
    expect(await dcat(rootfs, "/etc/ssh/sshd_config.d/00-banger.conf")).toContain("PermitRootLogin prohibit-password");
    expect(await dstat(rootfs, "/usr/local/lib/banger/firstboot.sh")).toMatchObject({ mode: 0o755 });
    expect(await dstat(rootfs, "/etc/ssh/ssh_host_ed25519_key")).toBeNull();
    expect(await dcat(rootfs, `/usr/lib/modules/${KERNEL_VERSION}/modules.dep`)).toContain("virtio_test.ko");
    expect(await dstat(rootfs, `/usr/lib/modules/${KERNEL_VERSION}/build`)).toMatchObject({ type: "symlink", uid: 0 });
    expect(await dstat(rootfs, `/usr/lib/modules/${KERNEL_VERSION}/kernel/drivers/virtio/virtio_test.ko`)).toMatchObject({ uid: 0, gid: 0 });
  }, 30_000);

  test("the work-seed holds /root, 0700 and root-owned", async () => {
    expect(await dstat(seed, "/")).toMatchObject({ mode: 0o700, uid: 0, gid: 0 });
    expect(await dcat(seed, "/.bashrc")).toContain("PS1");
    expect(await dstat(seed, "/.bashrc")).toMatchObject({ uid: 0, gid: 0 });
  }, 30_000);
});

test("a manifest list resolves to linux/amd64", async () => {
  const marker = (arch: string) => buildImage({ architecture: arch, layers: [{ entries: [{ type: "file", path: "arch.txt", content: arch }] }] });
  await push(registry.host, "test/multi", "latest", buildIndex([marker("arm64"), marker("amd64")]));
  const row = await inst.images.pull(`${registry.host}/test/multi`, { kernel: KERNEL_NAME });
  expect(row.name).toBe("multi");
  expect(await dcat(row.rootfsPath, "/arch.txt")).toBe("amd64");
}, 60_000);

test("a single-platform image for another architecture is refused", async () => {
  const arm = buildImage({ architecture: "arm64", layers: [{ entries: [{ type: "file", path: "a", content: "a" }] }] });
  await push(registry.host, "test/armonly", "v1", arm);
  const err = await inst.images.pull(`${registry.host}/test/armonly:v1`, { kernel: KERNEL_NAME }).catch((e) => e);
  expect(err.message).toContain("linux/arm64 image; this host needs linux/amd64");
  noStaging();
}, 60_000);

test("a blob whose digest lies fails the pull and never enters the cache", async () => {
  const image = buildImage({ layers: [{ entries: [{ type: "file", path: "data.bin", content: "x".repeat(50_000) }] }] });
  await push(registry.host, "test/liar", "v1", image);
  const proxy = await startProxy({ upstream: registry.host, corrupt: image.layers[0]!.digest });
  try {
    const before = inst.images.list().length;
    const err = await inst.images.pull(`${proxy.host}/test/liar:v1`, { kernel: KERNEL_NAME }).catch((e) => e);
    expect(err).toBeInstanceOf(BangerError);
    expect(err.code).toBe("invalid_content");
    expect(err.message).toContain(`blob ${image.layers[0]!.digest} failed digest verification`);
    expect(existsSync(inst.images.cache.path(image.layers[0]!.digest))).toBe(false);
    expect(readdirSync(join(inst.paths.ociDir, "ingest"))).toEqual([]);
    expect(inst.images.list().length).toBe(before);
    noStaging();
  } finally {
    await proxy.stop();
  }
}, 60_000);

test("duplicate names are a conflict and write nothing", async () => {
  const dirs = readdirSync(inst.paths.imagesDir).sort();
  const err = await inst.images.pull(`${registry.host}/test/rich:v1`, { kernel: KERNEL_NAME }).catch((e) => e);
  expect(err.code).toBe("conflict");
  expect(err.message).toBe('an image named "rich-v1" already exists');
  expect(readdirSync(inst.paths.imagesDir).sort()).toEqual(dirs);
}, 30_000);

test("--size smaller than the content is a usage error; staging is removed", async () => {
  const err = await inst.images.pull(`${registry.host}/test/rich:v1`, { name: "tiny", sizeBytes: 1024 * 1024, kernel: KERNEL_NAME }).catch((e) => e);
  expect(err.code).toBe("usage");
  expect(err.message).toContain("is too small");
  expect(inst.images.list().some((i) => i.name === "tiny")).toBe(false);
  noStaging();
}, 30_000);

test("--size is honoured; an unknown kernel fails before any download", async () => {
  const row = await inst.images.pull(`${registry.host}/test/rich:v1`, { name: "sized", sizeBytes: 1536 * 1024 * 1024, kernel: KERNEL_NAME });
  expect(row.rootfsSizeBytes).toBe(1536 * 1024 * 1024);
  expect(Bun.file(row.rootfsPath).size).toBe(1536 * 1024 * 1024);
  const err = await inst.images.pull(`${registry.host}/test/rich:v1`, { name: "nokernel", kernel: "no-such-kernel" }).catch((e) => e);
  expect(err.code).toBe("not_found");
  expect(err.message).toContain('kernel "no-such-kernel"');
  noStaging();
}, 60_000);

test("concurrent ensure() calls share one pull", async () => {
  const image = buildImage({ layers: [{ entries: [{ type: "file", path: "shared", content: "one" }] }] });
  await push(registry.host, "test/shared", "v1", image);
  const ref = `${registry.host}/test/shared:v1`;
  const [a, b] = await Promise.all([inst.images.ensure(ref), inst.images.ensure(ref)]);
  expect(a.id).toBe(b.id);
  expect((await inst.images.ensure("shared-v1")).id).toBe(a.id);
}, 60_000);

test("delete is refused while a VM uses the image, then removes its files", async () => {
  const row = inst.images.show("sized");
  const vm = insertVm(inst.db, { name: "user-vm", imageId: row.id, vmm: "qemu", vcpu: 1, memoryMib: 512, diskSizeBytes: 1 << 30, nat: false });
  const err = await inst.images.delete("sized").catch((e) => e);
  expect(err.code).toBe("conflict");
  expect(err.message).toContain("user-vm");
  expect(existsSync(row.rootfsPath)).toBe(true);
  inst.db.$client.run("DELETE FROM vms WHERE id = ?", [vm.id]);
  await inst.images.delete("sized");
  expect(getImage(inst.db, row.id)).toBeUndefined();
  expect(existsSync(inst.paths.imageDir(row.id))).toBe(false);
}, 30_000);

test("cache prune keeps what registered images use and frees the rest", async () => {
  const multi = inst.images.show("multi");
  const blobs = () => readdirSync(inst.images.cache.blobsDir).length;
  await inst.images.delete("multi");
  const dry = await inst.images.pruneCache(true);
  expect(dry.dry_run).toBe(true);
  expect(dry.blobs).toBeGreaterThan(0);
  expect(dry.freed_bytes).toBeGreaterThan(0);
  expect(dry.dir).toBe(inst.paths.ociDir);
  const count = blobs();
  const real = await inst.images.pruneCache(false);
  expect(real.blobs).toBe(dry.blobs);
  expect(blobs()).toBe(count - real.blobs);
  expect(existsSync(inst.images.cache.path(multi.manifestDigest!))).toBe(false);
  // the rich image's blobs stay: re-pulling it under a new name needs no layer download
  for (const d of [rich.manifest.digest, rich.config.digest, ...rich.layers.map((l) => l.digest)]) {
    expect(existsSync(inst.images.cache.path(d))).toBe(true);
  }
  expect((await inst.images.pruneCache(false)).blobs).toBe(0);
  expect(readdirSync(inst.paths.ociDir).filter((n) => n.startsWith(".pruning"))).toEqual([]);
}, 60_000);
