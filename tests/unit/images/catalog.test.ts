import { expect, test } from "bun:test";
import { pruneLine } from "../../../src/cli/image.ts";
import { embeddedImageCatalog, mergeImageCatalogs, parseImageCatalog } from "../../../src/images/catalog.ts";
import { isValidImageName, validateImageName } from "../../../src/images/names.ts";
import { parseRef } from "../../../src/oci/ref.ts";

test("the embedded catalog is valid: debian -> a bookworm ref with the debian cloud kernel", () => {
  const c = embeddedImageCatalog();
  expect(c.defaultKernel).toBe("debian-cloud-6.1");
  const debian = c.entries.find((e) => e.name === "debian")!;
  expect(debian.kernel).toBe("debian-cloud-6.1");
  expect(parseRef(debian.ref)).toMatchObject({ repository: "library/debian", tag: "bookworm" });
  for (const e of c.entries) expect(() => parseRef(e.ref)).not.toThrow();
});

test("catalog documents are checked; later catalogs win by name", () => {
  expect(() => parseImageCatalog({ default_kernel: "k", images: [{ name: "x", ref: "x", kernel: "k", extra: 1 }] }, "u")).toThrow("image catalog u: images.0.extra: unknown field");
  expect(() => parseImageCatalog({ default_kernel: "k", images: [{ name: "bad name", ref: "x", kernel: "k" }] }, "u")).toThrow("invalid image name");
  const base = parseImageCatalog({ default_kernel: "k1", images: [{ name: "a", ref: "a:1", kernel: "k1" }, { name: "b", ref: "b:1", kernel: "k1" }] }, "e");
  const extra = parseImageCatalog({ default_kernel: "k2", images: [{ name: "b", ref: "b:2", kernel: "k2" }, { name: "c", ref: "c:1", kernel: "k2" }] }, "u");
  const merged = mergeImageCatalogs(base, extra);
  expect(merged.defaultKernel).toBe("k2");
  expect(merged.entries.map((e) => `${e.name}=${e.ref}`)).toEqual(["a=a:1", "b=b:2", "c=c:1"]);
  expect(mergeImageCatalogs(base, null)).toBe(base);
});

test("image names", () => {
  for (const ok of ["debian", "debian-bookworm", "a.b_c-1", "0x"]) expect(isValidImageName(ok)).toBe(true);
  for (const bad of ["", "-x", ".x", "a/b", "a b", "é", "x".repeat(65)]) expect(isValidImageName(bad)).toBe(false);
  expect(() => validateImageName("a/b")).toThrow('invalid image name "a/b"');
});

test("the prune line", () => {
  expect(pruneLine({ freed_bytes: 1288490189, blobs: 47, dir: "/c/oci", dry_run: false })).toBe("freed 1.2 GiB across 47 blob(s) in /c/oci");
  expect(pruneLine({ freed_bytes: 0, blobs: 0, dir: "/c/oci", dry_run: true })).toBe("would free 0 B across 0 blob(s) in /c/oci");
});
