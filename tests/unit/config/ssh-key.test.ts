// The managed SSH key, generated with the real ssh-keygen in a temp dir.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSshKey, keygenArgv, publicKeyArgv } from "../../../src/config/ssh-key.ts";

const root = mkdtempSync(join(tmpdir(), "banger-sshkey-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(() => {
  if (!Bun.which("ssh-keygen")) throw new Error("ssh-keygen is missing: apt-get install openssh-client");
});

describe("argv builders", () => {
  test("keygen: ed25519, no passphrase, banger comment", () => {
    expect(keygenArgv("/s/ssh/id_ed25519")).toEqual(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "banger", "-f", "/s/ssh/id_ed25519"]);
    expect(publicKeyArgv("/s/k")).toEqual(["ssh-keygen", "-y", "-f", "/s/k"]);
  });
});

describe("ensureSshKey", () => {
  test("generates an ed25519 key with a 0700 dir and a 0600 key", async () => {
    const path = join(root, "state", "ssh", "id_ed25519");
    const key = await ensureSshKey(path);
    expect(key.privateKeyPath).toBe(path);
    expect(key.publicKeyPath).toBe(`${path}.pub`);
    expect(key.privateKey).toContain("BEGIN OPENSSH PRIVATE KEY");
    expect(key.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ banger$/);
    expect(statSync(join(root, "state", "ssh")).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(root, "state", "ssh")).sort()).toEqual(["id_ed25519", "id_ed25519.pub"]);
  });

  test("an existing key is reused, not regenerated", async () => {
    const path = join(root, "reuse", "id");
    const first = await ensureSshKey(path);
    const second = await ensureSshKey(path);
    expect(second).toEqual(first);
  });

  test("a missing .pub is derived from the private key", async () => {
    const path = join(root, "derive", "id");
    const first = await ensureSshKey(path);
    unlinkSync(`${path}.pub`);
    const again = await ensureSshKey(path);
    expect(again.privateKey).toBe(first.privateKey);
    expect(again.publicKey.split(" ").slice(0, 2)).toEqual(first.publicKey.split(" ").slice(0, 2));
    expect(existsSync(`${path}.pub`)).toBe(true);
  });

  test("concurrent first use ends with one consistent key pair", async () => {
    const path = join(root, "race", "id");
    const keys = await Promise.all([ensureSshKey(path), ensureSshKey(path), ensureSshKey(path)]);
    for (const k of keys) expect(k.privateKey).toBe(keys[0]!.privateKey);
    const derived = Bun.spawnSync(["ssh-keygen", "-y", "-f", path]).stdout.toString().split(" ").slice(0, 2);
    expect(keys[0]!.publicKey.split(" ").slice(0, 2)).toEqual(derived);
    expect(readdirSync(join(root, "race")).sort()).toEqual(["id", "id.pub"]);
  });

  test("a relative path is refused", async () => {
    await expect(ensureSshKey("ssh/id")).rejects.toThrow('ssh key path must be absolute (got "ssh/id")');
  });
});
