// The guest agent binary, embedded in the banger executable. build.ts compiles it to
// dist/banger-agent before `bun build --compile`, which bundles this file import; from
// source (tests) the same path is read directly.
import agentPath from "../../dist/banger-agent" with { type: "file" };
import { BangerError } from "../api/errors.ts";

export async function agentBinary(): Promise<Uint8Array> {
  const file = Bun.file(agentPath);
  if (!(await file.exists())) {
    throw new BangerError("precondition", `guest agent binary missing at ${agentPath}: run \`bun run build.ts\``);
  }
  return file.bytes();
}
