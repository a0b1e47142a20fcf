// Composition root: loads config, opens the store, builds every service explicitly,
// wires the handler table, serves the RPC app on the Unix socket and tears everything
// down on shutdown.
import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { BUILD, formatBuild } from "../build-info.ts";
import { loadConfig } from "../config/config.ts";
import { Paths } from "../config/paths.ts";
import { hostFacts } from "../config/vm-defaults.ts";
import { fileLogger } from "../log.ts";
import { closeDatabase, openDatabase } from "../store/db.ts";
import { configChecks } from "./config-checks.ts";
import { daemonHandlers } from "./daemon-handlers.ts";
import { toolsCheck, writableDirCheck, type Check } from "./doctor.ts";
import { acquirePidFile } from "./instance-lock.ts";
import { OperationRegistry } from "./ops.ts";
import { createApp, serveUnix, type Handlers } from "./server.ts";
import { buildServices } from "./services.ts";

export async function runDaemon(paths: Paths = Paths.fromEnv()): Promise<void> {
  prepareDirs(paths);
  const socket = paths.socket; // validates the 108-byte limit before anything else
  const config = loadConfig(paths);
  const log = fileLogger(paths.daemonLog, config.logLevel);
  const releasePid = acquirePidFile(paths.pidFile);
  const db = openDatabase(paths.database);
  const ops = new OperationRegistry();
  const startedAt = Date.now();
  const services = await buildServices({ config, paths, db, log });

  let shuttingDown = false;
  const shutdown = async (reason: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info("daemon stopping", { reason });
    server.stop(true);
    rmSync(socket, { force: true });
    await services.stop().catch((err) => log.warn("service shutdown incomplete", { error: String(err) }));
    closeDatabase(db);
    releasePid();
    process.exit(0);
  };

  const checks = (): Check[] => [
    writableDirCheck("state dir", paths.roots.state),
    writableDirCheck("cache dir", paths.roots.cache),
    ...configChecks(config, hostFacts()),
    toolsCheck({ "mkfs.ext4": "building root filesystems", debugfs: "writing files into ext4 images" }),
    ...services.checks(),
  ];
  const handlers: Handlers = {
    ...services.handlers,
    ...daemonHandlers({
      paths,
      ops,
      startedAt,
      dnsListener: services.dnsListener,
      doctorChecks: checks,
      requestShutdown: () => void shutdown("rpc daemon.shutdown"),
    }),
  };

  await services.start();
  // We hold the pid file, so any socket file left here belongs to a dead daemon.
  if (existsSync(socket)) rmSync(socket, { force: true });
  const app = createApp({ handlers, ops, log });
  const server = serveUnix(socket, app);
  chmodSync(socket, 0o600);
  for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => void shutdown(sig));
  log.info("daemon started", { socket, pid: process.pid, build: BUILD });
  console.log(`${formatBuild(BUILD)} listening on ${socket}`);
}

function prepareDirs(paths: Paths): void {
  for (const dir of [paths.roots.runtime, paths.roots.state, paths.roots.cache, paths.logsDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  // mkdir -p does not fix modes of an existing dir; the runtime dir holds the socket.
  chmodSync(paths.roots.runtime, 0o700);
}
