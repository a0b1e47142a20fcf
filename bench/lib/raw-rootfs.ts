// The raw baseline's own root filesystem, for when banger cannot build its image yet:
// the same Debian bookworm tar the image tests use, made bootable WITHOUT banger (no
// agent, no banger files): systemd-networkd + systemd-network-generator apply `ip=` from
// the kernel command line, ssh.service generates ed25519 + ecdsa host keys before sshd
// starts (as banger's image does: the tar ships no host keys), root gets an authorized
// key. Then `mkfs.ext4 -d` into a sparse 2 GiB file. Needs root (tar keeps ownership).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sh } from "./host.ts";

export interface RawRootfs {
  ext4: string;
  /** Private key whose public half is in /root/.ssh/authorized_keys. */
  key: string;
  buildMs: number;
}

const HOSTKEYS_SCRIPT = `#!/bin/sh
# bench raw baseline: per-VM SSH host keys before sshd starts (the image ships none)
set -eu
for t in ed25519 ecdsa; do
  [ -s /etc/ssh/ssh_host_\${t}_key ] || ssh-keygen -q -t "$t" -N "" -f /etc/ssh/ssh_host_\${t}_key
done
`;
/** Debian's ssh.service runs \`sshd -t\` first, which fails without keys: rebuild the list. */
const HOSTKEYS_DROPIN = `[Service]
ExecStartPre=
ExecStartPre=/usr/local/sbin/bench-hostkeys
ExecStartPre=/usr/sbin/sshd -t
`;

function write(root: string, path: string, text: string, mode = 0o644): void {
  const full = join(root, path);
  mkdirSync(join(full, ".."), { recursive: true });
  writeFileSync(full, text, { mode });
}

export function buildRawRootfs(tar: string, modulesDir: string, workDir: string): RawRootfs {
  const started = performance.now();
  const root = join(workDir, "raw-rootfs");
  mkdirSync(root, { recursive: true });
  try {
    sh(["tar", "-C", root, "--numeric-owner", "-xpf", tar]);
    mkdirSync(join(root, "usr/lib/modules"), { recursive: true });
    sh(["cp", "-a", modulesDir, join(root, "usr/lib/modules/")]);
    const key = join(workDir, "raw_id_ed25519");
    sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "banger-bench-raw", "-f", key]);
    mkdirSync(join(root, "root/.ssh"), { recursive: true, mode: 0o700 });
    write(root, "root/.ssh/authorized_keys", readFileSync(`${key}.pub`, "utf8"), 0o600);
    write(root, "etc/fstab", "/dev/vda / ext4 rw,relatime 0 1\n");
    write(root, "etc/hostname", "rawbench\n");
    write(root, "usr/local/sbin/bench-hostkeys", HOSTKEYS_SCRIPT, 0o755);
    write(root, "etc/systemd/system/ssh.service.d/hostkeys.conf", HOSTKEYS_DROPIN);
    sh(["systemctl", "--root", root, "enable", "systemd-networkd.service", "systemd-network-generator.service"]);
    const ext4 = join(workDir, "raw-root.ext4");
    sh(["truncate", "-s", "2G", ext4]);
    sh(["mkfs.ext4", "-q", "-F", "-L", "rootfs", "-d", root, ext4]);
    return { ext4, key, buildMs: performance.now() - started };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
