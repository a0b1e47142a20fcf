// Every file and socket name banger uses, derived from the four XDG roots. Nothing else
// builds paths under them. Tests isolate a whole instance by setting XDG_CONFIG_HOME,
// XDG_STATE_HOME, XDG_CACHE_HOME and XDG_RUNTIME_DIR (or the BANGER_* overrides).
import { homedir } from "node:os";
import { join } from "node:path";
import { BangerError } from "../api/errors.ts";

/** Linux sockaddr_un.sun_path is 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH = 107;

export interface Roots {
  config: string;
  state: string;
  cache: string;
  runtime: string;
}

export function resolveRoots(env: Record<string, string | undefined> = process.env): Roots {
  const home = env.HOME || homedir();
  const uid = process.getuid?.() ?? 0;
  const xdg = (key: string, fallback: string) => {
    const value = env[key];
    return value && value.startsWith("/") ? value : fallback;
  };
  return {
    config: env.BANGER_CONFIG_DIR || join(xdg("XDG_CONFIG_HOME", join(home, ".config")), "banger"),
    state: env.BANGER_STATE_DIR || join(xdg("XDG_STATE_HOME", join(home, ".local/state")), "banger"),
    cache: env.BANGER_CACHE_DIR || join(xdg("XDG_CACHE_HOME", join(home, ".cache")), "banger"),
    runtime: env.BANGER_RUNTIME_DIR || join(xdg("XDG_RUNTIME_DIR", `/tmp/banger-runtime-${uid}`), "banger"),
  };
}

export class Paths {
  constructor(readonly roots: Roots) {}

  static fromEnv(env: Record<string, string | undefined> = process.env): Paths {
    return new Paths(resolveRoots(env));
  }

  get configFile() { return join(this.roots.config, "config.toml"); }
  get socket() { return checkSocketPath(join(this.roots.runtime, "bangerd.sock")); }
  get pidFile() { return join(this.roots.runtime, "bangerd.pid"); }
  get daemonLock() { return join(this.roots.runtime, "bangerd.lock"); }
  get daemonLog() { return join(this.roots.state, "logs", "bangerd.log"); }
  get logsDir() { return join(this.roots.state, "logs"); }
  get database() { return join(this.roots.state, "banger.db"); }
  get sshDir() { return join(this.roots.state, "ssh"); }
  get defaultSshKey() { return join(this.roots.state, "ssh", "id_ed25519"); }
  /** One `Host <name>.vm / HostName <ip>` entry per running VM; Included by the ~/.ssh/config block. */
  get sshVmHostsFile() { return join(this.roots.state, "ssh", "vm_hosts"); }

  // Images
  get imagesDir() { return join(this.roots.state, "images"); }
  imageDir(id: string) { return join(this.imagesDir, id); }
  imageStaging(id: string) { return join(this.imagesDir, `${id}.staging`); }

  // Kernels
  get kernelsDir() { return join(this.roots.state, "kernels"); }
  kernelDir(name: string) { return join(this.kernelsDir, name); }

  // OCI blob cache (OCI image layout)
  get ociDir() { return join(this.roots.cache, "oci"); }
  get blobsDir() { return join(this.roots.cache, "oci", "blobs", "sha256"); }
  blobPath(hex: string) { return join(this.blobsDir, hex); }
  get tmpDir() { return join(this.roots.cache, "tmp"); }

  // VMs
  get vmsDir() { return join(this.roots.state, "vms"); }
  vmDir(id: string) { return join(this.vmsDir, id); }
  /** Per-VM runtime sockets live under the runtime dir so they stay short. */
  vmRuntimeDir(id: string) { return join(this.roots.runtime, "vms", id.slice(0, 12)); }
  vmSocket(id: string, name: "api" | "qmp" | "agent" | "vsock") {
    return checkSocketPath(join(this.vmRuntimeDir(id), `${name}.sock`));
  }
}

/** Fail early with a clear message instead of a bind/connect error on a long path. */
export function checkSocketPath(path: string): string {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH) {
    throw new BangerError(
      "precondition",
      `socket path ${path} is ${bytes} bytes, over the ${MAX_SOCKET_PATH}-byte Unix socket limit; set a shorter XDG_RUNTIME_DIR`,
    );
  }
  return path;
}
