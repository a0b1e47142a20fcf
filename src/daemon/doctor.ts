// Doctor framework: named checks, each returning pass/warn/fail with a fix hint. Services
// contribute their own checks; the composition root hands the full list to `runDoctor`.
import { accessSync, constants, mkdirSync } from "node:fs";
import type { DoctorCheck, DoctorReport } from "../api/daemon.ts";
import type { ProgressSink } from "../api/progress.ts";
import { hasCommand, installHint } from "../host/exec.ts";

export interface Check {
  name: string;
  run(): Promise<DoctorCheck | DoctorCheck[]> | DoctorCheck | DoctorCheck[];
}

export async function runDoctor(checks: Check[], sink: ProgressSink): Promise<DoctorReport> {
  const results: DoctorCheck[] = [];
  for (const check of checks) {
    sink.stage(check.name, `checking ${check.name}`);
    try {
      const out = await check.run();
      results.push(...(Array.isArray(out) ? out : [out]));
    } catch (err) {
      results.push({ name: check.name, status: "fail", detail: (err as Error).message });
    }
  }
  return { checks: results, ok: results.every((c) => c.status !== "fail") };
}

export function pass(name: string, detail: string): DoctorCheck {
  return { name, status: "pass", detail };
}

export function fail(name: string, detail: string, hint: string): DoctorCheck {
  return { name, status: "fail", detail, hint };
}

export function warn(name: string, detail: string, hint: string): DoctorCheck {
  return { name, status: "warn", detail, hint };
}

export function writableDirCheck(name: string, dir: string): Check {
  return {
    name,
    run() {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        accessSync(dir, constants.W_OK);
        return pass(name, `${dir} is writable`);
      } catch (err) {
        return fail(name, `${dir}: ${(err as Error).message}`, `make ${dir} writable by the daemon's user`);
      }
    },
  };
}

/** One check per tool; `why` says what the tool is needed for. */
export function toolsCheck(tools: Record<string, string>): Check {
  return {
    name: "tools",
    run: () =>
      Object.entries(tools).map(([tool, why]) =>
        hasCommand(tool)
          ? pass(`tool ${tool}`, `${Bun.which(tool)} (${why})`)
          : fail(`tool ${tool}`, `${tool} not found (${why})`, installHint(tool)),
      ),
  };
}
