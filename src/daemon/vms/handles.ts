// Transient handles of running VMs (F21): in memory, mirrored to <vmDir>/handles.json so
// a restarted daemon can re-adopt VMs. Never stored in SQLite.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface VmHandles {
  driver: "firecracker" | "qemu";
  /** The driver's own JSON-safe handle (pid, sockets). */
  vmm: unknown;
  tap: string;
  ip: string;
  nat: boolean;
  started_at: string;
}

export class HandleStore {
  private readonly live = new Map<string, VmHandles>();

  constructor(private readonly vmDir: (id: string) => string) {}

  get(id: string): VmHandles | undefined {
    return this.live.get(id);
  }

  ids(): string[] {
    return [...this.live.keys()];
  }

  set(id: string, h: VmHandles): void {
    this.live.set(id, h);
    const file = this.file(id);
    writeFileSync(`${file}.tmp`, JSON.stringify(h, null, 2), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  delete(id: string): void {
    this.live.delete(id);
    rmSync(this.file(id), { force: true });
  }

  /** Read a handles file left by an earlier daemon (reconcile); null when absent or corrupt. */
  readFile(id: string): VmHandles | null {
    const file = this.file(id);
    if (!existsSync(file)) return null;
    try {
      return JSON.parse(readFileSync(file, "utf8")) as VmHandles;
    } catch {
      return null;
    }
  }

  /** Adopt handles read from disk without rewriting the file. */
  adopt(id: string, h: VmHandles): void {
    this.live.set(id, h);
  }

  file(id: string): string {
    return join(this.vmDir(id), "handles.json");
  }
}
