// Find a live daemon for the CLI: start one when the socket is dead, and replace one
// whose build differs from the CLI's when nothing is in flight (F10).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { BangerError } from "../api/errors.ts";
import type { PingResult } from "../api/daemon.ts";
import { BUILD, sameBuild } from "../build-info.ts";
import type { Paths } from "../config/paths.ts";
import { RpcClient } from "./rpc.ts";

const START_TIMEOUT_MS = 15_000;

/** argv that re-runs this same program (compiled binary, or bun + script in dev). */
export function selfArgv(): string[] {
  const main = Bun.main;
  return main.endsWith(".ts") || main.endsWith(".js") ? [process.execPath, main] : [process.execPath];
}

export async function ping(client: RpcClient): Promise<PingResult | null> {
  try {
    return await client.call("daemon.ping", {});
  } catch (err) {
    if (err instanceof BangerError && err.code === "unavailable") return null;
    throw err;
  }
}

export interface EnsureResult {
  client: RpcClient;
  started: boolean;
  restarted: boolean;
  warning?: string;
}

export async function ensureDaemon(paths: Paths): Promise<EnsureResult> {
  const client = new RpcClient(paths.socket);
  const running = await ping(client);
  if (!running) {
    await startDaemon(paths, client);
    return { client, started: true, restarted: false };
  }
  if (sameBuild(running.build, BUILD)) return { client, started: false, restarted: false };
  const { operations } = await client.call("daemon.operations.list", { include_done: false });
  if (operations.length > 0) {
    return {
      client,
      started: false,
      restarted: false,
      warning: `daemon runs build ${running.build.version}/${running.build.commit}; not restarting while ${operations.length} operation(s) are in flight`,
    };
  }
  await stopDaemon(client, running.pid);
  await startDaemon(paths, client);
  return { client, started: true, restarted: true };
}

export async function startDaemon(paths: Paths, client: RpcClient): Promise<void> {
  // A socket file with no daemon behind it is stale: the new daemon must be able to bind.
  if (existsSync(paths.socket)) rmSync(paths.socket, { force: true });
  mkdirSync(dirname(paths.daemonLog), { recursive: true, mode: 0o700 });
  const out = openSync(paths.daemonLog, "a", 0o600);
  const child = spawn(selfArgv()[0]!, [...selfArgv().slice(1), "daemon", "run"], {
    detached: true,
    stdio: ["ignore", out, out],
    env: process.env,
  });
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await ping(client)) return;
    if (child.exitCode !== null) break;
    await Bun.sleep(50);
  }
  const why = lastDaemonError(paths.daemonLog);
  if (why) throw new BangerError("usage", why, { log_path: paths.daemonLog });
  throw new BangerError("unavailable", `daemon did not start; see ${paths.daemonLog}`);
}

/** The one-line error a daemon that failed to start printed (bad config, ...). */
function lastDaemonError(logPath: string): string | null {
  try {
    const lines = readFileSync(logPath, "utf8").trimEnd().split("\n");
    const last = lines.at(-1) ?? "";
    return last.startsWith("banger: ") ? last.slice("banger: ".length) : null;
  } catch {
    return null;
  }
}

export async function stopDaemon(client: RpcClient, pid: number): Promise<void> {
  await client.call("daemon.shutdown", {}).catch(() => undefined);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && processAlive(pid)) await Bun.sleep(50);
  if (processAlive(pid)) process.kill(pid, "SIGKILL");
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
