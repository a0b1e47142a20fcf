// Import the host's own Debian cloud kernel (linux-image-cloud-amd64) with `--from /`:
// vmlinux is extracted from the compressed bzImage, initrd and modules come along.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Paths } from "../../../src/config/paths.ts";
import { isCompleteElf } from "../../../src/kernels/elf.ts";
import { KernelService } from "../../../src/kernels/service.ts";
import { silentLogger } from "../../../src/log.ts";
import { installedKernel, sha256 } from "../../fixtures/kernel-bundle.ts";

const root = mkdtempSync(join(tmpdir(), "bk-imp-"));
const paths = new Paths({ config: join(root, "c"), state: join(root, "s"), cache: join(root, "k"), runtime: join(root, "r") });
afterAll(() => rmSync(root, { recursive: true, force: true }));

test(
  "kernel import --from / publishes the installed Debian cloud kernel",
  async () => {
    const host = installedKernel();
    const svc = new KernelService({ paths, catalogUrl: null, log: silentLogger });
    const started = Date.now();
    const k = await svc.import("debian-host", "/");
    console.log(`import --from / took ${Date.now() - started} ms; compression ${k.compression}`);

    expect(k).toMatchObject({ name: "debian-host", distro: "debian", arch: "amd64", kernel_version: host.version, source: "import:/" });
    expect(k.compression).not.toBe("none");
    expect(k.sha256).toBe(sha256(readFileSync(host.vmlinuz)));
    expect(Date.parse(k.imported_at)).toBeGreaterThan(started - 1000);

    const vmlinux = new Uint8Array(readFileSync(k.vmlinux));
    expect([...vmlinux.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(isCompleteElf(vmlinux)).toBe(true);
    // The uncompressed image is several times the bzImage, and tens of MiB.
    expect(vmlinux.length).toBeGreaterThan(2 * readFileSync(host.vmlinuz).length);
    expect(vmlinux.length).toBeGreaterThan(20 * 1024 * 1024);

    expect(readFileSync(k.vmlinuz!)).toEqual(readFileSync(host.vmlinuz));
    expect(readFileSync(k.initrd!).length).toBe(readFileSync(host.initrd).length);
    expect(readdirSync(k.modules!)).toEqual([host.version]);
    expect(existsSync(join(k.modules!, host.version, "kernel"))).toBe(true);
    expect(existsSync(join(k.modules!, host.version, "modules.dep"))).toBe(true);
    expect(readdirSync(join(k.modules!, host.version, "kernel")).length).toBeGreaterThan(3);

    const manifest = JSON.parse(readFileSync(join(k.dir, "manifest.json"), "utf8"));
    for (const field of ["name", "distro", "arch", "kernel_version", "sha256", "source", "imported_at"]) {
      expect(manifest[field]).toBe((k as unknown as Record<string, unknown>)[field]);
    }
    expect(readdirSync(paths.kernelsDir)).toEqual(["debian-host"]);
  },
  180_000,
);
