// The image catalog (F47): friendly names -> registry reference + kernel, embedded from
// assets/catalog/images.json, optionally extended by the JSON at config
// `image_catalog_url` (same shape; its entries win by name).
import * as v from "valibot";
import embedded from "../../assets/catalog/images.json" with { type: "json" };
import { BangerError } from "../api/errors.ts";
import { IMAGE_NAME_RE, type ImageCatalogEntry } from "../api/images.ts";

const EntrySchema = v.strictObject({
  name: v.pipe(v.string(), v.regex(IMAGE_NAME_RE, "invalid image name")),
  ref: v.pipe(v.string(), v.minLength(1)),
  kernel: v.pipe(v.string(), v.minLength(1)),
  description: v.optional(v.string()),
});

const CatalogSchema = v.strictObject({
  default_kernel: v.pipe(v.string(), v.minLength(1)),
  images: v.array(EntrySchema),
});

export interface ImageCatalog {
  /** Kernel for images pulled by plain reference without --kernel. */
  defaultKernel: string;
  entries: ImageCatalogEntry[];
}

export function parseImageCatalog(raw: unknown, source: string): ImageCatalog {
  const parsed = v.safeParse(CatalogSchema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const why = issue.type === "strict_object" ? "unknown field" : issue.message;
    throw new BangerError("invalid_content", `image catalog ${source}: ${v.getDotPath(issue) ?? "document"}: ${why}`);
  }
  return { defaultKernel: parsed.output.default_kernel, entries: parsed.output.images };
}

export function embeddedImageCatalog(): ImageCatalog {
  return parseImageCatalog(embedded, "(embedded)");
}

/** Pure: later catalogs win by name; the default kernel comes from the last one. */
export function mergeImageCatalogs(base: ImageCatalog, extra: ImageCatalog | null): ImageCatalog {
  if (!extra) return base;
  const byName = new Map(base.entries.map((e) => [e.name, e]));
  for (const e of extra.entries) byName.set(e.name, e);
  return { defaultKernel: extra.defaultKernel, entries: [...byName.values()] };
}

export async function fetchImageCatalog(url: string): Promise<ImageCatalog> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new BangerError("unavailable", `cannot read image catalog ${url}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new BangerError("unavailable", `cannot read image catalog ${url}: HTTP ${res.status}`);
  const raw = await res.json().catch(() => {
    throw new BangerError("invalid_content", `image catalog ${url} is not valid JSON`);
  });
  return parseImageCatalog(raw, url);
}

/** The embedded catalog plus the URL one; a URL failure is reported, not fatal. */
export async function loadImageCatalog(url: string | null): Promise<{ catalog: ImageCatalog; error: string | null }> {
  const base = embeddedImageCatalog();
  if (!url) return { catalog: base, error: null };
  try {
    return { catalog: mergeImageCatalogs(base, await fetchImageCatalog(url)), error: null };
  } catch (err) {
    return { catalog: base, error: (err as Error).message };
  }
}
