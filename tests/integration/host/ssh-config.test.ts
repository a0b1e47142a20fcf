// The managed block in real ~/.ssh/config-style files under a temp HOME, checked with the
// real ssh client (`ssh -G` prints the configuration ssh would use, without connecting).
import { afterAll, expect, test } from "bun:test";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BLOCK_START, installManagedBlock, uninstallManagedBlock, writeVmHostsFile, type ManagedBlockInput,
} from "../../../src/host/ssh-config.ts";

const root = mkdtempSync(join(tmpdir(), "banger-sshcfg-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function home(name: string): { config: string; input: ManagedBlockInput; state: string } {
  const h = join(root, name);
  const state = join(h, ".local/state/banger/ssh");
  mkdirSync(state, { recursive: true });
  return {
    config: join(h, ".ssh", "config"),
    state,
    input: { keyPath: join(state, "id_ed25519"), hostsFile: join(state, "vm_hosts"), knownHostsFile: join(state, "known_hosts_vm") },
  };
}

/** `ssh -G` output as a map of lowercase option -> value(s). */
function sshG(config: string, host: string, user = ""): Record<string, string> {
  const r = Bun.spawnSync(["ssh", "-G", "-F", config, user ? `${user}@${host}` : host], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`ssh -G failed: ${r.stderr.toString()}`);
  const out: Record<string, string> = {};
  for (const line of r.stdout.toString().split("\n")) {
    const [k, ...v] = line.split(" ");
    if (k) out[k] = out[k] ? `${out[k]}\n${v.join(" ")}` : v.join(" ");
  }
  return out;
}

const USER_CONFIG = "# my settings\nServerAliveInterval 30\n\nHost github.com\n    User git\n    IdentityFile ~/.ssh/gh\n\nHost *\n    User alice\n";

test("a fresh ~/.ssh (0700) and config (0600) are created when absent", () => {
  const { config, input } = home("fresh");
  expect(installManagedBlock(config, input)).toBe(true);
  expect(statSync(join(config, "..")).mode & 0o777).toBe(0o700);
  expect(statSync(config).mode & 0o777).toBe(0o600);
  expect(readFileSync(config, "utf8").startsWith(BLOCK_START)).toBe(true);
});

test("ssh resolves <name>.vm through the Included hosts file, with the managed key and pinning", () => {
  const { config, input } = home("resolve");
  mkdirSync(join(config, ".."), { recursive: true, mode: 0o700 });
  writeFileSync(config, USER_CONFIG, { mode: 0o600 });
  installManagedBlock(config, input);
  writeVmHostsFile(input.hostsFile, [{ name: "web", ip: "172.30.0.5", vmId: "0123abcd" }]);
  const g = sshG(config, "web.vm");
  expect(g).toMatchObject({
    hostname: "172.30.0.5", user: "root", identitiesonly: "yes", hostkeyalias: "banger-0123abcd",
    stricthostkeychecking: "accept-new", userknownhostsfile: input.knownHostsFile, loglevel: "ERROR",
  });
  expect(g.identityfile).toBe(input.keyPath);
  // Unknown VM: still our settings, no HostName rewrite (DNS may know it).
  expect(sshG(config, "other.vm")).toMatchObject({ hostname: "other.vm", user: "root" });
  // The user's own hosts and top-level settings are not captured by the block.
  expect(sshG(config, "github.com")).toMatchObject({ user: "git", serveraliveinterval: "30" });
  expect(sshG(config, "example.org")).toMatchObject({ user: "alice", serveraliveinterval: "30", hostname: "example.org" });
  expect(sshG(config, "example.org").identityfile).not.toContain(input.keyPath);
});

test("the hosts file follows VM changes without touching ~/.ssh/config", () => {
  const { config, input } = home("follow");
  installManagedBlock(config, input);
  const before = readFileSync(config, "utf8");
  writeVmHostsFile(input.hostsFile, [{ name: "web", ip: "172.30.0.5" }]);
  expect(sshG(config, "web.vm").hostname).toBe("172.30.0.5");
  writeVmHostsFile(input.hostsFile, [{ name: "web", ip: "172.30.0.8" }]);
  expect(sshG(config, "web.vm").hostname).toBe("172.30.0.8");
  writeVmHostsFile(input.hostsFile, []);
  expect(sshG(config, "web.vm").hostname).toBe("web.vm");
  expect(readFileSync(config, "utf8")).toBe(before);
  expect(statSync(input.hostsFile).mode & 0o777).toBe(0o600);
});

test("install twice = one block; a changed key path replaces it in place; remove restores the bytes", () => {
  const { config, input } = home("cycle");
  mkdirSync(join(config, ".."), { recursive: true, mode: 0o700 });
  writeFileSync(config, USER_CONFIG, { mode: 0o640 });
  installManagedBlock(config, input);
  const once = readFileSync(config, "utf8");
  expect(installManagedBlock(config, input)).toBe(false);
  expect(readFileSync(config, "utf8")).toBe(once);
  installManagedBlock(config, { ...input, keyPath: "/elsewhere/key" });
  const changed = readFileSync(config, "utf8");
  expect(changed.split(BLOCK_START).length).toBe(2);
  expect(changed).toContain('IdentityFile "/elsewhere/key"');
  expect(changed.endsWith(USER_CONFIG)).toBe(true);
  expect(statSync(config).mode & 0o777).toBe(0o640); // the user's mode is kept
  expect(uninstallManagedBlock(config)).toBe(true);
  expect(readFileSync(config, "utf8")).toBe(USER_CONFIG);
  expect(uninstallManagedBlock(config)).toBe(false);
});

test("a symlinked config (dotfile managers) stays a symlink; its target gets the block", () => {
  const { config, input } = home("symlink");
  const real = join(root, "symlink", "dotfiles-ssh-config");
  writeFileSync(real, USER_CONFIG, { mode: 0o600 });
  mkdirSync(join(config, ".."), { recursive: true, mode: 0o700 });
  symlinkSync(real, config);
  installManagedBlock(config, input);
  expect(lstatSync(config).isSymbolicLink()).toBe(true);
  expect(readlinkSync(config)).toBe(real);
  expect(readFileSync(real, "utf8").endsWith(USER_CONFIG)).toBe(true);
  uninstallManagedBlock(config);
  expect(readFileSync(real, "utf8")).toBe(USER_CONFIG);
});

test("a half-deleted block is refused and the file left untouched", () => {
  const { config, input } = home("broken");
  mkdirSync(join(config, ".."), { recursive: true, mode: 0o700 });
  const text = `${USER_CONFIG}${BLOCK_START}\nHost *.vm\n`;
  writeFileSync(config, text, { mode: 0o600 });
  expect(() => installManagedBlock(config, input)).toThrow("no end marker");
  expect(readFileSync(config, "utf8")).toBe(text);
});
