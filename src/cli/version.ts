import { defineCommand } from "citty";
import { BUILD, formatBuild } from "../build-info.ts";
import { printJson } from "./output.ts";

export default defineCommand({
  meta: { name: "version", description: "Print the build of this banger executable" },
  args: { json: { type: "boolean", description: "Output JSON" } },
  run({ args }) {
    if (args.json) printJson(BUILD);
    else process.stdout.write(formatBuild(BUILD) + "\n");
  },
});
