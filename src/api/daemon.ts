// daemon.* and doctor.* methods.
import * as v from "valibot";
import { method } from "./define.ts";

export interface BuildInfo {
  version: string;
  commit: string;
  built_at: string;
}

export interface PingResult {
  build: BuildInfo;
  pid: number;
  uptime_s: number;
}

export interface DaemonStatus {
  build: BuildInfo;
  pid: number;
  uptime_s: number;
  socket: string;
  log_path: string;
  state_dir: string;
  cache_dir: string;
  config_path: string;
  dns_listener: string | null;
  operations_in_flight: number;
}

export interface Operation {
  id: string;
  kind: string;
  /** What the operation is about: a VM name, an image ref, a kernel name. */
  target: string | null;
  stage: string | null;
  started_at: string;
  finished_at: string | null;
  done: boolean;
  error: string | null;
}

export interface DoctorCheck {
  name: string;
  status: "pass" | "warn" | "fail";
  detail: string;
  /** How to fix a warn/fail. */
  hint?: string;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  ok: boolean;
}

const empty = v.strictObject({});

export const daemonMethods = {
  "daemon.ping": method(empty)<PingResult>(),
  "daemon.status": method(empty)<DaemonStatus>(),
  "daemon.operations.list": method(
    v.strictObject({ include_done: v.optional(v.boolean(), true) }),
  )<{ operations: Operation[] }>(),
  "daemon.shutdown": method(empty)<{ stopping: true }>(),
  /** Runs every host check, streaming one stage per check. */
  "doctor.run": method(empty, { stream: true })<DoctorReport>(),
};
