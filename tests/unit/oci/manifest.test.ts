import { expect, test } from "bun:test";
import { MEDIA, parseConfig, parseManifest, parsePlatform, selectPlatform } from "../../../src/oci/manifest.ts";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const manifest = {
  schemaVersion: 2,
  mediaType: MEDIA.dockerManifest,
  config: { mediaType: MEDIA.dockerConfig, digest: d("c"), size: 10 },
  layers: [{ mediaType: MEDIA.dockerLayerGzip, digest: d("1"), size: 5 }],
};
const index = {
  schemaVersion: 2,
  manifests: [
    { mediaType: MEDIA.ociManifest, digest: d("a"), size: 1, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
    { mediaType: MEDIA.ociManifest, digest: d("b"), size: 1, platform: { os: "linux", architecture: "amd64" } },
    { mediaType: MEDIA.ociManifest, digest: d("e"), size: 1, platform: { os: "linux", architecture: "arm", variant: "v7" } },
  ],
};

test("manifests and indexes by mediaType, content type or shape", () => {
  expect(parseManifest(enc(manifest), null, "m").kind).toBe("manifest");
  expect(parseManifest(enc({ ...index, mediaType: MEDIA.dockerList }), null, "i").kind).toBe("index");
  expect(parseManifest(enc(index), `${MEDIA.ociIndex}; charset=utf-8`, "i").kind).toBe("index");
  expect(parseManifest(enc(index), null, "i").kind).toBe("index");
  const { mediaType: _, ...noType } = manifest;
  expect(parseManifest(enc(noType), MEDIA.ociManifest, "m").kind).toBe("manifest");
});

test("malformed documents are invalid_content naming the problem", () => {
  expect(() => parseManifest(new TextEncoder().encode("{"), null, "manifest of x")).toThrow("manifest of x is not valid JSON");
  expect(() => parseManifest(enc({ schemaVersion: 1, fsLayers: [] }), null, "m")).toThrow("Docker schema 1 manifest");
  expect(() => parseManifest(enc({ ...manifest, config: { ...manifest.config, digest: "sha256:xyz" } }), null, "m")).toThrow("m is malformed: config.digest");
  const weird = { ...manifest, layers: [{ mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", digest: d("1"), size: 1 }] };
  expect(() => parseManifest(enc(weird), null, "m")).toThrow("unsupported media type application/vnd.cncf.helm.chart");
  expect(() => parseConfig(enc({ rootfs: { type: "layers", diff_ids: "nope" } }), "cfg")).toThrow("cfg is malformed: rootfs.diff_ids");
});

test("platform selection", () => {
  const i = parseManifest(enc(index), null, "i");
  if (i.kind !== "index") throw new Error("expected an index");
  expect(selectPlatform(i.index, parsePlatform("linux/amd64"), "x").digest).toBe(d("b"));
  expect(selectPlatform(i.index, parsePlatform("linux/arm64"), "x").digest).toBe(d("a"));
  expect(selectPlatform(i.index, parsePlatform("linux/arm/v7"), "x").digest).toBe(d("e"));
  expect(() => selectPlatform(i.index, parsePlatform("linux/riscv64"), "img")).toThrow(
    "img has no linux/riscv64 image (it offers: linux/arm64/v8, linux/amd64, linux/arm/v7)",
  );
  expect(parsePlatform("linux/arm64/v8")).toEqual({ os: "linux", architecture: "arm64", variant: "v8" });
  expect(() => parsePlatform("linux")).toThrow("invalid platform");
});
