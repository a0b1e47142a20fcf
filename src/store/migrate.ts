// A tiny forward-only migrator keyed on PRAGMA user_version. Each migration runs in its
// own BEGIN IMMEDIATE transaction and re-reads the version inside it, so two processes
// opening the same database at once apply every migration exactly once.
import type { Database } from "bun:sqlite";
import { BangerError } from "../api/errors.ts";
import { MIGRATIONS, type Migration } from "./migrations/index.ts";

export interface MigrationResult {
  from: number;
  to: number;
}

export function schemaVersion(client: Database): number {
  const row = client.query("PRAGMA user_version").get() as { user_version: number };
  return row.user_version;
}

/**
 * Bring `client` up to `target` (default: the newest migration). Refuses a database
 * whose version is newer than this build knows: an older binary must not guess at a
 * schema it has never seen.
 */
export function migrate(
  client: Database,
  migrations: readonly Migration[] = MIGRATIONS,
  target: number = migrations.length,
): MigrationResult {
  checkSequence(migrations);
  const from = schemaVersion(client);
  if (from > migrations.length) {
    throw new BangerError(
      "precondition",
      `database ${client.filename} is at schema version ${from}, newer than this banger build supports (${migrations.length}); upgrade banger`,
      { path: client.filename, version: from, supported: migrations.length },
    );
  }
  for (const m of migrations) {
    if (m.version <= from || m.version > target) continue;
    applyOne(client, m);
  }
  return { from, to: schemaVersion(client) };
}

function applyOne(client: Database, m: Migration): void {
  const run = client.transaction(() => {
    if (schemaVersion(client) >= m.version) return; // another connection got here first
    client.run(m.sql);
    // PRAGMA takes no bound parameters; the version is an integer we own.
    client.run(`PRAGMA user_version = ${Math.trunc(m.version)}`);
  });
  try {
    run.immediate();
  } catch (err) {
    throw new BangerError("internal", `migration ${m.name} failed on ${client.filename}: ${(err as Error).message}`, {
      path: client.filename,
      migration: m.name,
    });
  }
}

/** Versions must be exactly 1..n: a gap or duplicate would skip or re-run SQL. */
export function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new BangerError("internal", `migration ${m.name} has version ${m.version}, expected ${i + 1}`);
    }
  });
}
