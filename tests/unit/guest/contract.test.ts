// The C agent mirrors src/api/guest.ts in guest-agent/src/contract.h: keep them equal.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_GUEST_PATH, AGENT_SERIAL_NAME, AGENT_VSOCK_PORT, CMDLINE, GUEST_LIB_DIR } from "../../../src/api/guest.ts";

function parseDefines(text: string): Map<string, string | number> {
  const out = new Map<string, string | number>();
  for (const m of text.matchAll(/^#define[ \t]+([A-Z_][A-Z0-9_]*)[ \t]+(.+?)[ \t]*$/gm)) {
    const raw = m[2]!;
    if (/^"(?:[^"\\]|\\.)*"$/.test(raw)) out.set(m[1]!, JSON.parse(raw));
    else if (/^\d+$/.test(raw)) out.set(m[1]!, Number(raw));
  }
  return out;
}

const header = parseDefines(readFileSync(join(import.meta.dir, "../../../guest-agent/src/contract.h"), "utf8"));

describe("contract.h mirrors src/api/guest.ts", () => {
  test("agent path, vsock port, serial name, lib dir", () => {
    expect(header.get("AGENT_GUEST_PATH")).toBe(AGENT_GUEST_PATH);
    expect(header.get("AGENT_VSOCK_PORT")).toBe(AGENT_VSOCK_PORT);
    expect(header.get("AGENT_SERIAL_NAME")).toBe(AGENT_SERIAL_NAME);
    expect(header.get("GUEST_LIB_DIR")).toBe(GUEST_LIB_DIR);
  });

  test("every command-line key, and no extra ones", () => {
    const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
    for (const [key, value] of Object.entries(CMDLINE)) {
      expect(header.get(`CMDLINE_${snake(key)}`), key).toBe(value);
    }
    const cKeys = [...header.keys()].filter((k) => k.startsWith("CMDLINE_"));
    expect(cKeys.length).toBe(Object.keys(CMDLINE).length);
  });
});
