// `banger daemon start|stop|status|run|logs|install`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { defineCommand } from "citty";
import { BangerError } from "../api/errors.ts";
import { ensureDaemon, ping, selfArgv, stopDaemon } from "../client/autostart.ts";
import { RpcClient } from "../client/rpc.ts";
import { runDaemon } from "../daemon/daemon.ts";
import { paths } from "./context.ts";
import { printFields, printJson } from "./output.ts";

const json = { json: { type: "boolean", description: "Output JSON" } } as const;

const start = defineCommand({
  meta: { name: "start", description: "Start the daemon in the background (no-op when running)" },
  args: json,
  async run({ args }) {
    const r = await ensureDaemon(paths());
    const status = await r.client.call("daemon.status", {});
    if (args.json) printJson({ started: r.started, restarted: r.restarted, pid: status.pid, socket: status.socket });
    else process.stdout.write(`daemon ${r.started ? "started" : "already running"} (pid ${status.pid}) on ${status.socket}\n`);
  },
});

const stop = defineCommand({
  meta: { name: "stop", description: "Stop the daemon (running VMs keep running)" },
  args: json,
  async run({ args }) {
    const client = new RpcClient(paths().socket);
    const running = await ping(client);
    if (running) await stopDaemon(client, running.pid);
    if (args.json) printJson({ stopped: running !== null, pid: running?.pid ?? null });
    else process.stdout.write(running ? `daemon stopped (pid ${running.pid})\n` : "daemon was not running\n");
  },
});

const status = defineCommand({
  meta: { name: "status", description: "Show socket, pid, build, DNS listener, log path, state dir" },
  args: json,
  async run({ args }) {
    const client = new RpcClient(paths().socket);
    if (!(await ping(client))) throw new BangerError("unavailable", `daemon not running (socket ${paths().socket})`);
    const s = await client.call("daemon.status", {});
    if (args.json) return printJson(s);
    printFields({
      socket: s.socket,
      pid: s.pid,
      build: `${s.build.version} (commit ${s.build.commit}, built ${s.build.built_at})`,
      uptime: `${s.uptime_s}s`,
      "dns listener": s.dns_listener ?? "off",
      "log path": s.log_path,
      "state dir": s.state_dir,
      "cache dir": s.cache_dir,
      config: s.config_path,
      "operations in flight": s.operations_in_flight,
    });
  },
});

const run = defineCommand({
  meta: { name: "run", description: "Run the daemon in the foreground" },
  async run() {
    await runDaemon(paths());
    await new Promise(() => {}); // serve until a signal or daemon.shutdown exits the process
  },
});

const logs = defineCommand({
  meta: { name: "logs", description: "Print the daemon's JSON log" },
  args: {
    lines: { type: "string", alias: "n", description: "Only the last N lines", default: "100" },
    follow: { type: "boolean", alias: "f", description: "Keep printing new lines" },
  },
  async run({ args }) {
    const file = paths().daemonLog;
    if (!existsSync(file)) throw new BangerError("not_found", `no daemon log yet at ${file}`);
    const n = Number.parseInt(args.lines, 10);
    if (!Number.isInteger(n) || n < 0) throw new BangerError("usage", `--lines must be a non-negative integer`);
    const text = readFileSync(file, "utf8");
    const all = text.split("\n").filter(Boolean);
    process.stdout.write(all.slice(-n || all.length).map((l) => l + "\n").join(""));
    if (args.follow) await follow(file, Buffer.byteLength(text));
  },
});

async function follow(file: string, offset: number): Promise<never> {
  for (;;) {
    await Bun.sleep(500);
    const buf = readFileSync(file);
    if (buf.length > offset) process.stdout.write(buf.subarray(offset));
    offset = buf.length;
  }
}

const install = defineCommand({
  meta: { name: "install", description: "Write a systemd --user unit for the daemon" },
  args: json,
  run({ args }) {
    const exe = selfArgv();
    const dir = join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), "systemd", "user");
    const unitPath = join(dir, "bangerd.service");
    mkdirSync(dir, { recursive: true });
    writeFileSync(unitPath, systemdUnit(exe));
    const enable = "systemctl --user daemon-reload && systemctl --user enable --now bangerd.service";
    if (args.json) printJson({ unit_path: unitPath, enable_command: enable });
    else process.stdout.write(`wrote ${unitPath}\nenable it with:\n  ${enable}\n`);
  },
});

/** Pure: the unit file text for an absolute executable argv. */
export function systemdUnit(exe: string[]): string {
  const quoted = [...exe, "daemon", "run"].map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(" ");
  return [
    "[Unit]",
    "Description=banger microVM daemon",
    "After=network.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${quoted}`,
    "Restart=on-failure",
    // VMs are children of the daemon's cgroup by default; keep them on daemon restart.
    "KillMode=process",
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}

export default defineCommand({
  meta: { name: "daemon", description: "Manage the banger daemon" },
  subCommands: { start, stop, status, run, logs, install },
});
