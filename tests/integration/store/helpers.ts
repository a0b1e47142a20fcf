// Shared setup for store tests: a temp dir per suite, real SQLite files inside it.
import type { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { insertImage, type NewImage } from "../../../src/store/images.ts";
import type { Db } from "../../../src/store/db.ts";
import { insertVm, type NewVm } from "../../../src/store/vms.ts";

export function tempDir(prefix = "banger-store-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** sqlite_master without rootpage, whitespace-normalized, in a stable order. */
export function normalizedSchema(client: Database): string[] {
  const rows = client
    .query("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
    .all() as { type: string; name: string; tbl_name: string; sql: string | null }[];
  return rows.map((r) => `${r.type} ${r.name} ${r.tbl_name} ${(r.sql ?? "").replace(/\s+/g, " ").trim()}`);
}

export function sampleImage(db: Db, over: Partial<NewImage> = {}) {
  return insertImage(db, {
    name: "debian",
    source: "pull",
    ref: "docker.io/library/debian:bookworm",
    rootfsPath: "/state/images/x/rootfs.ext4",
    rootfsSizeBytes: 1 << 30,
    ...over,
  });
}

export function sampleVm(db: Db, imageId: string, over: Partial<NewVm> = {}) {
  return insertVm(db, {
    name: "dev",
    imageId,
    vmm: "qemu",
    vcpu: 2,
    memoryMib: 2048,
    diskSizeBytes: 8 * 1024 ** 3,
    nat: false,
    ...over,
  });
}
