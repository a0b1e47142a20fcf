#!/bin/sh
# Managed by banger: first-boot step that installs an SSH server when the image has
# none, with the distribution's package manager (ID, then ID_LIKE, from os-release).
# Installed as /usr/local/lib/banger/firstboot.sh and started by banger-agent.
#   RUN_PLAN=1         print the plan, change nothing
#   OS_RELEASE_FILE    os-release to read (default /etc/os-release, /usr/lib/os-release)
#   BANGER_START_SSHD  1 = start sshd directly afterwards when no service manager does
# Exit codes: 0 done or nothing to do, 2 unsupported/unknown distribution, else the
# package manager's failure.
set -u

log() { echo "banger-firstboot: $*" >&2; }

os_release_file() {
  if [ -n "${OS_RELEASE_FILE:-}" ]; then echo "$OS_RELEASE_FILE"
  elif [ -r /etc/os-release ]; then echo /etc/os-release
  else echo /usr/lib/os-release
  fi
}

# osr KEY: the value of KEY in os-release, unquoted and lower-cased.
osr() {
  sed -n "s/^$1=//p" "$OSR" | head -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/" |
    tr 'A-Z' 'a-z'
}

have() { command -v "$1" >/dev/null 2>&1; }

sshd_present() {
  for p in /usr/sbin/sshd /usr/bin/sshd /sbin/sshd; do [ -x "$p" ] && return 0; done
  return 1
}

# family ID: the package-manager family for one os-release id, or nothing.
family() {
  case "$1" in
    debian | ubuntu | raspbian | linuxmint | pop | kali | devuan) echo apt ;;
    alpine | postmarketos) echo apk ;;
    fedora | rhel | centos | rocky | almalinux | ol | amzn | nobara) echo dnf ;;
    arch | archarm | manjaro | endeavouros) echo pacman ;;
    opensuse* | suse | sles | sled) echo zypper ;;
  esac
}

# plan FAMILY: the commands to run, one per line.
plan() {
  case "$1" in
    apt)
      echo "apt-get update"
      echo "env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server" ;;
    apk) echo "apk add --no-cache openssh-server" ;;
    dnf)
      pm=dnf
      for c in dnf microdnf yum; do if have "$c"; then pm=$c; break; fi; done
      echo "$pm install -y openssh-server" ;;
    pacman) echo "pacman -Sy --noconfirm --needed openssh" ;;
    zypper) echo "zypper --non-interactive install openssh" ;;
  esac
}

# Makes sure sshd reads /etc/ssh/sshd_config.d/ (banger's drop-in lives there).
ensure_include() {
  cfg=/etc/ssh/sshd_config
  [ -f "$cfg" ] || return 0
  grep -qi '^[[:space:]]*include[[:space:]].*sshd_config\.d' "$cfg" && return 0
  { echo "Include /etc/ssh/sshd_config.d/*.conf"; cat "$cfg"; } >"$cfg.banger-tmp" && mv "$cfg.banger-tmp" "$cfg"
}

start_sshd() {
  if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
    systemctl enable --now ssh.service 2>/dev/null || systemctl enable --now sshd.service
  elif have rc-service && [ -d /run/openrc ]; then
    rc-update add sshd default && rc-service sshd start
  elif [ "${BANGER_START_SSHD:-0}" = 1 ]; then
    /usr/local/lib/banger/ssh-hostkeys.sh && "$(command -v sshd || echo /usr/sbin/sshd)"
  fi
}

OSR=$(os_release_file)
if [ ! -r "$OSR" ]; then
  log "cannot read $OSR: unknown distribution; install openssh-server in the image yourself"
  exit 2
fi
ID=$(osr ID)
ID_LIKE=$(osr ID_LIKE)
fam=
for id in $ID $ID_LIKE; do
  fam=$(family "$id")
  [ -n "$fam" ] && break
done
if [ -z "$fam" ]; then
  log "unsupported distribution (ID=${ID:-?} ID_LIKE=${ID_LIKE:-none}): install openssh-server in the image yourself"
  exit 2
fi

if [ "${RUN_PLAN:-0}" = 1 ]; then
  echo "distro: ${ID:-?} (ID_LIKE: ${ID_LIKE:-none})"
  echo "family: $fam"
  if sshd_present; then echo "sshd: present"; else echo "sshd: missing"; fi
  plan "$fam" | sed 's/^/run: /'
  exit 0
fi

if sshd_present; then
  exit 0
fi
log "installing an SSH server ($fam family, ID=$ID)"
plan "$fam" | while IFS= read -r cmd; do
  log "+ $cmd"
  # shellcheck disable=SC2086 # each plan line is a simple argv
  $cmd </dev/null || exit $?
done || exit $?
ensure_include
start_sshd || log "sshd installed but could not be started"
log "done"
