// A one-layer OCI image layout (uncompressed layer) made from a root filesystem tar, for
// `banger image import`: blobs/sha256/{layer,config,manifest}, index.json, oci-layout.
// The layer blob is a hard link to the tar when both are on one filesystem.
import { copyFileSync, linkSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface OciLayout {
  dir: string;
  /** The tag recorded as org.opencontainers.image.ref.name. */
  tag: string;
  manifestDigest: string;
  layerBytes: number;
}

async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}

function putBlob(dir: string, data: string): { digest: string; size: number } {
  const hex = new Bun.CryptoHasher("sha256").update(data).digest("hex");
  writeFileSync(join(dir, "blobs", "sha256", hex), data);
  return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
}

export async function ociLayoutFromTar(tar: string, dir: string, tag = "latest"): Promise<OciLayout> {
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  const layerHex = await sha256File(tar);
  const layerPath = join(dir, "blobs", "sha256", layerHex);
  try {
    linkSync(tar, layerPath);
  } catch {
    copyFileSync(tar, layerPath);
  }
  const layerBytes = Bun.file(tar).size;
  const config = putBlob(dir, JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: { Cmd: ["/bin/bash"], Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
    rootfs: { type: "layers", diff_ids: [`sha256:${layerHex}`] },
  }));
  const manifest = putBlob(dir, JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${layerHex}`, size: layerBytes }],
  }));
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(dir, "index.json"), JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{
      mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest,
      annotations: { "org.opencontainers.image.ref.name": tag },
    }],
  }));
  return { dir, tag, manifestDigest: manifest.digest, layerBytes };
}
