import { describe, expect, test } from "bun:test";
import { formatIpv4, isLoopbackIpv4, parseIpv4, parseSubnet, subnetContains } from "../../../src/config/ipv4.ts";

describe("ipv4", () => {
  test("parse and format round-trip", () => {
    for (const ip of ["0.0.0.0", "172.30.0.1", "255.255.255.255", "10.0.0.254"]) {
      expect(formatIpv4(parseIpv4(ip)!)).toBe(ip);
    }
  });

  test.each(["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "a.b.c.d", "1.2.3.-4"])("rejects %p", (text) => {
    expect(parseIpv4(text)).toBeUndefined();
  });

  test("parseSubnet gives network, gateway and broadcast", () => {
    const s = parseSubnet("172.30.0.0/24");
    expect([formatIpv4(s.network), formatIpv4(s.gateway), formatIpv4(s.broadcast), s.prefix]).toEqual([
      "172.30.0.0",
      "172.30.0.1",
      "172.30.0.255",
      24,
    ]);
    expect(subnetContains(s, parseIpv4("172.30.0.77")!)).toBe(true);
    expect(subnetContains(s, parseIpv4("172.30.1.1")!)).toBe(false);
  });

  test("host bits set: suggests the network", () => {
    expect(() => parseSubnet("172.30.0.5/24")).toThrow('"172.30.0.5/24" has host bits set; did you mean 172.30.0.0/24?');
  });

  test.each(["172.30.0.0", "172.30.0.0/33", "172.30.0.0/", "x/24", "172.30.0.0/24/1"])("rejects %p", (text) => {
    expect(() => parseSubnet(text)).toThrow("is not an IPv4 CIDR");
  });

  test("loopback", () => {
    expect(isLoopbackIpv4("127.0.0.1")).toBe(true);
    expect(isLoopbackIpv4("127.5.6.7")).toBe(true);
    expect(isLoopbackIpv4("128.0.0.1")).toBe(false);
    expect(isLoopbackIpv4("localhost")).toBe(false);
  });
});
