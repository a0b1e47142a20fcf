// Opening the database. Every connection gets the same pragmas (F20): WAL so readers do
// not block the writer, a busy timeout so concurrent writers wait instead of failing, and
// foreign keys, which SQLite leaves OFF per connection unless asked.
import { Database } from "bun:sqlite";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import { BangerError } from "../api/errors.ts";
import { migrate } from "./migrate.ts";
import * as schema from "./schema.ts";

export const BUSY_TIMEOUT_MS = 5000;

export type Db = BunSQLiteDatabase<typeof schema> & { $client: Database };
/** A Db or a transaction on one: what helpers that run inside transactions accept. */
export type Queryable = BaseSQLiteDatabase<"sync", void, typeof schema>;

/** A raw connection with the pragmas applied and no migration run. */
export function openConnection(path: string): Database {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fresh = !existsSync(path);
  let client: Database;
  try {
    client = new Database(path, { create: true, readwrite: true, strict: true });
  } catch (err) {
    throw new BangerError("precondition", `cannot open database ${path}: ${(err as Error).message}`, { path });
  }
  if (fresh) chmodSync(path, 0o600);
  applyPragmas(client, path);
  return client;
}

function applyPragmas(client: Database, path: string): void {
  // busy_timeout first, so switching the journal mode waits for other connections.
  client.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const mode = client.query("PRAGMA journal_mode = WAL").get() as { journal_mode: string };
  if (mode.journal_mode.toLowerCase() !== "wal") {
    client.close();
    throw new BangerError("precondition", `database ${path} cannot use WAL journaling (got ${mode.journal_mode})`, { path });
  }
  client.run("PRAGMA foreign_keys = ON");
}

/** The daemon's entry point: a connection, migrated to the newest schema, wrapped in drizzle. */
export function openDatabase(path: string): Db {
  const client = openConnection(path);
  try {
    migrate(client);
  } catch (err) {
    client.close();
    throw err;
  }
  return drizzle({ client, schema });
}

export function closeDatabase(db: Db): void {
  db.$client.close();
}
