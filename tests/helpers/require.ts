// Preconditions of host-level tests: a missing one FAILS the test with what to do, it is
// never a silent skip.
export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) throw new Error(`${what} needs root (bridges, taps, netns): run the tests as root`);
}

export function requireTool(tool: string, pkg: string): string {
  const path = Bun.which(tool);
  if (!path) throw new Error(`${tool} not found: install ${pkg} (apt-get install ${pkg})`);
  return path;
}
