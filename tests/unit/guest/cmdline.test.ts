import { describe, expect, test } from "bun:test";
import { BangerError } from "../../../src/api/errors.ts";
import { buildGuestCmdline, hostTscKhz, parseTscKhz, type GuestCmdlineInput } from "../../../src/guest/cmdline.ts";

const base: GuestCmdlineInput = {
  ip: "172.30.0.2",
  prefix: 24,
  gateway: "172.30.0.1",
  dns: ["172.30.0.1"],
  hostname: "devvm",
  console: "ttyS0",
  tcg: null,
  extra: [],
};

describe("buildGuestCmdline", () => {
  test("minimal VM (KVM, no TSC fix)", () => {
    expect(buildGuestCmdline(base)).toBe(
      "console=ttyS0 root=/dev/vda rw panic=-1 init=/usr/local/bin/banger-agent " +
        "banger.ip=172.30.0.2/24 banger.gw=172.30.0.1 banger.dns=172.30.0.1 banger.hostname=devvm",
    );
  });

  test("TCG adds tsc_early_khz and tsc=reliable", () => {
    const s = buildGuestCmdline({ ...base, tcg: { tscKhz: 2445404 } });
    expect(s.endsWith(" tsc_early_khz=2445404 tsc=reliable")).toBe(true);
  });

  test("everything set, extras last and in order", () => {
    const s = buildGuestCmdline({
      ...base,
      dns: ["1.1.1.1", "9.9.9.9"],
      init: "/lib/systemd/systemd",
      vsockPort: 10240,
      poweroff: "reboot",
      root: "/dev/vdb",
      workDevice: "/dev/vdc",
      console: "ttyS1",
      tcg: { tscKhz: 3000000 },
      extra: ["quiet", "reboot=k"],
    });
    expect(s.split(" ")).toEqual([
      "console=ttyS1",
      "root=/dev/vdb",
      "rw",
      "panic=-1",
      "init=/usr/local/bin/banger-agent",
      "banger.ip=172.30.0.2/24",
      "banger.gw=172.30.0.1",
      "banger.dns=1.1.1.1,9.9.9.9",
      "banger.hostname=devvm",
      "banger.init=/lib/systemd/systemd",
      "banger.vsock_port=10240",
      "banger.poweroff=reboot",
      "banger.work=/dev/vdc",
      "tsc_early_khz=3000000",
      "tsc=reliable",
      "quiet",
      "reboot=k",
    ]);
  });

  test("a work device must be a /dev node", () => {
    expect(() => buildGuestCmdline({ ...base, workDevice: "vdb; rm" })).toThrow("workDevice");
  });

  test("no dns -> no banger.dns (the image's resolv.conf stays)", () => {
    expect(buildGuestCmdline({ ...base, dns: [] })).not.toContain("banger.dns");
  });

  const bad: Array<[string, Partial<GuestCmdlineInput>]> = [
    ["ip", { ip: "172.30.0" }],
    ["ip", { ip: "300.1.1.1" }],
    ["prefix", { prefix: 33 }],
    ["prefix", { prefix: 2.5 }],
    ["gateway", { gateway: "gw" }],
    ["dns", { dns: ["1.1.1.1 evil=1"] }],
    ["hostname", { hostname: "bad host" }],
    ["hostname", { hostname: "-x" }],
    ["init", { init: "sbin/init" }],
    ["init", { init: "/sbin/init quiet" }],
    ["vsockPort", { vsockPort: 0 }],
    ["console", { console: "tty S0" }],
    ["tcg.tscKhz", { tcg: { tscKhz: 0 } }],
    ["extra", { extra: ["a b"] }],
    ["extra", { extra: ['x="y z"'] }],
  ];
  for (const [field, patch] of bad) {
    test(`rejects bad ${field}: ${JSON.stringify(patch)}`, () => {
      let err: unknown;
      try {
        buildGuestCmdline({ ...base, ...patch });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BangerError);
      expect((err as BangerError).code).toBe("invalid_params");
      expect((err as BangerError).details?.field).toBe(field);
    });
  }
});

describe("host TSC frequency", () => {
  const cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2445.406\ncache size\t: 512 KB\n";

  test("parses cpu MHz into kHz", () => {
    expect(parseTscKhz(cpuinfo)).toBe(2445406);
    expect(parseTscKhz("cpu MHz : 3000\n")).toBe(3000000);
    expect(parseTscKhz("model name: x\n")).toBeNull();
  });

  test("prefers sysfs tsc_freq_khz, falls back to /proc/cpuinfo, null when neither", () => {
    const fs = (files: Record<string, string>) => (p: string) => {
      if (p in files) return files[p]!;
      throw new Error("ENOENT");
    };
    expect(hostTscKhz(fs({ "/sys/devices/system/cpu/cpu0/tsc_freq_khz": "2445404\n", "/proc/cpuinfo": cpuinfo }))).toBe(2445404);
    expect(hostTscKhz(fs({ "/proc/cpuinfo": cpuinfo }))).toBe(2445406);
    expect(hostTscKhz(fs({}))).toBeNull();
  });

  test("this host has a usable value", () => {
    expect(hostTscKhz()).toBeGreaterThan(100_000);
  });
});
