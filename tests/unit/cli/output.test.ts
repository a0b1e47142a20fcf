import { expect, test } from "bun:test";
import { systemdUnit } from "../../../src/cli/daemon.ts";
import { formatBytes, renderTable } from "../../../src/cli/output.ts";
import { checkSocketPath, Paths } from "../../../src/config/paths.ts";

test("tables align columns and show - for empty cells", () => {
  expect(renderTable(["NAME", "ID"], [["a", null], ["longer", 7]])).toBe("NAME    ID\na       -\nlonger  7");
});

test("bytes are human sized", () => {
  expect(formatBytes(512)).toBe("512 B");
  expect(formatBytes(1536 * 1024 * 1024)).toBe("1.5 GiB");
});

test("systemd unit runs the absolute executable", () => {
  expect(systemdUnit(["/opt/banger"])).toContain("ExecStart=/opt/banger daemon run\n");
});

test("paths follow the four XDG roots and check the socket length", () => {
  const p = Paths.fromEnv({ HOME: "/h", XDG_STATE_HOME: "/s", XDG_CACHE_HOME: "/c", XDG_CONFIG_HOME: "/cf", XDG_RUNTIME_DIR: "/r" });
  expect([p.database, p.blobsDir, p.configFile, p.socket]).toEqual(["/s/banger/banger.db", "/c/banger/oci/blobs/sha256", "/cf/banger/config.toml", "/r/banger/bangerd.sock"]);
  expect(Paths.fromEnv({ HOME: "/h" }).database).toBe("/h/.local/state/banger/banger.db");
  expect(() => checkSocketPath("/" + "a".repeat(107))).toThrow("Unix socket limit");
});
