// Two processes, two connections, allocating at the same time: never the same IP twice,
// and a VM both of them ask for gets one address, not two.
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseIpv4 } from "../../../src/config/ipv4.ts";
import { closeDatabase, openDatabase } from "../../../src/store/db.ts";
import { listIpAllocations } from "../../../src/store/ips.ts";
import { sampleImage, sampleVm, tempDir } from "./helpers.ts";

const dir = tempDir();
const children: Bun.Subprocess[] = [];
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  dir.cleanup();
});

test(
  "concurrent allocation from two connections never yields the same IP",
  async () => {
    const dbPath = join(dir.path, "banger.db");
    const startFile = join(dir.path, "go");
    const db = openDatabase(dbPath);
    const image = sampleImage(db);
    const ids = Array.from({ length: 90 }, (_, i) => sampleVm(db, image.id, { name: `vm${i}` }).id);
    const shared = ids.slice(0, 10);
    const [mine, theirs] = [ids.slice(10, 50), ids.slice(50)];

    const worker = join(import.meta.dir, "alloc-worker.ts");
    const spawnWorker = (vmIds: string[]) => {
      const child = Bun.spawn([process.execPath, worker, dbPath, "172.30.0.0/24", startFile, ...vmIds], {
        stdout: "pipe",
        stderr: "pipe",
      });
      children.push(child);
      return child;
    };
    const a = spawnWorker([...shared, ...mine]);
    const b = spawnWorker([...shared.toReversed(), ...theirs]);
    await Bun.sleep(300); // both connections open and waiting
    writeFileSync(startFile, "");

    const outputs = await Promise.all(
      [a, b].map(async (child) => {
        const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
        expect(err).toBe("");
        expect(code).toBe(0);
        return JSON.parse(out) as Record<string, string>;
      }),
    );

    for (const id of shared) expect(outputs[0]![id]).toBe(outputs[1]![id]!);
    const rows = listIpAllocations(db);
    expect(rows.length).toBe(ids.length);
    expect(new Set(rows.map((r) => r.ip)).size).toBe(ids.length);
    expect(new Set(rows.map((r) => r.vmId)).size).toBe(ids.length);
    const values = rows.map((r) => parseIpv4(r.ip)!).sort((x, y) => x - y);
    // Lowest-first with no gaps: exactly .2 .. .91.
    expect(values[0]).toBe(parseIpv4("172.30.0.2")!);
    expect(values.at(-1)).toBe(parseIpv4("172.30.0.91")!);
    closeDatabase(db);
  },
  30_000,
);
