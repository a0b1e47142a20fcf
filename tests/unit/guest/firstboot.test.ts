// The first-boot SSH installer: RUN_PLAN=1 dry runs for each distribution family.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTool } from "../../helpers/require.ts";

const SCRIPT = join(import.meta.dir, "../../../assets/guest/firstboot.sh");
const dir = mkdtempSync(join(tmpdir(), "banger-firstboot-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function plan(osRelease: string | null, extraEnv: Record<string, string> = {}) {
  const file = join(dir, `os-release-${Math.random().toString(16).slice(2)}`);
  if (osRelease !== null) writeFileSync(file, osRelease);
  // A PATH without dnf/yum/apt so the plan does not depend on the host.
  const p = Bun.spawnSync(["/bin/sh", SCRIPT], {
    env: { PATH: "/usr/bin:/bin", RUN_PLAN: "1", OS_RELEASE_FILE: file, ...extraEnv },
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = p.stdout.toString();
  return {
    code: p.exitCode,
    stdout: out,
    stderr: p.stderr.toString(),
    family: /^family: (.*)$/m.exec(out)?.[1],
    run: out.split("\n").filter((l) => l.startsWith("run: ")).map((l) => l.slice(5)),
  };
}

const APT = [
  "apt-get update",
  "env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server",
];

const matrix: Array<[string, string, string, string[]]> = [
  ["debian", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n', "apt", APT],
  ["ubuntu", 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n', "apt", APT],
  ["alpine", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.0\n", "apk", ["apk add --no-cache openssh-server"]],
  ["fedora", "NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=40\n", "dnf", ["dnf install -y openssh-server"]],
  [
    "rocky via ID_LIKE",
    'NAME="Rocky Linux"\nID="rocky-custom"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n',
    "dnf",
    ["dnf install -y openssh-server"],
  ],
  ["rhel", 'ID="rhel"\nID_LIKE="fedora"\n', "dnf", ["dnf install -y openssh-server"]],
  ["arch", "NAME=\"Arch Linux\"\nID=arch\n", "pacman", ["pacman -Sy --noconfirm --needed openssh"]],
  [
    "opensuse",
    'NAME="openSUSE Tumbleweed"\nID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n',
    "zypper",
    ["zypper --non-interactive install openssh"],
  ],
  ["single-quoted, upper-case", "ID='Debian'\n", "apt", APT],
];

describe("firstboot.sh RUN_PLAN=1", () => {
  for (const [name, osr, family, run] of matrix) {
    test(name, () => {
      const r = plan(osr);
      expect(r.code).toBe(0);
      expect(r.family).toBe(family);
      expect(r.run).toEqual(run);
      expect(r.stdout).toMatch(/^sshd: (present|missing)$/m);
    });
  }

  test("unknown distribution -> clear failure, exit 2", () => {
    const r = plan('NAME="Plan 9"\nID=plan9\nID_LIKE="bell-labs"\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unsupported distribution (ID=plan9 ID_LIKE=bell-labs)");
    expect(r.stderr).toContain("install openssh-server in the image yourself");
    expect(r.run).toEqual([]);
  });

  test("missing os-release -> clear failure, exit 2", () => {
    const r = plan(null);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read");
  });

  test("is POSIX sh (dash -n parses it)", () => {
    requireTool("dash", "dash");
    expect(Bun.spawnSync(["dash", "-n", SCRIPT]).exitCode).toBe(0);
  });
});
