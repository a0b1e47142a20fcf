// The OCI blob cache: an OCI image layout (oci-layout, index.json, blobs/sha256/<hex>)
// under the cache dir. A blob is written to a temp file in the same filesystem, its sha256
// and size are checked, and only then is it renamed in: the cache never holds a partial,
// truncated or unverified blob (an empty file can only match the digest of empty content).
// Cached blobs are re-hashed before use; a corrupt one is removed so the caller fetches it
// again. Pins keep the blobs of in-flight pulls safe from prune.
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { BangerError } from "../api/errors.ts";

export function hexOf(digest: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new BangerError("invalid_content", `unsupported digest "${digest}" (only sha256 is supported)`);
  return digest.slice(7);
}

export interface PruneResult {
  freed_bytes: number;
  blobs: number;
  dir: string;
  dry_run: boolean;
}

export class BlobCache {
  private readonly pins = new Map<string, number>();
  private readonly writing = new Set<string>();

  constructor(readonly dir: string) {}

  get blobsDir(): string {
    return join(this.dir, "blobs", "sha256");
  }

  private get ingestDir(): string {
    return join(this.dir, "ingest");
  }

  /** Create the layout files once; harmless to call again. */
  ensureLayout(): void {
    mkdirSync(this.blobsDir, { recursive: true, mode: 0o755 });
    mkdirSync(this.ingestDir, { recursive: true, mode: 0o700 });
    const layout = join(this.dir, "oci-layout");
    if (!existsSync(layout)) writeFileSync(layout, JSON.stringify({ imageLayoutVersion: "1.0.0" }) + "\n");
    const index = join(this.dir, "index.json");
    if (!existsSync(index)) writeFileSync(index, JSON.stringify({ schemaVersion: 2, manifests: [] }) + "\n");
  }

  path(digest: string): string {
    return join(this.blobsDir, hexOf(digest));
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  /**
   * True when the cached blob hashes to its name (and has `size`, when given). A corrupt
   * blob is removed and false returned, so the caller can fetch it again.
   */
  async verify(digest: string, size?: number): Promise<boolean> {
    const path = this.path(digest);
    if (!existsSync(path)) return false;
    const hasher = new Bun.CryptoHasher("sha256");
    let bytes = 0;
    for await (const chunk of Bun.file(path).stream()) {
      hasher.update(chunk);
      bytes += chunk.length;
    }
    if (hasher.digest("hex") === hexOf(digest) && (size === undefined || size === bytes)) return true;
    rmSync(path, { force: true });
    return false;
  }

  /** The verified bytes of a small cached blob (manifest, config), or null when absent/corrupt. */
  async readVerified(digest: string): Promise<Uint8Array | null> {
    const path = this.path(digest);
    if (!existsSync(path)) return null;
    const bytes = await Bun.file(path).bytes();
    if (new Bun.CryptoHasher("sha256").update(bytes).digest("hex") === hexOf(digest)) return bytes;
    rmSync(path, { force: true });
    return null;
  }

  /** Store bytes already in memory under their own digest. */
  putBytes(bytes: Uint8Array): string {
    const w = this.writer(null);
    w.write(bytes);
    return w.commit();
  }

  /**
   * A writer for one blob. With `digest`, commit() refuses content that does not hash to it
   * (and a `size` mismatch); without, the blob is stored under whatever it hashes to.
   */
  writer(digest: string | null, size: number | null = null): BlobWriter {
    this.ensureLayout();
    const name = `${digest ? hexOf(digest) : "new"}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const tmp = join(this.ingestDir, name);
    this.writing.add(tmp);
    return new BlobWriter(tmp, digest, size, (hex) => {
      const dest = join(this.blobsDir, hex);
      renameSync(tmp, dest);
      this.writing.delete(tmp);
      return dest;
    }, () => this.writing.delete(tmp));
  }

  /** Keep `digests` out of prune until the returned function is called. */
  pin(digests: Iterable<string>): () => void {
    const list = [...digests];
    for (const d of list) this.pins.set(d, (this.pins.get(d) ?? 0) + 1);
    return () => {
      for (const d of list) {
        const n = (this.pins.get(d) ?? 1) - 1;
        if (n <= 0) this.pins.delete(d);
        else this.pins.set(d, n);
      }
    };
  }

  /**
   * Remove every blob not in `keep` (nor pinned), plus stale temp files. Blobs are first
   * renamed into a private aside dir, then deleted, so a reader never sees a half-removed
   * blob and a pull starting meanwhile simply fetches what it needs again.
   */
  prune(keep: ReadonlySet<string>, dryRun: boolean): PruneResult {
    const victims = this.blobNames().filter((hex) => !keep.has(`sha256:${hex}`) && !this.pins.has(`sha256:${hex}`));
    const sizes = victims.map((hex) => sizeOr0(join(this.blobsDir, hex)));
    const stale = this.staleIngest();
    const freed = sizes.reduce((a, b) => a + b, 0) + stale.reduce((a, f) => a + sizeOr0(f), 0);
    const result = { freed_bytes: freed, blobs: victims.length, dir: this.dir, dry_run: dryRun };
    if (dryRun || (victims.length === 0 && stale.length === 0)) return result;
    const aside = join(this.dir, `.pruning-${process.pid}-${Date.now().toString(36)}`);
    mkdirSync(aside, { mode: 0o700 });
    try {
      for (const hex of victims) {
        try {
          renameSync(join(this.blobsDir, hex), join(aside, hex));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        }
      }
      for (const f of stale) rmSync(f, { force: true });
    } finally {
      rmSync(aside, { recursive: true, force: true });
    }
    return result;
  }

  private blobNames(): string[] {
    if (!existsSync(this.blobsDir)) return [];
    return readdirSync(this.blobsDir).filter((n) => /^[a-f0-9]{64}$/.test(n));
  }

  /** Temp files no writer of this process owns: leftovers of a crash. */
  private staleIngest(): string[] {
    if (!existsSync(this.ingestDir)) return [];
    return readdirSync(this.ingestDir)
      .map((n) => join(this.ingestDir, n))
      .filter((f) => !this.writing.has(f));
  }
}

function sizeOr0(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** A temp file being filled with one blob while it is hashed. */
export class BlobWriter {
  private fd: number;
  private hasher = new Bun.CryptoHasher("sha256");
  private done = false;
  offset = 0;

  constructor(
    readonly tmp: string,
    private readonly digest: string | null,
    private readonly size: number | null,
    private readonly publish: (hex: string) => string,
    private readonly release: () => void,
  ) {
    this.fd = openSync(tmp, "w", 0o644);
  }

  write(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
    this.hasher.update(chunk);
    this.offset += chunk.length;
  }

  /** Start over (the server ignored a range request): empty file, fresh hash. */
  restart(): void {
    ftruncateSync(this.fd, 0);
    this.hasher = new Bun.CryptoHasher("sha256");
    this.offset = 0;
  }

  /** Verify and rename into the cache; returns the digest. On mismatch the temp file is removed. */
  commit(): string {
    closeSync(this.fd);
    this.done = true;
    const hex = this.hasher.digest("hex");
    const label = this.digest ?? `sha256:${hex}`;
    const fail = (why: string): never => {
      rmSync(this.tmp, { force: true });
      this.release();
      throw new BangerError("invalid_content", `blob ${label} ${why}; it was not cached`, { digest: label, actual: `sha256:${hex}` });
    };
    if (this.digest && hex !== hexOf(this.digest)) fail(`failed digest verification: its content hashes to sha256:${hex}`);
    if (this.size !== null && this.offset !== this.size) fail(`has ${this.offset} bytes, expected ${this.size}`);
    this.publish(hex);
    return `sha256:${hex}`;
  }

  abort(): void {
    if (!this.done) closeSync(this.fd);
    this.done = true;
    rmSync(this.tmp, { force: true });
    this.release();
  }
}
