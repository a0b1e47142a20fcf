// Child process of nonroot.test.ts: flatten a layer with awkward metadata and build the
// ext4 in the directory given as argv[2], as whatever user runs it.
import { buildExt4 } from "../../../src/disk/ext4.ts";
import { LayerApplier } from "../../../src/oci/flatten.ts";
import { TarStream } from "../../../src/oci/tar-stream.ts";
import { Tree } from "../../../src/oci/tree.ts";
import { tarBytes } from "../../fixtures/oci-builder.ts";

const dir = process.argv[2]!;
const tree = new Tree(`${dir}/tree`);
const applier = new LayerApplier(tree);
applier.begin();
const tar = new TarStream((e) => applier.entry(e));
tar.write(
  tarBytes([
    { type: "file", path: "usr/bin/su", content: "su", mode: 0o4755 },
    { type: "file", path: "etc/shadow", content: "x", mode: 0o640, gid: 42 },
    { type: "file", path: "etc/secret", content: "x", mode: 0o000 },
    { type: "dir", path: "locked", mode: 0o000 },
    { type: "file", path: "locked/f", content: "in", mode: 0o400, uid: 1000 },
    { type: "symlink", path: "lib", target: "usr/lib", uid: 5 },
    { type: "char", path: "dev/null", major: 1, minor: 3, mode: 0o666 },
  ]),
);
tar.end();
await buildExt4(tree, { file: `${dir}/img.ext4`, label: "rootfs", sizeBytes: 64 * 1024 * 1024, tmpDir: dir, check: true });
tree.destroy();
console.log(`built as uid ${process.getuid?.()}`);
