// Manifests, indexes and image configs in their Docker schema2 and OCI forms: media types,
// parsing with valibot (a malformed document is invalid_content, never a crash), and the
// choice of one platform from a manifest list / OCI index.
import * as v from "valibot";
import { BangerError } from "../api/errors.ts";

export const MEDIA = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
} as const;

/** Accept header for manifest requests: every manifest and index type we understand. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(", ");

const LAYER_TYPES = new Set<string>([
  MEDIA.dockerLayerGzip,
  MEDIA.ociLayer,
  MEDIA.ociLayerGzip,
  MEDIA.ociLayerZstd,
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
]);

const DIGEST = v.pipe(v.string(), v.regex(/^sha256:[a-f0-9]{64}$/, "must be a sha256 digest"));

const Descriptor = v.object({
  mediaType: v.string(),
  digest: DIGEST,
  size: v.pipe(v.number(), v.integer(), v.minValue(0)),
  platform: v.optional(
    v.object({ os: v.string(), architecture: v.string(), variant: v.optional(v.string()) }),
  ),
  annotations: v.optional(v.record(v.string(), v.string())),
});
export type Descriptor = v.InferOutput<typeof Descriptor>;

const ImageManifest = v.object({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.string()),
  config: Descriptor,
  layers: v.array(Descriptor),
});
export type ImageManifest = v.InferOutput<typeof ImageManifest>;

const ImageIndex = v.object({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.string()),
  manifests: v.array(Descriptor),
});
export type ImageIndex = v.InferOutput<typeof ImageIndex>;

const ImageConfig = v.object({
  architecture: v.optional(v.string()),
  os: v.optional(v.string()),
  rootfs: v.optional(v.object({ type: v.string(), diff_ids: v.array(v.string()) })),
});
export type ImageConfig = v.InferOutput<typeof ImageConfig>;

export type ParsedManifest = { kind: "index"; index: ImageIndex } | { kind: "manifest"; manifest: ImageManifest };

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new BangerError("invalid_content", `${what} is not valid JSON`);
  }
}

function check<T extends v.GenericSchema>(schema: T, raw: unknown, what: string): v.InferOutput<T> {
  const r = v.safeParse(schema, raw);
  if (r.success) return r.output;
  const issue = r.issues[0];
  throw new BangerError("invalid_content", `${what} is malformed: ${v.getDotPath(issue) ?? "document"}: ${issue.message}`);
}

/** A manifest or index; `contentType` (the HTTP header) is a fallback for a missing mediaType. */
export function parseManifest(bytes: Uint8Array, contentType: string | null, what: string): ParsedManifest {
  const raw = parseJson(bytes, what) as { mediaType?: unknown; manifests?: unknown; schemaVersion?: unknown };
  if (raw?.schemaVersion === 1) {
    throw new BangerError("invalid_content", `${what} is a Docker schema 1 manifest, which banger does not support`);
  }
  const type = typeof raw?.mediaType === "string" ? raw.mediaType : (contentType ?? "").split(";")[0]!.trim();
  const isIndex = type === MEDIA.ociIndex || type === MEDIA.dockerList || (!type && Array.isArray(raw?.manifests));
  if (isIndex) return { kind: "index", index: check(ImageIndex, raw, what) };
  const manifest = check(ImageManifest, raw, what);
  for (const layer of manifest.layers) {
    if (!LAYER_TYPES.has(layer.mediaType)) {
      throw new BangerError("invalid_content", `${what}: layer ${layer.digest} has unsupported media type ${layer.mediaType}`);
    }
  }
  return { kind: "manifest", manifest };
}

export function parseConfig(bytes: Uint8Array, what: string): ImageConfig {
  return check(ImageConfig, parseJson(bytes, what), what);
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** "linux/amd64" or "linux/arm64/v8" -> Platform. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split("/");
  if (!os || !architecture) throw new BangerError("usage", `invalid platform "${text}": use os/arch[/variant]`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** The index entry for `want`; a missing variant in the request matches any variant. */
export function selectPlatform(index: ImageIndex, want: Platform, what: string): Descriptor {
  const candidates = index.manifests.filter(
    (m) =>
      m.platform?.os === want.os &&
      m.platform.architecture === want.architecture &&
      (!want.variant || m.platform.variant === want.variant),
  );
  const found = candidates[0];
  if (found) return found;
  const offered = index.manifests
    .map((m) => (m.platform ? [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join("/") : "unknown"))
    .join(", ");
  const label = [want.os, want.architecture, want.variant].filter(Boolean).join("/");
  throw new BangerError("not_found", `${what} has no ${label} image (it offers: ${offered || "nothing"})`);
}
