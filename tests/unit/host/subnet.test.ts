import { expect, test } from "bun:test";
import { bridgeSubnet, checkGuestIp, prefixToNetmask } from "../../../src/host/subnet.ts";

test("bridge address is the first host, with prefix and netmask", () => {
  expect(bridgeSubnet("172.30.0.0/24")).toEqual({
    cidr: "172.30.0.0/24", gateway: "172.30.0.1", prefix: 24, netmask: "255.255.255.0", hostCidr: "172.30.0.1/24",
  });
  expect(bridgeSubnet("10.20.0.0/16").hostCidr).toBe("10.20.0.1/16");
  expect(bridgeSubnet("10.20.0.8/29").netmask).toBe("255.255.255.248");
});

test("bad or too small subnets are usage errors", () => {
  expect(() => bridgeSubnet("172.30.0.5/24")).toThrow("host bits");
  expect(() => bridgeSubnet("10.0.0.0/31")).toThrow("too small");
  expect(() => bridgeSubnet("nope")).toThrow("IPv4 CIDR");
});

test("netmask from prefix", () => {
  expect(prefixToNetmask(0)).toBe("0.0.0.0");
  expect(prefixToNetmask(20)).toBe("255.255.240.0");
  expect(prefixToNetmask(32)).toBe("255.255.255.255");
  expect(() => prefixToNetmask(33)).toThrow();
});

test("guest IPs must be host addresses other than the gateway", () => {
  expect(checkGuestIp("172.30.0.0/24", "172.30.0.2")).toBe("172.30.0.2");
  for (const bad of ["172.30.0.0", "172.30.0.1", "172.30.0.255", "172.30.1.2", "x"]) {
    expect(() => checkGuestIp("172.30.0.0/24", bad)).toThrow();
  }
});
