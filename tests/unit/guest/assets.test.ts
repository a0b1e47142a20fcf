import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AGENT_GUEST_PATH, GUEST_LIB_DIR } from "../../../src/api/guest.ts";
import {
  AGENT_FILE,
  FIRSTBOOT_PATH,
  GUEST_FILES,
  GUEST_STRIP_GLOBS,
  HOSTKEYS_DROPIN_PATH,
  HOSTKEYS_SCRIPT_PATH,
} from "../../../src/guest/assets.ts";

describe("guest assets list", () => {
  test("absolute, unique paths owned by root with sane modes", () => {
    const paths = GUEST_FILES.map((f) => f.guestPath);
    expect(new Set(paths).size).toBe(paths.length);
    for (const f of GUEST_FILES) {
      expect(f.guestPath.startsWith("/")).toBe(true);
      expect(f.guestPath).not.toContain("..");
      expect([f.uid, f.gid]).toEqual([0, 0]);
      expect([0o644, 0o755]).toContain(f.mode);
      expect(f.contents).toBeInstanceOf(Uint8Array);
      expect(f.contents.length).toBeGreaterThan(0);
    }
  });

  test("scripts are executable and start with a POSIX shebang", () => {
    for (const path of [FIRSTBOOT_PATH, HOSTKEYS_SCRIPT_PATH]) {
      const f = GUEST_FILES.find((g) => g.guestPath === path)!;
      expect(f.mode).toBe(0o755);
      expect(new TextDecoder().decode(f.contents).startsWith("#!/bin/sh\n")).toBe(true);
      expect(path.startsWith(`${GUEST_LIB_DIR}/`)).toBe(true);
    }
  });

  test("agent metadata and host-key stripping", () => {
    expect(AGENT_FILE).toEqual({ guestPath: AGENT_GUEST_PATH, mode: 0o755, uid: 0, gid: 0 });
    expect(GUEST_STRIP_GLOBS).toContain("/etc/ssh/ssh_host_*");
  });

  test("ssh.service drop-in clears ExecStartPre, then generates keys before sshd -t", () => {
    const f = GUEST_FILES.find((g) => g.guestPath === HOSTKEYS_DROPIN_PATH)!;
    const lines = new TextDecoder().decode(f.contents).split("\n").filter((l) => l.startsWith("ExecStartPre"));
    expect(lines).toEqual([
      "ExecStartPre=",
      `ExecStartPre=${HOSTKEYS_SCRIPT_PATH}`,
      "ExecStartPre=/usr/sbin/sshd -t",
    ]);
  });

  test("ssh-hostkeys.sh generates ed25519 first, keeps existing keys", () => {
    const dir = mkdtempSync(join(tmpdir(), "banger-hostkeys-"));
    try {
      const script = join(import.meta.dir, "../../../assets/guest/ssh-hostkeys.sh");
      writeFileSync(join(dir, "ssh_host_ecdsa_key"), "existing");
      const p = Bun.spawnSync(["sh", "-x", script], { env: { KEY_DIR: dir, PATH: process.env.PATH! }, stderr: "pipe" });
      expect(p.exitCode).toBe(0);
      expect(readFileSync(join(dir, "ssh_host_ed25519_key.pub"), "utf8")).toStartWith("ssh-ed25519 ");
      expect(readFileSync(join(dir, "ssh_host_ecdsa_key"), "utf8")).toBe("existing");
      const trace = p.stderr.toString();
      expect(trace.indexOf("ed25519")).toBeLessThan(trace.indexOf("ecdsa"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
