import { expect, test } from "bun:test";
import { planResolvedRevert, planResolvedRouting, probeResolved, routeVmZone, revertVmZone } from "../../../src/host/resolved.ts";
import { silentLogger, type LogFields } from "../../../src/log.ts";

test("routing plan: our server and ~vm on the bridge, no default route, no DNSSEC", () => {
  expect(planResolvedRouting("br-banger", "127.0.0.1:42069")).toEqual([
    ["resolvectl", "dns", "br-banger", "127.0.0.1:42069"],
    ["resolvectl", "domain", "br-banger", "~vm"],
    ["resolvectl", "default-route", "br-banger", "false"],
    ["resolvectl", "dnssec", "br-banger", "no"],
  ]);
  expect(planResolvedRevert("br-banger")).toEqual([["resolvectl", "revert", "br-banger"]]);
  expect(() => planResolvedRouting("bad name", "127.0.0.1:1")).toThrow();
});

test("detection says why resolved is unusable", () => {
  expect(probeResolved({ hasResolvectl: false, runtimeDir: true })).toEqual({ active: false, reason: expect.stringContaining("not installed") });
  expect(probeResolved({ hasResolvectl: true, runtimeDir: false })).toEqual({ active: false, reason: expect.stringContaining("not running") });
  expect(probeResolved({ hasResolvectl: true, runtimeDir: true }).active).toBe(true);
});

test("without resolved, routing and revert are no-ops that log the reason", async () => {
  const logged: [string, LogFields | undefined][] = [];
  const log = { ...silentLogger, info: (m: string, f?: LogFields) => void logged.push([m, f]) };
  const facts = { hasResolvectl: true, runtimeDir: false };
  expect(await routeVmZone({ bridge: "br-banger", dnsListen: "127.0.0.1:42069", log, facts })).toBe(false);
  expect(await revertVmZone({ bridge: "br-banger", dnsListen: "127.0.0.1:42069", log, facts })).toBe(false);
  expect(logged).toEqual([
    ["skipping systemd-resolved routing", { reason: "systemd-resolved is not running (/run/systemd/resolve missing)", bridge: "br-banger" }],
    ["skipping systemd-resolved routing", { reason: "systemd-resolved is not running (/run/systemd/resolve missing)", bridge: "br-banger" }],
  ]);
});
