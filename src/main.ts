// Entry point: the same executable is the daemon (`banger daemon run`, or invoked as
// `bangerd`) and the CLI (everything else).
import { basename } from "node:path";
import { runCli } from "./cli/main.ts";
import { runDaemon } from "./daemon/daemon.ts";

const invokedAs = basename(process.argv0 || process.argv[0] || "");
const selfName = basename(process.execPath);

if (invokedAs === "bangerd" || selfName === "bangerd") {
  runDaemon().catch((err) => {
    process.stderr.write(`bangerd: ${(err as Error).message}\n`);
    process.exit(1);
  });
} else {
  const code = await runCli(process.argv.slice(2));
  // `daemon run` keeps serving once started; everything else exits with its code.
  const serving = process.argv[2] === "daemon" && process.argv[3] === "run" && code === 0;
  if (!serving) process.exit(code);
}
