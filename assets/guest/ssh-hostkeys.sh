#!/bin/sh
# Managed by banger: generate missing SSH host keys, ed25519 first (then ecdsa; RSA is
# skipped: it is slow under software emulation and sshd runs fine without it).
# Installed as /usr/local/lib/banger/ssh-hostkeys.sh; run before sshd starts.
set -eu
KEY_DIR=${KEY_DIR:-/etc/ssh}
mkdir -p "$KEY_DIR"
[ -d /run ] && mkdir -p /run/sshd && chmod 0755 /run/sshd
for type in ed25519 ecdsa; do
  key="$KEY_DIR/ssh_host_${type}_key"
  if [ ! -s "$key" ]; then
    rm -f "$key" "$key.pub"
    ssh-keygen -q -t "$type" -N "" -f "$key"
  fi
done
