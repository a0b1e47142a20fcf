// Layer and archive compression, sniffed from the first bytes rather than trusted from a
// media type (registries and `docker save` are not always truthful): gzip, zstd or plain.
// Decompression is native and streaming (DecompressionStream), so a layer never has to
// fit in memory or be unpacked to disk first.

export type Compression = "gzip" | "zstd" | "none";

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];

export function sniffCompression(head: Uint8Array): Compression {
  const starts = (magic: number[]) => magic.every((b, i) => head[i] === b);
  if (starts(GZIP)) return "gzip";
  if (starts(ZSTD)) return "zstd";
  return "none";
}

/** The decompressed content of `path` as a stream of chunks; `onRead` sees raw bytes read so far. */
export async function openDecompressed(path: string, onRead?: (bytes: number) => void): Promise<ReadableStream<Uint8Array>> {
  const file = Bun.file(path);
  const kind = sniffCompression(await file.slice(0, 4).bytes());
  let raw: ReadableStream<Uint8Array> = file.stream();
  if (onRead) {
    let read = 0;
    raw = raw.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          read += chunk.length;
          onRead(read);
          ctl.enqueue(chunk);
        },
      }),
    );
  }
  if (kind === "none") return raw;
  return raw.pipeThrough(new DecompressionStream(kind as "gzip") as unknown as TransformStream<Uint8Array, Uint8Array>);
}
