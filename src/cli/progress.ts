// Live progress of streamed operations: on a TTY, one redrawn line per running item
// with a byte bar; off a TTY (pipes, CI logs), plain lines, one per stage.
import type { ProgressEvent } from "../api/progress.ts";
import { formatBytes } from "./output.ts";

export interface ProgressView {
  onEvent(event: ProgressEvent): void;
  done(): void;
}

export function createProgressView(stream: NodeJS.WriteStream = process.stderr, quiet = false): ProgressView {
  if (quiet) return { onEvent() {}, done() {} };
  return stream.isTTY ? ttyView(stream) : plainView(stream);
}

function plainView(out: NodeJS.WriteStream): ProgressView {
  const started = Date.now();
  return {
    onEvent(e) {
      const t = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
      if (e.type === "stage") out.write(`[${t}s] ${e.message}\n`);
      else if (e.type === "notice") out.write(`${e.level === "warn" ? "warning" : "note"}: ${e.message}\n`);
      else if (e.type === "bytes" && e.finished) out.write(`[${t}s]   ${shortItem(e.item)} ${formatBytes(e.done)} done\n`);
    },
    done() {},
  };
}

function ttyView(out: NodeJS.WriteStream): ProgressView {
  const bars = new Map<string, { done: number; total: number | null; finished: boolean }>();
  let stage = "";
  let drawn = 0;
  const draw = () => {
    if (drawn > 0) out.write(`\x1b[${drawn}F\x1b[J`);
    const lines = [stage, ...[...bars.entries()].map(([item, b]) => barLine(item, b))].filter(Boolean);
    out.write(lines.map((l) => l + "\n").join(""));
    drawn = lines.length;
  };
  return {
    onEvent(e) {
      if (e.type === "stage") {
        // Completed stages scroll up; only the current one is redrawn.
        if (stage) {
          out.write(drawn > 0 ? `\x1b[${drawn}F\x1b[J` : "");
          out.write(`✓ ${stage}\n`);
          drawn = 0;
          bars.clear();
        }
        stage = e.message;
      } else if (e.type === "bytes") {
        bars.set(e.item, { done: e.done, total: e.total, finished: !!e.finished });
      } else {
        out.write(drawn > 0 ? `\x1b[${drawn}F\x1b[J` : "");
        drawn = 0;
        out.write(`${e.level === "warn" ? "warning" : "note"}: ${e.message}\n`);
      }
      draw();
    },
    done() {
      if (drawn > 0) out.write(`\x1b[${drawn}F\x1b[J`);
      if (stage) out.write(`✓ ${stage}\n`);
      drawn = 0;
    },
  };
}

function barLine(item: string, b: { done: number; total: number | null; finished: boolean }): string {
  const width = 24;
  const frac = b.total ? Math.min(1, b.done / b.total) : b.finished ? 1 : 0;
  const fill = Math.round(frac * width);
  const size = b.total ? `${formatBytes(b.done)} / ${formatBytes(b.total)}` : formatBytes(b.done);
  return `  ${shortItem(item).padEnd(19)} [${"#".repeat(fill)}${" ".repeat(width - fill)}] ${size}`;
}

function shortItem(item: string): string {
  return item.startsWith("sha256:") ? item.slice(0, 19) : item;
}
