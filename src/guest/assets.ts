// Files banger injects into every image besides the agent binary (F44): the sshd drop-in,
// per-VM SSH host keys, and the first-boot SSH installer. Text imports, so the compiled
// executable embeds them. The image pipeline writes each entry (creating parent
// directories 0755 root:root), removes GUEST_STRIP_GLOBS, and adds the agent binary
// (built by build.ts) at AGENT_FILE.guestPath.
import { AGENT_GUEST_PATH, GUEST_LIB_DIR } from "../api/guest.ts";
import firstboot from "../../assets/guest/firstboot.sh" with { type: "text" };
import hostkeysScript from "../../assets/guest/ssh-hostkeys.sh" with { type: "text" };
import hostkeysDropin from "../../assets/guest/ssh-hostkeys.conf" with { type: "text" };
import sshdDropin from "../../assets/guest/sshd-banger.conf" with { type: "text" };

export interface GuestFile {
  /** Absolute path inside the guest. */
  guestPath: string;
  mode: number;
  uid: number;
  gid: number;
  contents: Uint8Array;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const file = (guestPath: string, mode: number, text: string): GuestFile => ({
  guestPath,
  mode,
  uid: 0,
  gid: 0,
  contents: utf8(text),
});

/** Where the agent goes; its contents come from the build (embedded binary). */
export const AGENT_FILE = { guestPath: AGENT_GUEST_PATH, mode: 0o755, uid: 0, gid: 0 } as const;

export const SSHD_DROPIN_PATH = "/etc/ssh/sshd_config.d/00-banger.conf";
export const FIRSTBOOT_PATH = `${GUEST_LIB_DIR}/firstboot.sh`;
export const HOSTKEYS_SCRIPT_PATH = `${GUEST_LIB_DIR}/ssh-hostkeys.sh`;
/** Debian/Ubuntu ssh.service; other distros generate missing keys themselves. */
export const HOSTKEYS_DROPIN_PATH = "/etc/systemd/system/ssh.service.d/banger-hostkeys.conf";

export const GUEST_FILES: readonly GuestFile[] = [
  file(SSHD_DROPIN_PATH, 0o644, sshdDropin),
  file(HOSTKEYS_DROPIN_PATH, 0o644, hostkeysDropin),
  file(HOSTKEYS_SCRIPT_PATH, 0o755, hostkeysScript),
  file(FIRSTBOOT_PATH, 0o755, firstboot),
];

/** Baked-in SSH host keys are removed from every image: each VM generates its own. */
export const GUEST_STRIP_GLOBS: readonly string[] = ["/etc/ssh/ssh_host_*"];
