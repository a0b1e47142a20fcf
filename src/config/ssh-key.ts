// The SSH key banger puts into every guest's authorized_keys (F30: default ed25519 under
// the state dir, generated on first need). Generation goes to a temp name and is linked
// into place, so two callers racing on first use both end up with the same, whole key.
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";
import { BangerError } from "../api/errors.ts";
import { exec } from "../host/exec.ts";

export interface SshKey {
  privateKeyPath: string;
  /** PEM/OpenSSH text of the private key (what ssh2 wants). */
  privateKey: string;
  publicKeyPath: string;
  /** One line: "ssh-ed25519 AAAA... banger". */
  publicKey: string;
}

/** Pure: the ssh-keygen argv that creates an unencrypted ed25519 key at `path`. */
export function keygenArgv(path: string): string[] {
  return ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "banger", "-f", path];
}

/** Pure: the argv that prints the public key of the private key at `path`. */
export function publicKeyArgv(path: string): string[] {
  return ["ssh-keygen", "-y", "-f", path];
}

/** The key at `path`, generated first if missing; a missing .pub is re-derived. */
export async function ensureSshKey(path: string): Promise<SshKey> {
  if (!isAbsolute(path)) throw new BangerError("usage", `ssh key path must be absolute (got ${JSON.stringify(path)})`);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) await generate(path);
  chmodSync(path, 0o600);
  const publicKeyPath = `${path}.pub`;
  if (!existsSync(publicKeyPath)) await derivePublic(path, publicKeyPath);
  return {
    privateKeyPath: path,
    privateKey: readFileSync(path, "utf8"),
    publicKeyPath,
    publicKey: readFileSync(publicKeyPath, "utf8").trim(),
  };
}

async function generate(path: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${crypto.randomUUID()}`);
  try {
    await exec(keygenArgv(tmp));
    try {
      linkSync(tmp, path); // fails if someone else published first: keep theirs
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      return;
    }
    renameSync(`${tmp}.pub`, `${path}.pub`);
  } finally {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.pub`, { force: true });
  }
}

async function derivePublic(path: string, publicKeyPath: string): Promise<void> {
  const { stdout } = await exec(publicKeyArgv(path));
  const tmp = `${publicKeyPath}.tmp-${crypto.randomUUID()}`;
  writeFileSync(tmp, stdout.trim() + "\n", { mode: 0o644 });
  renameSync(tmp, publicKeyPath);
}
