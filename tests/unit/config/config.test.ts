import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BangerError } from "../../../src/api/errors.ts";
import { loadConfig, parseConfig, type ConfigContext } from "../../../src/config/config.ts";
import { Paths } from "../../../src/config/paths.ts";

const ctx: ConfigContext = { home: "/home/u", defaultSshKey: "/state/banger/ssh/id_ed25519", path: "/cfg/config.toml" };

function usageError(text: string): BangerError {
  try {
    parseConfig(text, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(BangerError);
    expect((err as BangerError).code).toBe("usage");
    expect((err as BangerError).message).not.toContain("\n");
    return err as BangerError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe("defaults", () => {
  test("an empty file gives every default", () => {
    expect(parseConfig("", ctx)).toEqual({
      vmm: "auto",
      firecrackerBin: "firecracker",
      qemuBin: "qemu-system-x86_64",
      bridgeName: "br-banger",
      bridgeSubnet: "172.30.0.0/24",
      dnsListen: { host: "127.0.0.1", port: 42069 },
      logLevel: "info",
      defaultImage: "debian",
      sshKey: "/state/banger/ssh/id_ed25519",
      insecureRegistries: [],
      platform: "linux/amd64",
      tapPoolSize: 2,
      stopTimeoutS: 30,
      vmDefaults: {},
      fileSync: [],
      file: { path: "/cfg/config.toml", exists: true },
    });
  });
});

describe("every key", () => {
  test("a full file is read into the typed config", () => {
    const config = parseConfig(
      `
vmm = "qemu"
firecracker_bin = "/opt/fc/firecracker"
qemu_bin = "/usr/bin/qemu-system-x86_64"
bridge_name = "br0"
bridge_subnet = "10.42.0.0/16"
dns_listen = "[::1]:5353"
log_level = "debug"
default_image = "alpine"
ssh_key = "~/.ssh/banger"
kernel_catalog_url = "https://example.test/kernels.json"
image_catalog_url = "http://127.0.0.1:8080/images.json"
insecure_registries = ["127.0.0.1:5000", "registry.local", "[::1]:5001"]
platform = "linux/arm64/v8"
tap_pool_size = 0
stop_timeout_s = 5

[vm_defaults]
vcpu = 2
memory_mib = 2048
disk_size = "20G"

[[file_sync]]
host = "~/.aws"
guest = "~/.aws"

[[file_sync]]
host = "/etc/hosts"
guest = "/root/hosts"
mode = "0644"
`,
      ctx,
    );
    expect(config).toMatchObject({
      vmm: "qemu",
      firecrackerBin: "/opt/fc/firecracker",
      bridgeName: "br0",
      bridgeSubnet: "10.42.0.0/16",
      dnsListen: { host: "::1", port: 5353 },
      logLevel: "debug",
      defaultImage: "alpine",
      sshKey: "/home/u/.ssh/banger",
      kernelCatalogUrl: "https://example.test/kernels.json",
      imageCatalogUrl: "http://127.0.0.1:8080/images.json",
      insecureRegistries: ["127.0.0.1:5000", "registry.local", "[::1]:5001"],
      platform: "linux/arm64/v8",
      tapPoolSize: 0,
      stopTimeoutS: 5,
      vmDefaults: { vcpu: 2, memoryMib: 2048, diskSizeBytes: 20 * 1024 ** 3 },
      fileSync: [
        { host: "/home/u/.aws", guest: "/root/.aws" },
        { host: "/etc/hosts", guest: "/root/hosts", mode: 0o644 },
      ],
    });
  });
});

describe("errors name the key", () => {
  test.each([
    ["unknown top-level key", `vmm = "qemu"\ncpus = 4`, 'config.toml: unknown key "cpus"'],
    ["unknown nested key", `[vm_defaults]\ncpus = 4`, 'config.toml: unknown key "vm_defaults.cpus"'],
    ["unknown key in an entry", `[[file_sync]]\nhost = "/a"\nguest = "~/a"\nowner = "x"`, 'config.toml: unknown key "file_sync[0].owner"'],
    ["missing key in an entry", `[[file_sync]]\nhost = "/a"`, 'config.toml: "file_sync[0].guest" is required'],
    ["zero vcpu", `[vm_defaults]\nvcpu = 0`, 'config.toml: "vm_defaults.vcpu" must be a positive integer'],
    ["negative vcpu", `[vm_defaults]\nvcpu = -2`, 'config.toml: "vm_defaults.vcpu" must be a positive integer'],
    ["fractional vcpu", `[vm_defaults]\nvcpu = 1.5`, 'config.toml: "vm_defaults.vcpu" must be a positive integer'],
    ["vcpu as a string", `[vm_defaults]\nvcpu = "4"`, 'config.toml: "vm_defaults.vcpu" must be a positive integer'],
    ["zero memory", `[vm_defaults]\nmemory_mib = 0`, 'config.toml: "vm_defaults.memory_mib" must be a positive integer (MiB)'],
    ["bad disk size", `[vm_defaults]\ndisk_size = "lots"`, 'config.toml: "vm_defaults.disk_size" must be a size like "8G", "512M" or "10GiB"'],
    ["disk size as a number", `[vm_defaults]\ndisk_size = 8`, 'config.toml: "vm_defaults.disk_size" must be a size like "8G", "512M" or "10GiB"'],
    ["vm_defaults not a table", `vm_defaults = 3`, 'config.toml: "vm_defaults" must be a table ([vm_defaults])'],
    ["vmm", `vmm = "kvm"`, 'config.toml: "vmm" must be "auto", "firecracker" or "qemu"'],
    ["relative binary", `qemu_bin = "bin/qemu"`, 'config.toml: "qemu_bin" must be a command name or an absolute path'],
    ["long bridge name", `bridge_name = "br-banger-too-long"`, 'config.toml: "bridge_name" must be a network interface name: 1-15 letters, digits, ".", "_" or "-"'],
    ["bridge name with slash", `bridge_name = "br/0"`, 'config.toml: "bridge_name" must be a network interface name: 1-15 letters, digits, ".", "_" or "-"'],
    ["subnet prefix too wide", `bridge_subnet = "10.0.0.0/8"`, 'config.toml: "bridge_subnet" must be an IPv4 network with a /16 to /29 prefix, like "172.30.0.0/24"'],
    ["subnet prefix too narrow", `bridge_subnet = "10.0.0.0/30"`, 'config.toml: "bridge_subnet" must be an IPv4 network with a /16 to /29 prefix, like "172.30.0.0/24"'],
    ["subnet with host bits", `bridge_subnet = "10.0.0.1/24"`, 'config.toml: "bridge_subnet" must be an IPv4 network with a /16 to /29 prefix, like "172.30.0.0/24"'],
    ["dns on a public address", `dns_listen = "0.0.0.0:53"`, 'config.toml: "dns_listen" must be a loopback address and port, like "127.0.0.1:42069"'],
    ["dns without a port", `dns_listen = "127.0.0.1"`, 'config.toml: "dns_listen" must be a loopback address and port, like "127.0.0.1:42069"'],
    ["dns port out of range", `dns_listen = "127.0.0.1:70000"`, 'config.toml: "dns_listen" must be a loopback address and port, like "127.0.0.1:42069"'],
    ["log level", `log_level = "trace"`, 'config.toml: "log_level" must be "debug", "info", "warn" or "error"'],
    ["empty default image", `default_image = ""`, 'config.toml: "default_image" must be a non-empty image name'],
    ["relative ssh key", `ssh_key = "keys/id"`, 'config.toml: "ssh_key" must be an absolute path (or start with ~/)'],
    ["catalog url scheme", `kernel_catalog_url = "ftp://x/y"`, 'config.toml: "kernel_catalog_url" must be an http://, https:// or file:// URL'],
    ["catalog url garbage", `image_catalog_url = "not a url"`, 'config.toml: "image_catalog_url" must be an http://, https:// or file:// URL'],
    ["registry with a path", `insecure_registries = ["ok:5000", "host/path"]`, 'config.toml: "insecure_registries[1]" must be "host" or "host:port"'],
    ["registry port", `insecure_registries = ["host:99999"]`, 'config.toml: "insecure_registries[0]" must be "host" or "host:port"'],
    ["registries not a list", `insecure_registries = "x"`, 'config.toml: "insecure_registries" must be a list of "host[:port]" strings'],
    ["platform", `platform = "amd64"`, 'config.toml: "platform" must be "linux/<arch>[/<variant>]", like "linux/amd64"'],
    ["negative tap pool", `tap_pool_size = -1`, 'config.toml: "tap_pool_size" must be an integer from 0 to 64'],
    ["zero stop timeout", `stop_timeout_s = 0`, 'config.toml: "stop_timeout_s" must be a positive integer (seconds, at most 3600)'],
    ["file_sync not an array of tables", `file_sync = "x"`, 'config.toml: "file_sync" must be an array of tables ([[file_sync]])'],
    ["file_sync entry not a table", `file_sync = ["x"]`, 'config.toml: "file_sync[0]" must be a table with host, guest and an optional mode'],
    ["file_sync mode as a number", `[[file_sync]]\nhost = "/a"\nguest = "~/a"\nmode = 0o600`, 'config.toml: "file_sync[0].mode" must be an octal string like "0600"'],
  ])("%s", (_, text, message) => {
    expect(usageError(text).message).toBe(message);
  });

  test("the error details carry the file path and key", () => {
    expect(usageError(`[vm_defaults]\ncpus = 4`).details).toEqual({ path: "/cfg/config.toml", key: "vm_defaults.cpus" });
  });

  test("file_sync semantic errors name the entry index", () => {
    const text = `[[file_sync]]\nhost = "~/a"\nguest = "~/a"\n[[file_sync]]\nhost = "~/b"\nguest = "~/b"\n[[file_sync]]\nhost = "~/c"\nguest = "/etc/c"`;
    expect(usageError(text).message).toBe('config.toml: file_sync[2].guest must be under ~/ or /root/ (got "/etc/c")');
  });
});

describe("TOML syntax errors name the line", () => {
  test.each([
    [`vmm = "qemu"\nlog_level = \n`, "config.toml: line 2, column 13: invalid value"],
    [`vmm = "qemu"\n\n[vm_defaults\n`, /^config\.toml: line 3, column \d+: /],
    [`vmm = "qemu"\nvmm = "auto"\n`, /^config\.toml: line 2, column 1: /],
  ])("%p", (text, expected) => {
    const err = usageError(text);
    if (typeof expected === "string") expect(err.message).toBe(expected);
    else expect(err.message).toMatch(expected);
  });
});

describe("loadConfig", () => {
  const root = mkdtempSync(join(tmpdir(), "banger-config-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const paths = new Paths({ config: join(root, "config"), state: join(root, "state"), cache: join(root, "cache"), runtime: join(root, "run") });

  test("a missing file is all defaults, with the default key under the state dir", () => {
    const config = loadConfig(paths, { HOME: "/home/u" });
    expect(config.file).toEqual({ path: paths.configFile, exists: false });
    expect(config.sshKey).toBe(join(root, "state", "ssh", "id_ed25519"));
    expect(config.vmm).toBe("auto");
  });

  test("reads the real file and expands ~ against $HOME", () => {
    mkdirSync(join(root, "config"), { recursive: true });
    writeFileSync(paths.configFile, `log_level = "warn"\n[[file_sync]]\nhost = "~/x"\nguest = "~/x"\n`);
    const config = loadConfig(paths, { HOME: "/home/someone" });
    expect(config.file.exists).toBe(true);
    expect(config.logLevel).toBe("warn");
    expect(config.fileSync).toEqual([{ host: "/home/someone/x", guest: "/root/x" }]);
  });

  test("an unreadable path is a usage error naming it", () => {
    const broken = new Paths({ ...paths.roots, config: join(root, "broken") });
    mkdirSync(broken.configFile, { recursive: true }); // a directory where the file should be: EISDIR
    expect(() => loadConfig(broken, { HOME: "/h" })).toThrow(`config.toml: cannot read ${broken.configFile}: `);
  });
});
