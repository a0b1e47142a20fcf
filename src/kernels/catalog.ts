// Kernel catalogs: the embedded assets/catalog/kernels.json plus, optionally, the JSON at
// config `kernel_catalog_url` (same shape). Entries are merged by name; URL entries win.
// Relative bundle URLs in a remote catalog resolve against the catalog's own URL, so a
// mirror is just a directory with catalog.json next to its bundles.
import * as v from "valibot";
import embedded from "../../assets/catalog/kernels.json" with { type: "json" };
import { BangerError } from "../api/errors.ts";
import type { AvailableKernel, KernelCatalogEntry } from "../api/kernels.ts";
import { isValidKernelName } from "./names.ts";

const EntrySchema = v.strictObject({
  name: v.pipe(v.string(), v.check(isValidKernelName, "invalid kernel name")),
  distro: v.string(),
  arch: v.string(),
  kernel_version: v.string(),
  url: v.pipe(v.string(), v.minLength(1)),
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits")),
});

export const CatalogSchema = v.strictObject({ kernels: v.array(EntrySchema) });

export type CatalogEntry = Omit<AvailableKernel, "local">;

/** Validate a catalog document; `base` resolves relative bundle URLs. */
export function parseCatalog(raw: unknown, source: string, base?: string): KernelCatalogEntry[] {
  const parsed = v.safeParse(CatalogSchema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const why = issue.type === "strict_object" ? "unknown field" : issue.message;
    throw new BangerError("invalid_content", `kernel catalog ${source}: ${v.getDotPath(issue) ?? "document"}: ${why}`);
  }
  return parsed.output.kernels.map((e) => ({ ...e, url: resolveUrl(e.url, base, source) }));
}

function resolveUrl(url: string, base: string | undefined, source: string): string {
  let resolved: URL;
  try {
    resolved = base ? new URL(url, base) : new URL(url);
  } catch {
    throw new BangerError("invalid_content", `kernel catalog ${source}: bad url "${url}"`);
  }
  if (!["http:", "https:", "file:"].includes(resolved.protocol)) {
    throw new BangerError("invalid_content", `kernel catalog ${source}: url "${url}" must be http, https or file`);
  }
  return resolved.href;
}

/** Merge by name, later lists winning; order: embedded order, then new names. */
export function mergeCatalogs(embeddedEntries: KernelCatalogEntry[], urlEntries: KernelCatalogEntry[]): CatalogEntry[] {
  const merged = new Map<string, CatalogEntry>();
  for (const e of embeddedEntries) merged.set(e.name, { ...e, catalog: "embedded" });
  for (const e of urlEntries) merged.set(e.name, { ...e, catalog: "url" });
  return [...merged.values()];
}

export function embeddedCatalog(): KernelCatalogEntry[] {
  return parseCatalog(embedded, "(embedded)");
}

/** GET and parse the catalog at `url`. */
export async function fetchCatalog(url: string): Promise<KernelCatalogEntry[]> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new BangerError("unavailable", `cannot read kernel catalog ${url}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new BangerError("unavailable", `cannot read kernel catalog ${url}: HTTP ${res.status}`);
  let raw: unknown;
  try {
    raw = await res.json();
  } catch {
    throw new BangerError("invalid_content", `kernel catalog ${url} is not valid JSON`);
  }
  return parseCatalog(raw, url, url);
}
