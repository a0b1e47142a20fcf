// The RPC surface over HTTP: POST /v1/<method>. Params are validated against the
// contract in src/api before any handler runs; errors are mapped to HTTP in ONE place;
// streaming methods answer NDJSON (progress events, then one result or error line).
import { Hono } from "hono";
import * as v from "valibot";
import { asBangerError, BangerError } from "../api/errors.ts";
import { isMethodName, METHODS, type MethodName, type ParsedParams, type Result } from "../api/methods.ts";
import type { ProgressSink, StreamEvent } from "../api/progress.ts";
import type { Logger } from "../log.ts";
import type { OperationRegistry } from "./ops.ts";

export interface HandlerContext {
  progress: ProgressSink;
  /** Operation id when the method streams (long operation), else null. */
  opId: string | null;
}

export type Handler<N extends MethodName> = (params: ParsedParams<N>, ctx: HandlerContext) => Promise<Result<N>>;
export type Handlers = { [N in MethodName]?: Handler<N> };

export interface AppDeps {
  handlers: Handlers;
  ops: OperationRegistry;
  log: Logger;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.post("/v1/:method", async (c) => {
    const name = c.req.param("method");
    if (!isMethodName(name)) throw new BangerError("unknown_method", `unknown method "${name}"`);
    const handler = deps.handlers[name] as Handler<MethodName> | undefined;
    if (!handler) throw new BangerError("unknown_method", `method "${name}" is not available in this daemon`);
    const params = validateParams(name, await readJson(c.req.raw));
    if (!METHODS[name].stream) {
      const result = await handler(params as never, { progress: quietSink, opId: null });
      return c.json(result as object);
    }
    return streamResponse(deps, name, params, handler);
  });
  app.notFound(() => errorResponse(new BangerError("unknown_method", "use POST /v1/<method>")));
  app.onError((err) => {
    const e = asBangerError(err);
    if (e.status >= 500) deps.log.error("request failed", { code: e.code, error: e.message });
    return errorResponse(e);
  });
  return app;
}

function errorResponse(e: BangerError): Response {
  return Response.json(e.toBody(), { status: e.status });
}

async function readJson(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BangerError("invalid_params", "request body is not valid JSON");
  }
}

/** Validate against the method's schema; the message names the offending field. */
export function validateParams(name: MethodName, body: unknown): unknown {
  const parsed = v.safeParse(METHODS[name].params, body);
  if (parsed.success) return parsed.output;
  const issue = parsed.issues[0];
  const path = v.getDotPath(issue);
  const field = path ? `"${path}"` : "params";
  const message = issue.type === "strict_object" && path ? `unknown field ${field}` : `${field}: ${issue.message}`;
  throw new BangerError("invalid_params", `invalid params for ${name}: ${message}`, {
    field: path ?? null,
  });
}

const quietSink: ProgressSink = { stage() {}, bytes() {}, notice() {} };

function streamResponse(deps: AppDeps, name: MethodName, params: unknown, handler: Handler<MethodName>): Response {
  const op = deps.ops.start(name, targetOf(params));
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  const send = (event: StreamEvent) => {
    if (!open) return; // the client went away; the operation still runs to completion
    try {
      controller.enqueue(encoder.encode(JSON.stringify(event) + "\n"));
    } catch {
      open = false;
    }
  };
  const progress: ProgressSink = {
    stage: (stage, message) => {
      op.stage(stage);
      send({ type: "stage", stage, message, op: op.id });
    },
    bytes: (item, done, total, finished) => send({ type: "bytes", item, done, total, ...(finished ? { finished } : {}) }),
    notice: (level, message) => send({ type: "notice", level, message }),
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      open = false;
    },
  });
  void handler(params as never, { progress, opId: op.id }).then(
    (result) => {
      op.finish();
      send({ type: "result", result });
    },
    (err) => {
      const e = asBangerError(err);
      op.finish(e.message);
      deps.log.warn("operation failed", { op: op.id, method: name, error: e.message });
      send({ type: "error", error: e.toBody().error });
    },
  ).finally(() => {
    if (open) controller.close();
    open = false;
  });
  return new Response(body, { headers: { "content-type": "application/x-ndjson" } });
}

function targetOf(params: unknown): string | null {
  if (!params || typeof params !== "object") return null;
  const p = params as Record<string, unknown>;
  for (const key of ["name", "ref", "path", "vm"]) if (typeof p[key] === "string") return p[key] as string;
  return null;
}

/**
 * Serve the app on a Unix socket with no idle timeout: a streamed vm create can be silent
 * for longer than Bun's 10 s default while the guest boots. (Bun's types omit idleTimeout
 * for unix sockets; the runtime honours it.)
 */
export function serveUnix(socket: string, app: Hono): ReturnType<typeof Bun.serve> {
  const options = { unix: socket, fetch: app.fetch, idleTimeout: 0 };
  return Bun.serve(options as unknown as Parameters<typeof Bun.serve>[0]);
}
