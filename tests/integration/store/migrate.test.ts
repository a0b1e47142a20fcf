// Fresh and upgraded databases must end identical (F20), and an older binary must refuse
// a newer database instead of guessing.
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BangerError } from "../../../src/api/errors.ts";
import { closeDatabase, openConnection, openDatabase } from "../../../src/store/db.ts";
import { listImages } from "../../../src/store/images.ts";
import { listIpAllocations } from "../../../src/store/ips.ts";
import { migrate, schemaVersion } from "../../../src/store/migrate.ts";
import { LATEST_VERSION, MIGRATIONS, type Migration } from "../../../src/store/migrations/index.ts";
import { listVms } from "../../../src/store/vms.ts";
import { normalizedSchema, tempDir } from "./helpers.ts";

const dir = tempDir();
afterAll(() => dir.cleanup());
let n = 0;
const dbPath = () => join(dir.path, `db-${++n}.sqlite`);

function freshSchema(migrations: readonly Migration[] = MIGRATIONS): string[] {
  const client = openConnection(dbPath());
  migrate(client, migrations);
  const schema = normalizedSchema(client);
  client.close();
  return schema;
}

/** A database file loaded from the frozen version-1 fixture. */
function fixtureDb(): string {
  const path = dbPath();
  const client = new Database(path, { create: true });
  client.run(readFileSync(join(import.meta.dir, "fixtures", "v1.sql"), "utf8"));
  client.close();
  return path;
}

describe("migrations", () => {
  test("a fresh database reaches the latest version", () => {
    const client = openConnection(dbPath());
    expect(migrate(client)).toEqual({ from: 0, to: LATEST_VERSION });
    expect(migrate(client)).toEqual({ from: LATEST_VERSION, to: LATEST_VERSION });
    client.close();
  });

  test("for every k, migrating to k and then to latest equals migrating in one go", () => {
    const expected = freshSchema();
    expect(expected.some((line) => line.startsWith("table vms "))).toBe(true);
    for (let k = 0; k <= LATEST_VERSION; k++) {
      const client = openConnection(dbPath());
      migrate(client, MIGRATIONS, k);
      expect(schemaVersion(client)).toBe(k);
      migrate(client);
      expect(normalizedSchema(client)).toEqual(expected);
      client.close();
    }
  });

  test("the version-1 fixture upgrades in place to the fresh schema and keeps its rows", () => {
    const db = openDatabase(fixtureDb());
    expect(schemaVersion(db.$client)).toBe(LATEST_VERSION);
    expect(normalizedSchema(db.$client)).toEqual(freshSchema());
    expect(listImages(db).map((i) => i.name)).toEqual(["debian", "custom"]);
    const vms = listVms(db);
    expect(vms.map((v) => [v.name, v.nat, v.desiredState, v.guestCid])).toEqual([
      ["dev", true, "running", 3],
      ["ci", false, "stopped", 4],
    ]);
    expect(vms[1]!.lastError).toBe("agent did not answer");
    expect(listIpAllocations(db).map((a) => a.ip)).toEqual(["172.30.0.2", "172.30.0.3"]);
    closeDatabase(db);
  });

  // The shipped list has one migration today; this proves the upgrade path a later
  // migration will take, on the same fixture, with a migration shaped like the real ones.
  test("a later additive migration upgrades the fixture to the same schema as a fresh database", () => {
    const next: Migration[] = [
      ...MIGRATIONS,
      { version: LATEST_VERSION + 1, name: "test_vm_note", sql: "ALTER TABLE `vms` ADD `note` text;" },
    ];
    const client = openConnection(fixtureDb());
    expect(migrate(client, next)).toEqual({ from: 1, to: next.length });
    expect(normalizedSchema(client)).toEqual(freshSchema(next));
    const rows = client.query("SELECT name, note FROM vms ORDER BY name").all();
    expect(rows).toEqual([
      { name: "ci", note: null },
      { name: "dev", note: null },
    ]);
    client.close();
  });

  test("a database newer than this build is refused with a clear error", () => {
    const path = dbPath();
    const raw = new Database(path, { create: true });
    raw.run(`PRAGMA user_version = ${LATEST_VERSION + 1}`);
    raw.close();
    let error: unknown;
    try {
      openDatabase(path);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BangerError);
    expect((error as BangerError).code).toBe("precondition");
    expect((error as BangerError).message).toBe(
      `database ${path} is at schema version ${LATEST_VERSION + 1}, newer than this banger build supports (${LATEST_VERSION}); upgrade banger`,
    );
  });

  test("a failing migration rolls back entirely and names itself", () => {
    const broken: Migration[] = [
      ...MIGRATIONS,
      { version: LATEST_VERSION + 1, name: "broken", sql: "CREATE TABLE t1 (x);\nTHIS IS NOT SQL;" },
    ];
    const client = openConnection(dbPath());
    expect(() => migrate(client, broken)).toThrow(/migration broken failed on /);
    expect(schemaVersion(client)).toBe(LATEST_VERSION);
    expect(client.query("SELECT name FROM sqlite_master WHERE name = 't1'").all()).toEqual([]);
    client.close();
  });

  test("two connections migrating the same new file apply each migration once", () => {
    const path = dbPath();
    const a = openConnection(path);
    const b = openConnection(path);
    migrate(a);
    expect(migrate(b)).toEqual({ from: LATEST_VERSION, to: LATEST_VERSION });
    a.close();
    b.close();
  });
});
