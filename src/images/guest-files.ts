// The file set every image gets (F44): the embedded guest agent plus the guest assets
// (sshd drop-in, host-key and first-boot scripts), and the globs of files removed because
// they must differ per VM. Built by the composition root and handed to the image service.
import { AGENT_FILE, GUEST_FILES, GUEST_STRIP_GLOBS } from "../guest/assets.ts";
import { agentBinary } from "../guest/agent-binary.ts";
import type { InjectionSet } from "./build.ts";

export async function guestInjection(): Promise<InjectionSet> {
  const agent = await agentBinary();
  return { files: [{ ...AGENT_FILE, contents: agent }, ...GUEST_FILES], stripGlobs: GUEST_STRIP_GLOBS };
}
