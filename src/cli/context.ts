// What every CLI verb needs: paths, a live daemon client, and a helper to run a
// streaming call with live progress.
import type { MethodName, Params, Result } from "../api/methods.ts";
import { ensureDaemon } from "../client/autostart.ts";
import type { RpcClient } from "../client/rpc.ts";
import { Paths } from "../config/paths.ts";
import { createProgressView } from "./progress.ts";

let cached: Promise<RpcClient> | null = null;

export function paths(): Paths {
  return Paths.fromEnv();
}

/** Client of a running daemon of this build, starting or restarting it as needed. */
export function client(): Promise<RpcClient> {
  cached ??= ensureDaemon(paths()).then((r) => {
    if (r.warning) process.stderr.write(`warning: ${r.warning}\n`);
    return r.client;
  });
  return cached;
}

export async function call<N extends MethodName>(method: N, params: Params<N>): Promise<Result<N>> {
  return (await client()).call(method, params);
}

/** A long operation with live progress on stderr (quiet with --json on a non-TTY). */
export async function callWithProgress<N extends MethodName>(
  method: N,
  params: Params<N>,
  opts: { quiet?: boolean } = {},
): Promise<Result<N>> {
  const view = createProgressView(process.stderr, opts.quiet ?? false);
  try {
    return await (await client()).call(method, params, { onEvent: (e) => view.onEvent(e) });
  } finally {
    view.done();
  }
}
