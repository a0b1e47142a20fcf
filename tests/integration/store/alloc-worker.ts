// Child process for the concurrent-allocation test: opens its own connection, waits for
// the start file (so both workers race), allocates an IP for each VM id, prints them.
// argv: <db path> <subnet> <start file> <vm id>...
import { existsSync } from "node:fs";
import { closeDatabase, openDatabase } from "../../../src/store/db.ts";
import { allocateIp } from "../../../src/store/ips.ts";

const [dbPath, subnet, startFile, ...vmIds] = process.argv.slice(2);
const db = openDatabase(dbPath!);
while (!existsSync(startFile!)) await Bun.sleep(5);
const result: Record<string, string> = {};
for (const id of vmIds) result[id] = allocateIp(db, id, subnet!);
closeDatabase(db);
console.log(JSON.stringify(result));
