// Every schema migration, in order, embedded as text so the compiled binary carries them
// (drizzle's stock migrator reads a journal from disk, which a single executable lacks).
// A migration's version is its 1-based position here and becomes PRAGMA user_version
// once applied; the file prefix is drizzle-kit's own 0-based counter (0000_init.sql is
// version 1). Append only: never edit or reorder a released migration.
import init from "./0000_init.sql" with { type: "text" };

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [{ version: 1, name: "0000_init", sql: init }];

export const LATEST_VERSION = MIGRATIONS.length;
