// Unix-socket test servers in a temp dir, closed and removed by cleanup().
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestServer {
  path: string;
  sockets: Socket[];
  close(): Promise<void>;
}

export async function unixServer(onConnection: (sock: Socket, index: number) => void): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "banger-vmm-"));
  const path = join(dir, "s.sock");
  const sockets: Socket[] = [];
  const server: Server = createServer((sock) => {
    sockets.push(sock);
    sock.on("error", () => {});
    onConnection(sock, sockets.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    sockets,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };

/** A logger that keeps "level: message" lines. */
export function memoryLogger(lines: string[]) {
  const log = {
    debug: (m: string) => void lines.push(`debug: ${m}`),
    info: (m: string) => void lines.push(`info: ${m}`),
    warn: (m: string) => void lines.push(`warn: ${m}`),
    error: (m: string) => void lines.push(`error: ${m}`),
    child: () => log,
  };
  return log;
}
