import { expect, test } from "bun:test";
import {
  BLOCK_END, BLOCK_START, removeBlock, renderManagedBlock, renderVmHosts, upsertBlock,
} from "../../../src/host/ssh-config.ts";

const input = { keyPath: "/home/u/.local/state/banger/ssh/id_ed25519", hostsFile: "/home/u/.local/state/banger/ssh/vm_hosts", knownHostsFile: "/home/u/.local/state/banger/ssh/known_hosts_vm" };
const block = renderManagedBlock(input);
const user = "# my config\nHost github.com\n  User git\n\nHost *\n  ServerAliveInterval 30\n";

test("the block: markers, Match all wrapping, Include, Host *.vm settings", () => {
  expect(block).toBe([
    BLOCK_START,
    "# Written by banger: this block is replaced on every daemon start; edit outside it.",
    "Match all",
    'Include "/home/u/.local/state/banger/ssh/vm_hosts"',
    "Host *.vm",
    "    User root",
    '    IdentityFile "/home/u/.local/state/banger/ssh/id_ed25519"',
    "    IdentitiesOnly yes",
    "    PreferredAuthentications publickey",
    "    StrictHostKeyChecking accept-new",
    '    UserKnownHostsFile "/home/u/.local/state/banger/ssh/known_hosts_vm"',
    "    LogLevel ERROR",
    "Match all",
    BLOCK_END,
    "",
  ].join("\n"));
});

test("paths: % escaped where ssh expands tokens, unsafe characters refused", () => {
  expect(renderManagedBlock({ ...input, keyPath: "/home/a%b/key" })).toContain('IdentityFile "/home/a%%b/key"');
  expect(() => renderManagedBlock({ ...input, keyPath: 'rel/key' })).toThrow("absolute");
  expect(() => renderManagedBlock({ ...input, keyPath: '/a"b' })).toThrow();
  expect(() => renderManagedBlock({ ...input, hostsFile: "/a/*" })).toThrow();
  expect(() => renderManagedBlock({ ...input, hostsFile: "/a%b" })).toThrow();
});

test("insert goes to the top; user bytes follow unchanged", () => {
  const out = upsertBlock(user, block);
  expect(out).toBe(block + user);
  expect(upsertBlock("", block)).toBe(block);
});

test("replace keeps the block's position and never duplicates", () => {
  const mid = "Host a\n  User x\n" + renderManagedBlock({ ...input, keyPath: "/old/key" }) + "Host b\n  User y\n";
  const out = upsertBlock(mid, block);
  expect(out).toBe("Host a\n  User x\n" + block + "Host b\n  User y\n");
  expect(upsertBlock(out, block)).toBe(out);
  expect(out.split(BLOCK_START).length).toBe(2);
});

test("several blocks collapse into the first", () => {
  const two = block + user + block + "Host z\n";
  expect(upsertBlock(two, block)).toBe(block + user + "Host z\n");
});

test("remove restores the user's file byte for byte", () => {
  for (const original of [user, "", "no newline at end", "Host a\r\n  User b\r\n", "\n\n"]) {
    expect(removeBlock(upsertBlock(original, block))).toBe(original);
  }
  expect(removeBlock(user)).toBe(user);
});

test("end marker without trailing newline at EOF", () => {
  const text = user + block.slice(0, -1);
  expect(upsertBlock(text, block)).toBe(user + block.slice(0, -1));
  expect(removeBlock(text)).toBe(user);
});

test("broken markers are refused, not guessed", () => {
  expect(() => upsertBlock(`${BLOCK_START}\nHost x\n`, block)).toThrow("no end marker");
  expect(() => upsertBlock(`Host x\n${BLOCK_END}\n`, block)).toThrow("no start marker");
  expect(() => removeBlock(`${BLOCK_START}\n`)).toThrow();
});

test("vm hosts file: sorted entries, HostKeyAlias per VM id when known", () => {
  expect(renderVmHosts([{ name: "web", ip: "172.30.0.5", vmId: "abc123" }, { name: "api", ip: "172.30.0.6" }])).toBe([
    "# Written by banger: one entry per running VM. Do not edit.",
    "Host api.vm",
    "    HostName 172.30.0.6",
    "Host web.vm",
    "    HostName 172.30.0.5",
    "    HostKeyAlias banger-abc123",
    "",
  ].join("\n"));
  expect(() => renderVmHosts([{ name: "x\nProxyCommand evil", ip: "1.2.3.4" }])).toThrow();
});
