import { afterAll, expect, test } from "bun:test";
import { embeddedCatalog, fetchCatalog, mergeCatalogs, parseCatalog } from "../../../src/kernels/catalog.ts";
import { serveFiles } from "../../fixtures/kernel-bundle.ts";

const sha = (c: string) => c.repeat(64);
const entry = (name: string, extra: Record<string, string> = {}) => ({
  name,
  distro: "debian",
  arch: "amd64",
  kernel_version: "6.1.0-1-x",
  url: `https://example.test/${name}.tar.zst`,
  sha256: sha("a"),
  ...extra,
});

test("the embedded catalog parses and has the default Debian cloud entry", () => {
  const entries = embeddedCatalog();
  expect(entries.map((e) => e.name)).toContain("debian-cloud-6.1");
  expect(entries.find((e) => e.name === "debian-cloud-6.1")).toMatchObject({ distro: "debian", arch: "amd64" });
});

test("URL entries win by name; order is embedded first, then new names", () => {
  const embedded = [entry("a"), entry("b")];
  const remote = [entry("b", { sha256: sha("b"), url: "https://mirror.test/b.tar.zst" }), entry("c")];
  const merged = mergeCatalogs(embedded, remote);
  expect(merged.map((e) => [e.name, e.catalog])).toEqual([["a", "embedded"], ["b", "url"], ["c", "url"]]);
  expect(merged[1]).toMatchObject({ sha256: sha("b"), url: "https://mirror.test/b.tar.zst" });
});

test("invalid catalogs name the offending field", () => {
  expect(() => parseCatalog({ kernels: [{ ...entry("a"), sha256: "xyz" }] }, "t")).toThrow(/kernels\.0\.sha256: must be 64/);
  expect(() => parseCatalog({ kernels: [{ ...entry("a"), extra: 1 }] }, "t")).toThrow(/unknown field/);
  expect(() => parseCatalog({ kernels: [entry("bad/name")] }, "t")).toThrow(/invalid kernel name/);
  expect(() => parseCatalog({ kernels: [entry("a", { url: "ftp://x/y" })] }, "t")).toThrow(/http, https or file/);
  expect(() => parseCatalog([], "t")).toThrow(/kernel catalog t/);
});

const server = serveFiles({
  "/mirror/catalog.json": new TextEncoder().encode(JSON.stringify({ kernels: [entry("rel", { url: "bundles/rel.tar.zst" })] })),
  "/broken.json": new TextEncoder().encode("{ nope"),
});
afterAll(() => server.stop());

test("a remote catalog resolves relative bundle URLs against its own URL", async () => {
  const [e] = await fetchCatalog(`${server.url}/mirror/catalog.json`);
  expect(e!.url).toBe(`${server.url}/mirror/bundles/rel.tar.zst`);
});

test("remote catalog errors are clear", async () => {
  expect(fetchCatalog(`${server.url}/missing.json`)).rejects.toThrow(/HTTP 404/);
  expect(fetchCatalog(`${server.url}/broken.json`)).rejects.toThrow(/not valid JSON/);
});
