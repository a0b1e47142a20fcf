// One daemon per runtime dir: the pid file is created exclusively, and a pid file left
// by a dead daemon (kill -9) is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { BangerError } from "../api/errors.ts";

export function acquirePidFile(path: string): () => void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => releasePidFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = readPid(path);
      if (holder !== null && holder !== process.pid && isBangerDaemon(holder)) {
        throw new BangerError("conflict", `a banger daemon is already running (pid ${holder})`, { pid: holder });
      }
      rmSync(path, { force: true });
    }
  }
  throw new BangerError("conflict", `cannot take the daemon pid file ${path}`);
}

function releasePidFile(path: string): void {
  if (readPid(path) === process.pid) rmSync(path, { force: true });
}

function readPid(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Guards against pid reuse: the process must exist and look like a banger daemon. */
function isBangerDaemon(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return cmdline.some((arg) => /banger|bangerd|main\.ts/.test(arg));
  } catch {
    return false;
  }
}
