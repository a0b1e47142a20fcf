import { expect, test } from "bun:test";
import { BangerError } from "../../../src/api/errors.ts";
import { exec, ExecError, execPrivileged, installHint, privilegedArgv } from "../../../src/host/exec.ts";

test("stdout, stdin and exit code", async () => {
  const r = await exec(["cat"], { stdin: "hello" });
  expect(r).toMatchObject({ exitCode: 0, stdout: "hello" });
});

test("failure carries stderr in the message and details", async () => {
  const err = await exec(["sh", "-c", "echo broken thing >&2; exit 3"]).catch((e) => e);
  expect(err).toBeInstanceOf(ExecError);
  expect(err.message).toContain("broken thing");
  expect(err.details).toMatchObject({ exit_code: 3 });
});

test("a missing tool says what to install", async () => {
  const err = await exec(["mkfs.nonexistent-tool"]).catch((e) => e);
  expect(err).toBeInstanceOf(BangerError);
  expect(err.message).toContain("not found");
  expect(installHint("debugfs")).toBe("install e2fsprogs (apt-get install e2fsprogs)");
});

test("timeouts kill the command", async () => {
  const err = await exec(["sleep", "5"], { timeoutMs: 100 }).catch((e) => e);
  expect(err.message).toContain("timed out");
});

test("privileged commands: direct as root, sudo -n otherwise; allow-list enforced", async () => {
  expect(privilegedArgv(["ip", "link"], true)).toEqual(["ip", "link"]);
  expect(privilegedArgv(["ip", "link"], false)).toEqual(["sudo", "-n", "--", "ip", "link"]);
  const err = await execPrivileged(["rm" as "ip", "-rf", "/"]).catch((e) => e);
  expect(err.message).toContain("not an allow-listed");
});
