// guest-agent/build.ts: a static binary well under 1 MB, version stamped, clear errors.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentCompileArgs, buildAgent } from "../../../guest-agent/build.ts";

const dir = mkdtempSync(join(tmpdir(), "banger-agent-build-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("buildAgent", () => {
  test("builds a static, small, version-stamped binary", async () => {
    const out = join(dir, "sub", "banger-agent");
    const res = await buildAgent({ out, version: "1.2.3-rc.1+abc" });
    expect(res.path).toBe(out);
    expect(res.compiler).toMatch(/(musl-gcc|gcc)$/);
    expect(statSync(out).size).toBeLessThan(1024 * 1024);
    const ldd = Bun.spawnSync(["ldd", out], { stderr: "pipe" });
    expect(ldd.stdout.toString() + ldd.stderr.toString()).toMatch(/not a dynamic executable|statically linked/);
    const v = Bun.spawnSync([out, "version"]).stdout.toString();
    expect(v).toBe("banger-agent 1.2.3-rc.1+abc\n");
  }, 60_000);

  test("compile argv: static, -Os, version macro", () => {
    const argv = agentCompileArgs("/usr/bin/musl-gcc", "/o/a", "0.1.0", ["/s/a.c"]);
    expect(argv.slice(0, 3)).toEqual(["/usr/bin/musl-gcc", "-static", "-Os"]);
    expect(argv).toContain('-DBANGER_VERSION="0.1.0"');
    expect(argv.slice(-3)).toEqual(["-o", "/o/a", "/s/a.c"]);
  });

  test("a compile error throws with the compiler's stderr", async () => {
    const src = join(dir, "broken");
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, "main.c"), "int main(void) { return undefined_symbol_xyz; }\n");
    const err = await buildAgent({ out: join(dir, "x"), version: "1", srcDir: src }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain("guest agent build failed");
    expect((err as Error).message).toContain("undefined_symbol_xyz");
  }, 60_000);

  test("rejects a version that would break the C string", async () => {
    const err = await buildAgent({ out: join(dir, "y"), version: 'x"; evil' }).catch((e: Error) => e);
    expect((err as Error).message).toContain("unsupported characters");
  });
});
