// The CLI root: the explicit table of nouns, --help on every level, and the one place
// where errors become a one-line message and an exit code.
import { defineCommand, renderUsage, runCommand, type CommandDef } from "citty";
import { BangerError } from "../api/errors.ts";
import daemon from "./daemon.ts";
import doctor from "./doctor.ts";
import image from "./image.ts";
import kernel from "./kernel.ts";
import version from "./version.ts";
import vm, { ps } from "./vm.ts";

export const subCommands: Record<string, CommandDef<any>> = { vm, ps, image, kernel, daemon, doctor, version };

export const root = defineCommand({
  meta: { name: "banger", description: "Disposable Linux microVMs from OCI images" },
  args: { verbose: { type: "boolean", description: "Print stack traces on errors" } },
  subCommands,
});

/** Exit codes: 0 ok, 1 runtime failure, 2 usage error. */
export async function runCli(rawArgs: string[]): Promise<number> {
  const verbose = rawArgs.includes("--verbose");
  const args = rawArgs.filter((a) => a !== "--verbose");
  try {
    const beforeDashes = args.slice(0, args.indexOf("--") < 0 ? args.length : args.indexOf("--"));
    if (args.length === 0 || beforeDashes.includes("--help") || beforeDashes.includes("-h")) {
      const [cmd, parent] = await resolveCommand(root, beforeDashes);
      const usage = await renderUsage(cmd, parent);
      process.stdout.write((process.stdout.isTTY ? usage : stripAnsi(usage)) + "\n");
      return 0;
    }
    await runCommand(root, { rawArgs: args });
    return 0;
  } catch (err) {
    return reportError(err, verbose);
  }
}

function reportError(err: unknown, verbose: boolean): number {
  if (verbose && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  if (err instanceof BangerError) {
    process.stderr.write(`banger: ${err.message}\n`);
    return err.code === "usage" || err.code === "invalid_params" ? 2 : 1;
  }
  // citty's own errors (unknown command, missing argument) are usage errors.
  if (err instanceof Error && err.name === "CLIError") {
    process.stderr.write(`banger: ${err.message} (see --help)\n`);
    return 2;
  }
  process.stderr.write(`banger: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

async function resolveCommand(cmd: CommandDef<any>, args: string[], parent?: CommandDef<any>): Promise<[CommandDef<any>, CommandDef<any> | undefined]> {
  const subs = (await resolve(cmd.subCommands)) as Record<string, CommandDef<any>> | undefined;
  const name = args.find((a) => !a.startsWith("-"));
  if (!subs || !name) return [cmd, parent];
  const sub = subs[name] ?? (await findAlias(subs, name));
  if (!sub) return [cmd, parent];
  return resolveCommand(sub, args.slice(args.indexOf(name) + 1), cmd);
}

async function findAlias(subs: Record<string, CommandDef<any>>, name: string): Promise<CommandDef<any> | undefined> {
  for (const sub of Object.values(subs)) {
    const meta = (await resolve(sub.meta)) as { alias?: string | string[] } | undefined;
    const aliases = meta?.alias === undefined ? [] : Array.isArray(meta.alias) ? meta.alias : [meta.alias];
    if (aliases.includes(name)) return sub;
  }
  return undefined;
}

async function resolve<T>(value: T | (() => T | Promise<T>) | Promise<T>): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}
