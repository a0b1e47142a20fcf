// The compiled binary and its daemon over the real Unix socket.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RpcClient } from "../../../src/client/rpc.ts";
import { alive, Instance, REPO, waitFor } from "../../helpers/instance.ts";

let inst: Instance;
beforeAll(() => {
  inst = new Instance();
});
afterAll(async () => {
  await inst.cleanup();
});

describe("daemon lifecycle", () => {
  test("status without a daemon fails with a one-line error, no autostart", async () => {
    const r = await inst.run(["daemon", "status"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("daemon not running");
    expect(existsSync(inst.socket)).toBe(false);
  });

  test("any command auto-starts the daemon; socket 0600 in a 0700 dir", async () => {
    const report = await inst.json(["doctor"]);
    expect(report.checks[0].name).toBe("daemon");
    expect(statSync(inst.socket).mode & 0o777).toBe(0o600);
    expect(statSync(join(inst.root, "run", "banger")).mode & 0o777).toBe(0o700);
    expect(alive(inst.daemonPid()!)).toBe(true);
  });

  test("status --json names socket, pid, build, dns, log path, state dir", async () => {
    const s = await inst.json(["daemon", "status"]);
    expect(s.socket).toBe(inst.socket);
    expect(s.pid).toBe(inst.daemonPid());
    expect(s.state_dir).toBe(inst.stateDir);
    expect(s.log_path).toBe(join(inst.stateDir, "logs", "bangerd.log"));
    expect(Object.keys(s.build).sort()).toEqual(["built_at", "commit", "version"]);
    expect(s).toHaveProperty("dns_listener");
    const v = await inst.json(["version"]);
    expect(s.build).toEqual(v);
  });

  test("ping reports build, pid and uptime", async () => {
    const ping = await new RpcClient(inst.socket).call("daemon.ping", {});
    expect(ping.pid).toBe(inst.daemonPid()!);
    expect(ping.uptime_s).toBeGreaterThanOrEqual(0);
  });

  test("a second daemon refuses to start while one runs", async () => {
    const r = await inst.run(["daemon", "run"], { timeoutMs: 10_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("already running");
    expect(alive(inst.daemonPid()!)).toBe(true);
  });

  test("kill -9 of the daemon: the next command brings it back", async () => {
    const pid = inst.daemonPid()!;
    process.kill(pid, "SIGKILL");
    await waitFor("daemon death", () => !alive(pid));
    expect(existsSync(inst.socket)).toBe(true); // stale socket left behind
    const s = await inst.json(["daemon", "start"]);
    expect(s.started).toBe(true);
    expect(s.pid).not.toBe(pid);
    expect(alive(s.pid)).toBe(true);
  });
});

describe("RPC boundary", () => {
  test("invalid payload -> 400 naming the field", async () => {
    const client = new RpcClient(inst.socket);
    const bad = await client.post("daemon.operations.list", { include_done: "yes" });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as any;
    expect(body.error.code).toBe("invalid_params");
    expect(body.error.message).toContain('"include_done"');
    const unknown = await client.post("daemon.ping", { bogus: 1 });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error.message).toContain('unknown field "bogus"');
    const nojson = await fetch("http://x/v1/daemon.ping", { method: "POST", unix: inst.socket, body: "{" });
    expect(nojson.status).toBe(400);
    const missing = await client.post("nope.method", {});
    expect(missing.status).toBe(404);
  });

  test("NDJSON streaming: stage events arrive one by one before the result", async () => {
    const res = await new RpcClient(inst.socket).post("doctor.run", {});
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const events: any[] = [];
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const l of lines) if (l) events.push(JSON.parse(l));
    }
    const stages = events.filter((e) => e.type === "stage");
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(events.at(-1).type).toBe("result");
    expect(events.slice(0, -1).every((e) => e.type !== "result")).toBe(true);
    const ops = await new RpcClient(inst.socket).call("daemon.operations.list", {});
    const op = ops.operations.find((o) => o.id === stages[0].op)!;
    expect(op.kind).toBe("doctor.run");
    expect(op.done).toBe(true);
    expect(op.error).toBeNull();
  });
});

describe("builds", () => {
  test("a CLI of another build restarts an idle daemon of the old build", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bgb-"));
    const other = join(dir, "banger");
    const b = Bun.spawnSync([process.execPath, "build", "--compile", "src/main.ts", "--outfile", other,
      "--define", 'BANGER_VERSION="9.9.9-test"', "--define", 'BANGER_COMMIT="other"', "--define", 'BANGER_BUILT_AT="x"'], { cwd: REPO, stderr: "pipe" });
    expect(b.exitCode).toBe(0);
    const before = inst.daemonPid()!;
    const s = await inst.json(["daemon", "status"], { binary: other });
    // `daemon status` does not restart; any other command does.
    expect(s.build.commit).not.toBe("other");
    await inst.ok(["doctor", "--json"], { binary: other });
    const after = await inst.json(["daemon", "status"], { binary: other });
    expect(after.build.commit).toBe("other");
    expect(after.pid).not.toBe(before);
    expect(alive(before)).toBe(false);
    // And back: the normal binary replaces it again.
    await inst.ok(["doctor", "--json"]);
    expect((await inst.json(["daemon", "status"])).build.commit).not.toBe("other");
  }, 60_000);

  test("invoked as bangerd, the same executable is the daemon", async () => {
    const other = new Instance();
    try {
      const proc = Bun.spawn([join(REPO, "dist", "bangerd")], { env: other.env, stdout: "pipe", stderr: "pipe" });
      await waitFor("bangerd socket", () => existsSync(other.socket), 15_000);
      const ping = await new RpcClient(other.socket).call("daemon.ping", {});
      expect(ping.pid).toBe(proc.pid);
      await new RpcClient(other.socket).call("daemon.shutdown", {});
      expect(await proc.exited).toBe(0);
    } finally {
      await other.cleanup();
    }
  }, 30_000);

  test("the executable runs when copied alone to another directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bgc-"));
    const copy = join(dir, "banger");
    await Bun.write(copy, Bun.file(inst.binary));
    Bun.spawnSync(["chmod", "+x", copy]);
    const v = JSON.parse(Bun.spawnSync([copy, "version", "--json"], { cwd: dir }).stdout.toString());
    expect(v.version).toBeString();
  });
});

describe("paths", () => {
  test("a socket path over 108 bytes fails with a clear error, not a bind failure", async () => {
    const long = new Instance();
    long.env.XDG_RUNTIME_DIR = join(long.root, "x".repeat(120));
    const r = await long.run(["daemon", "run"], { timeoutMs: 10_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Unix socket limit");
    await long.cleanup();
  });

  test("daemon install writes a systemd user unit with an absolute ExecStart", async () => {
    const out = await inst.json(["daemon", "install"]);
    const unit = readFileSync(out.unit_path, "utf8");
    expect(out.unit_path.startsWith(inst.root)).toBe(true);
    expect(unit).toContain(`ExecStart=${inst.binary} daemon run`);
    expect(out.enable_command).toContain("systemctl --user enable");
  });
});

describe("config", () => {
  test("a bad config.toml stops the daemon from starting with an error naming the key", async () => {
    const bad = new Instance();
    try {
      await Bun.write(bad.configFile, "[vm_defaults]\ncpus = 3\n");
      const r = await bad.run(["doctor"]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe('banger: config.toml: unknown key "vm_defaults.cpus"');
      await Bun.write(bad.configFile, '[vm_defaults]\nvcpu = 2\nmemory_mib = 2048\ndisk_size = "4G"\n');
      const report = await bad.json(["doctor"]);
      const byName = Object.fromEntries(report.checks.map((c: any) => [c.name, c.detail]));
      expect(byName["vm default vcpu"]).toBe("2 (config)");
      expect(byName["vm default memory"]).toBe("2048 MiB (config)");
      expect(byName["vm default disk"]).toBe("4G (config)");
    } finally {
      await bad.cleanup();
    }
  });
});
