// `metadata.json` at the root of an import directory or a kernel bundle: optional hints
// that replace discovery. Every path in it is relative to that root and must stay inside
// it — a bundle's metadata must not be able to make us copy host files into the catalog.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { isAbsolute, join, sep } from "node:path";
import * as v from "valibot";
import { BangerError } from "../api/errors.ts";

const relPath = v.pipe(v.string(), v.minLength(1));

export const MetadataSchema = v.strictObject({
  /** Informational; the name given to `import`/`pull` wins. */
  name: v.optional(v.string()),
  distro: v.optional(v.string()),
  arch: v.optional(v.string()),
  kernel_version: v.optional(v.string()),
  /** The kernel image: an ELF vmlinux or a compressed bzImage. */
  kernel: v.optional(relPath),
  /** An ELF vmlinux shipped next to a compressed `kernel`. */
  vmlinux: v.optional(relPath),
  initrd: v.optional(relPath),
  /** The lib/modules/<version> directory. */
  modules: v.optional(relPath),
});

export type KernelMetadata = v.InferOutput<typeof MetadataSchema>;

export const METADATA_FILE = "metadata.json";

/** Parsed metadata.json of `root`, or null when there is none. */
export function readMetadata(root: string): KernelMetadata | null {
  const file = join(root, METADATA_FILE);
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new BangerError("usage", `${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = v.safeParse(MetadataSchema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const field = v.getDotPath(issue) ?? "metadata";
    const why = issue.type === "strict_object" ? "unknown field" : issue.message;
    throw new BangerError("usage", `${file}: ${field}: ${why}`);
  }
  return parsed.output;
}

/** Resolve a metadata path under `root`, refusing anything that leaves it (also via links). */
export function resolveInside(root: string, rel: string, field: string): string {
  if (isAbsolute(rel) || rel.split(/[\\/]/).includes("..")) {
    throw new BangerError("usage", `${METADATA_FILE}: ${field} "${rel}" must be a relative path inside the kernel tree`);
  }
  const path = join(root, rel);
  if (!existsSync(path)) throw new BangerError("not_found", `${METADATA_FILE}: ${field} "${rel}" does not exist`);
  const realRoot = realpathSync(root);
  const real = realpathSync(path);
  if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) {
    throw new BangerError("usage", `${METADATA_FILE}: ${field} "${rel}" resolves outside the kernel tree`);
  }
  return path;
}
