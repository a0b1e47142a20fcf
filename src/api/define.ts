// How an RPC method is declared: a valibot schema for its params (validated at the
// daemon boundary), whether it streams progress, and its result type (type-level only).
import type * as v from "valibot";

export interface MethodSpec<P extends v.GenericSchema = v.GenericSchema, R = unknown> {
  readonly params: P;
  /** Streams NDJSON progress events before its result. */
  readonly stream: boolean;
  /** Phantom field carrying the result type; never set at runtime. */
  readonly _result?: R;
}

/** `method(schema)<Result>()` — params inferred from the schema, result given explicitly. */
export function method<P extends v.GenericSchema>(params: P, opts: { stream?: boolean } = {}) {
  return <R>(): MethodSpec<P, R> => ({ params, stream: opts.stream ?? false });
}

export type ParamsOf<M> = M extends MethodSpec<infer P, unknown> ? v.InferInput<P> : never;
export type ParsedParamsOf<M> = M extends MethodSpec<infer P, unknown> ? v.InferOutput<P> : never;
export type ResultOf<M> = M extends MethodSpec<v.GenericSchema, infer R> ? R : never;
