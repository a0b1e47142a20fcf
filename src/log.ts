// Structured JSON-lines logging. Services receive a Logger; the daemon builds one that
// appends to its log file at the configured level (consola with a JSON reporter).
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createConsola, type ConsolaInstance, type LogObject } from "consola";

export type LogLevel = "debug" | "info" | "warn" | "error";
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

// consola numeric levels: 0 error, 1 warn, 3 info, 4 debug.
const CONSOLA_LEVEL: Record<LogLevel, number> = { error: 0, warn: 1, info: 3, debug: 4 };

/** A logger writing one JSON object per line to `path`. */
export function fileLogger(path: string, level: LogLevel): Logger {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const consola = createConsola({
    level: CONSOLA_LEVEL[level],
    reporters: [{ log: (obj: LogObject) => appendFileSync(path, jsonLine(obj), { mode: 0o600 }) }],
  });
  return wrap(consola, {});
}

/** Discards everything; for tests and short-lived CLI helpers. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

function jsonLine(obj: LogObject): string {
  const [msg, fields] = obj.args as [string, LogFields | undefined];
  return JSON.stringify({ time: obj.date.toISOString(), level: obj.type, msg, ...(fields ?? {}) }) + "\n";
}

function wrap(consola: ConsolaInstance, base: LogFields): Logger {
  const emit = (kind: "debug" | "info" | "warn" | "error") => (msg: string, fields?: LogFields) =>
    consola[kind](msg, { ...base, ...fields });
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (fields) => wrap(consola, { ...base, ...fields }),
  };
}
