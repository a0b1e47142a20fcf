// Build stamp. build.ts replaces these identifiers with literals (`bun build --define`);
// running from source reports a dev build so a source CLI and a compiled daemon differ.
import type { BuildInfo } from "./api/daemon.ts";

declare const BANGER_VERSION: string;
declare const BANGER_COMMIT: string;
declare const BANGER_BUILT_AT: string;

export const BUILD: BuildInfo = {
  version: typeof BANGER_VERSION === "string" ? BANGER_VERSION : "0.0.0-dev",
  commit: typeof BANGER_COMMIT === "string" ? BANGER_COMMIT : "unknown",
  built_at: typeof BANGER_BUILT_AT === "string" ? BANGER_BUILT_AT : "unknown",
};

export function sameBuild(a: BuildInfo, b: BuildInfo): boolean {
  return a.version === b.version && a.commit === b.commit && a.built_at === b.built_at;
}

export function formatBuild(b: BuildInfo): string {
  return `banger ${b.version} (commit ${b.commit}, built ${b.built_at})`;
}
