// Kernel bundles are zstd-compressed tar files (.tar.zst). The archive is decompressed
// (fzstd, streaming) straight into the hardened extractor: no intermediate .tar on disk.
import { Decompress } from "fzstd";
import { BangerError } from "../api/errors.ts";
import { DEFAULT_TAR_LIMITS, TarExtractor, type TarLimits } from "./tar-extract.ts";

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Extract `file` (.tar.zst) into the existing empty directory `dest`. */
export async function extractBundle(file: string, dest: string, limits: TarLimits = DEFAULT_TAR_LIMITS): Promise<void> {
  const tar = new TarExtractor(dest, limits);
  let ended = false;
  const zstd = new Decompress((chunk, final) => {
    tar.write(chunk);
    if (final) ended = true;
  });
  let first = true;
  try {
    for await (const chunk of Bun.file(file).stream()) {
      if (first && !ZSTD_MAGIC.every((b, i) => chunk[i] === b)) {
        throw new BangerError("invalid_content", "kernel bundle is not zstd-compressed (expected a .tar.zst)");
      }
      first = false;
      pushChunk(zstd, chunk);
    }
    if (first) throw new BangerError("invalid_content", "kernel bundle is empty");
    pushChunk(zstd, new Uint8Array(0), true);
    if (!ended) throw new BangerError("invalid_content", "kernel bundle is truncated (zstd stream did not end)");
    tar.end();
  } finally {
    tar.close();
  }
}

/** fzstd signals corrupt input with plain Errors; ours (tar hardening) pass through. */
function pushChunk(zstd: Decompress, chunk: Uint8Array, final = false): void {
  try {
    zstd.push(chunk, final);
  } catch (err) {
    if (err instanceof BangerError) throw err;
    throw new BangerError("invalid_content", `kernel bundle is not valid zstd data: ${(err as Error).message}`);
  }
}
