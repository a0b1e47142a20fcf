import { defineCommand } from "citty";
import { call, callWithProgress } from "./context.ts";
import { printJson } from "./output.ts";
import { BangerError } from "../api/errors.ts";

const MARK = { pass: "ok  ", warn: "warn", fail: "FAIL" } as const;

export default defineCommand({
  meta: { name: "doctor", description: "Check every prerequisite and say how to fix what is missing" },
  args: { json: { type: "boolean", description: "Output JSON" } },
  async run({ args }) {
    const report = await callWithProgress("doctor.run", {}, { quiet: true });
    const status = await call("daemon.status", {});
    const daemon = { name: "daemon", status: "pass" as const, detail: `pid ${status.pid} on ${status.socket}` };
    const checks = [daemon, ...report.checks];
    if (args.json) printJson({ checks, ok: report.ok });
    else {
      for (const c of checks) {
        process.stdout.write(`[${MARK[c.status]}] ${c.name}: ${c.detail}\n`);
        if (c.status !== "pass" && "hint" in c && c.hint) process.stdout.write(`       fix: ${c.hint}\n`);
      }
    }
    if (!report.ok) throw new BangerError("precondition", "doctor found failing checks", { silent: true });
  },
});
