// The whole RPC surface: every method name, its params schema and result type.
// Each noun declares its methods in its own file; this table merges them.
import { daemonMethods } from "./daemon.ts";
import { vmMethods } from "./vms.ts";
import { kernelMethods } from "./kernels.ts";
import { imageMethods } from "./images.ts";
import type { ParamsOf, ParsedParamsOf, ResultOf } from "./define.ts";

export const METHODS = {
  ...daemonMethods,
  ...kernelMethods,
  ...imageMethods,
  ...vmMethods,
};

export type Methods = typeof METHODS;
export type MethodName = keyof Methods;
export type Params<N extends MethodName> = ParamsOf<Methods[N]>;
export type ParsedParams<N extends MethodName> = ParsedParamsOf<Methods[N]>;
export type Result<N extends MethodName> = ResultOf<Methods[N]>;

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(METHODS, name);
}
