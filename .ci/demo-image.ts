// Prints the path of a Debian bookworm OCI layout built from Debian packages (mmdebstrap),
// cached under ~/.cache/banger-test: the offline image the demo imports.
import { debianImage } from "../tests/fixtures/debian-image.ts";

console.log((await debianImage()).layout);
