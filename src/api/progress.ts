// Progress events of long operations, streamed as NDJSON lines by the daemon.
// A stream is zero or more `stage`/`bytes`/`log` events, then exactly one
// `result` or `error` event.
import type { ErrorBody } from "./errors.ts";

export interface StageEvent {
  type: "stage";
  /** Stable machine name of the stage, e.g. "resolve_image", "wait_agent". */
  stage: string;
  /** Human line for the stage. */
  message: string;
  /** Operation id (see daemon.operations.list). */
  op?: string;
}

/** Byte progress of a sub-task (one layer download, one kernel tarball). */
export interface BytesEvent {
  type: "bytes";
  /** Which item: a layer digest, a file name. */
  item: string;
  done: number;
  total: number | null;
  /** Set once when the item completes. */
  finished?: boolean;
}

/** A warning or notice the user should see (missing file_sync path, ...). */
export interface NoticeEvent {
  type: "notice";
  level: "info" | "warn";
  message: string;
}

export interface ResultEvent<T = unknown> {
  type: "result";
  result: T;
}

export interface ErrorEvent {
  type: "error";
  error: ErrorBody["error"];
}

export type ProgressEvent = StageEvent | BytesEvent | NoticeEvent;
export type StreamEvent<T = unknown> = ProgressEvent | ResultEvent<T> | ErrorEvent;

/** What a handler of a long operation receives to report progress. */
export interface ProgressSink {
  stage(stage: string, message: string): void;
  bytes(item: string, done: number, total: number | null, finished?: boolean): void;
  notice(level: "info" | "warn", message: string): void;
}

export const nullSink: ProgressSink = { stage() {}, bytes() {}, notice() {} };
