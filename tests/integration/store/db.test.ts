// Every connection carries the F20 pragmas, and the drizzle schema matches the migrated
// database column by column (so hand-written or generated migrations cannot drift).
import { afterAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { BUSY_TIMEOUT_MS, closeDatabase, openDatabase } from "../../../src/store/db.ts";
import { images, ipAllocations, vms } from "../../../src/store/schema.ts";
import { tempDir } from "./helpers.ts";

const dir = tempDir();
afterAll(() => dir.cleanup());

describe("openDatabase", () => {
  test("every connection has WAL, busy_timeout and foreign_keys", () => {
    const path = join(dir.path, "state", "banger.db");
    const first = openDatabase(path);
    const second = openDatabase(path);
    for (const db of [first, second]) {
      const c = db.$client;
      expect(c.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
      expect(c.query("PRAGMA busy_timeout").get()).toEqual({ timeout: BUSY_TIMEOUT_MS });
      expect(c.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    }
    closeDatabase(first);
    closeDatabase(second);
  });

  test("creates the parent directory 0700 and the file 0600", () => {
    const path = join(dir.path, "nested", "deeper", "banger.db");
    closeDatabase(openDatabase(path));
    expect(statSync(join(dir.path, "nested", "deeper")).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

interface DbColumn {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

describe("schema.ts agrees with the migrated database", () => {
  const db = openDatabase(join(dir.path, "schema.db"));
  afterAll(() => closeDatabase(db));

  const tables: SQLiteTable[] = [images, vms, ipAllocations];

  test("same set of tables", () => {
    const names = db.$client
      .query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => (r as { name: string }).name);
    expect(names).toEqual(tables.map((t) => getTableConfig(t).name).sort());
  });

  test.each(tables.map((t) => [getTableConfig(t).name, t] as const))("table %s: same columns, types, nullability, keys", (name, table) => {
    const cfg = getTableConfig(table);
    const fromDb = (db.$client.query(`PRAGMA table_info(${name})`).all() as DbColumn[]).map((c) => ({
      name: c.name,
      type: c.type.toLowerCase(),
      notNull: c.notnull === 1,
      primaryKey: c.pk > 0,
    }));
    const fromSchema = cfg.columns.map((c) => ({
      name: c.name,
      type: c.getSQLType().toLowerCase(),
      notNull: c.notNull,
      primaryKey: c.primary,
    }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(fromDb.sort(byName)).toEqual(fromSchema.sort(byName));
  });

  test.each(tables.map((t) => [getTableConfig(t).name, t] as const))("table %s: same unique columns and foreign keys", (name, table) => {
    const cfg = getTableConfig(table);
    const uniqueInDb = (db.$client.query(`PRAGMA index_list(${name})`).all() as { name: string; unique: number; origin: string }[])
      .filter((i) => i.unique === 1 && i.origin !== "pk")
      .map((i) => (db.$client.query(`PRAGMA index_info(${i.name})`).all() as { name: string }[]).map((c) => c.name).join(","))
      .sort();
    const uniqueInSchema = cfg.columns.filter((c) => c.isUnique).map((c) => c.name).sort();
    expect(uniqueInDb).toEqual(uniqueInSchema);

    const fkInDb = (db.$client.query(`PRAGMA foreign_key_list(${name})`).all() as { table: string; from: string; to: string; on_delete: string }[])
      .map((f) => `${f.from}->${f.table}.${f.to} ${f.on_delete.toLowerCase()}`)
      .sort();
    const fkInSchema = cfg.foreignKeys
      .map((fk) => {
        const ref = fk.reference();
        const to = getTableConfig(ref.foreignTable).name;
        return `${ref.columns[0]!.name}->${to}.${ref.foreignColumns[0]!.name} ${fk.onDelete ?? "no action"}`;
      })
      .sort();
    expect(fkInDb).toEqual(fkInSchema);
  });
});
