// `banger kernel ...` through the compiled binary and its daemon: config.toml's
// kernel_catalog_url overrides the embedded placeholder entry, --json everywhere,
// exit codes and one-line errors.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Instance } from "../../helpers/instance.ts";
import { installedKernel, installedKernelBundle, serveFiles, type FileServer } from "../../fixtures/kernel-bundle.ts";

let inst: Instance;
let server: FileServer;
let version: string;

beforeAll(async () => {
  inst = new Instance();
  const bundle = await installedKernelBundle();
  version = bundle.version;
  const catalog = {
    kernels: [{ name: "debian-cloud-6.1", distro: "debian", arch: "amd64", kernel_version: version, url: "k.tar.zst", sha256: bundle.sha256 }],
  };
  server = serveFiles({ "/catalog.json": new TextEncoder().encode(JSON.stringify(catalog)), "/k.tar.zst": bundle.path });
  mkdirSync(dirname(inst.configFile), { recursive: true });
  writeFileSync(inst.configFile, `kernel_catalog_url = "${server.url}/catalog.json"\n`);
}, 300_000);

afterAll(async () => {
  await inst?.cleanup();
  server?.stop();
});

test(
  "pull from the configured catalog, then list/show/rm with --json",
  async () => {
    const pulled = await inst.json(["kernel", "pull", "debian-cloud-6.1"], { timeoutMs: 240_000 });
    expect(pulled).toMatchObject({ name: "debian-cloud-6.1", kernel_version: version, source: `${server.url}/k.tar.zst` });

    const listed = await inst.json(["kernel", "list", "--available"]);
    expect(listed.kernels.map((k: { name: string }) => k.name)).toEqual(["debian-cloud-6.1"]);
    expect(listed.available).toEqual([expect.objectContaining({ name: "debian-cloud-6.1", local: true, catalog: "url" })]);
    expect(listed.catalog_error).toBeNull();

    const shown = await inst.json(["kernel", "show", "debian-cloud-6.1"]);
    expect(shown.vmlinux).toBe(join(inst.stateDir, "kernels", "debian-cloud-6.1", "vmlinux"));

    const table = await inst.ok(["kernel", "list"]);
    expect(table.split("\n")[0]).toMatch(/^NAME\s+VERSION\s+DISTRO\s+ARCH\s+SIZE\s+SOURCE\s+IMPORTED$/);

    const again = await inst.run(["kernel", "pull", "debian-cloud-6.1"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('banger: kernel "debian-cloud-6.1" already exists (use --force to replace it)\n');

    expect(await inst.json(["kernel", "rm", "debian-cloud-6.1"])).toEqual({ removed: "debian-cloud-6.1" });
    expect(readdirSync(join(inst.stateDir, "kernels"))).toEqual([]);
  },
  300_000,
);

test(
  "import --from / of the host kernel; progress goes to stderr, the result to stdout",
  async () => {
    const r = await inst.run(["kernel", "import", "host", "--from", "/"], { timeoutMs: 240_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`kernel host: ${installedKernel().version} (debian/amd64) with initrd, modules\n`);
    expect(r.stderr).toContain("extracting vmlinux from vmlinuz-");
    expect(existsSync(join(inst.stateDir, "kernels", "host", "vmlinux"))).toBe(true);
  },
  300_000,
);

test("bad input: usage errors exit 2, missing kernels exit 1, one line each", async () => {
  const bad = await inst.run(["kernel", "import", "../etc", "--from", "/"]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^banger: invalid kernel name "\.\.\/etc": use letters, digits/);
  const missing = await inst.run(["kernel", "show", "nope"]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe('banger: kernel "nope" not found (see `banger kernel list --available`)\n');
  const notInCatalog = await inst.run(["kernel", "pull", "nope"]);
  expect(notInCatalog.code).toBe(1);
  // Progress lines come first on stderr; the error is exactly one final line.
  const lines = notInCatalog.stderr.trim().split("\n");
  expect(lines.filter((l) => l.startsWith("banger:"))).toEqual([lines.at(-1)!]);
  expect(lines.at(-1)).toContain('kernel "nope" is not in the kernel catalog');
});
