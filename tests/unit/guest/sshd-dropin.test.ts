// Pins the sshd drop-in of F44: exactly these settings, nothing that weakens them, and
// sshd itself (when installed) accepts it and resolves the effective values.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GUEST_FILES, SSHD_DROPIN_PATH } from "../../../src/guest/assets.ts";


const text = readFileSync(join(import.meta.dir, "../../../assets/guest/sshd-banger.conf"), "utf8");
const settings = text
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"))
  .map((l) => l.split(/\s+/));

const ALLOW: Record<string, string> = {
  permitrootlogin: "prohibit-password",
  passwordauthentication: "no",
  kbdinteractiveauthentication: "no",
  pubkeyauthentication: "yes",
  authorizedkeysfile: "/root/.ssh/authorized_keys",
  strictmodes: "yes",
  loglevel: "INFO",
};

describe("sshd drop-in", () => {
  test("allow-list: exactly the F44 settings", () => {
    const got = Object.fromEntries(settings.map(([k, ...v]) => [k!.toLowerCase(), v.join(" ")]));
    expect(got).toEqual(ALLOW);
    expect(settings.length).toBe(Object.keys(ALLOW).length); // no duplicates
  });

  test("deny-list: nothing that weakens login or turns on debug logging", () => {
    const deny = [
      /^permitrootlogin\s+yes/im,
      /^passwordauthentication\s+yes/im,
      /^kbdinteractiveauthentication\s+yes/im,
      /^challengeresponseauthentication\s+yes/im,
      /^permitemptypasswords\s+yes/im,
      /^strictmodes\s+no/im,
      /^loglevel\s+debug/im,
      /^pubkeyauthentication\s+no/im,
      /^authorizedkeyscommand/im,
      /^match\b/im,
    ];
    for (const re of deny) expect(text).not.toMatch(re);
  });

  test("is injected early in sshd_config.d so its values win", () => {
    const f = GUEST_FILES.find((g) => g.guestPath === SSHD_DROPIN_PATH);
    expect(f?.mode).toBe(0o644);
    expect(SSHD_DROPIN_PATH).toMatch(/^\/etc\/ssh\/sshd_config\.d\/00-/);
  });

  const sshd = ["/usr/sbin/sshd", "/usr/bin/sshd"].find(existsSync);
  test("sshd -T resolves the effective values over a permissive config", () => {
    if (!sshd) throw new Error("sshd not found: install openssh-server (apt-get install openssh-server)");
    const dir = mkdtempSync(join(tmpdir(), "banger-sshd-"));
    try {
      mkdirSync(join(dir, "d"));
      writeFileSync(join(dir, "d", "00-banger.conf"), text);
      writeFileSync(join(dir, "d", "50-cloud.conf"), "PasswordAuthentication yes\nPermitRootLogin yes\n");
      writeFileSync(join(dir, "sshd_config"), `Include ${dir}/d/*.conf\nLogLevel DEBUG3\nStrictModes no\n`);
      const key = join(dir, "hostkey");
      Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key]);
      mkdirSync("/run/sshd", { recursive: true });
      const p = Bun.spawnSync([sshd!, "-T", "-f", join(dir, "sshd_config"), "-h", key], { stderr: "pipe" });
      expect(p.exitCode).toBe(0);
      const eff = p.stdout.toString();
      // sshd -T prints prohibit-password under its old name
      const effective = { ...ALLOW, permitrootlogin: "without-password" };
      for (const [k, v] of Object.entries(effective)) expect(eff).toContain(`${k} ${v}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
