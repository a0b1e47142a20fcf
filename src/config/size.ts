// Size strings for disks and memory ("8G", "512M", "10GiB", "1.5G", "4096"). Every unit
// is binary (K = KiB = 1024), as qemu-img, truncate and Docker treat them; a bare number
// is bytes. formatSize is parseSize's inverse for whole units; humanSize is for display.
import { BangerError } from "../api/errors.ts";

const UNIT_POWER: Record<string, number> = { "": 0, b: 0, k: 1, m: 2, g: 3, t: 4 };
const SIZE_RE = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(i?b)?\s*$/i;

/** Bytes in `text`; throws a usage error for anything else, zero or negative. */
export function parseSize(text: string): number {
  const match = SIZE_RE.exec(text);
  if (!match || (match[3] && match[3].toLowerCase() === "ib" && !match[2])) {
    throw new BangerError("usage", `invalid size "${text}": use a number with an optional unit, like 512M, 8G or 10GiB`);
  }
  const bytes = Math.round(Number(match[1]) * 1024 ** UNIT_POWER[match[2]!.toLowerCase()]!);
  if (bytes <= 0) throw new BangerError("usage", `invalid size "${text}": must be greater than zero`);
  if (!Number.isSafeInteger(bytes)) throw new BangerError("usage", `invalid size "${text}": too large`);
  return bytes;
}

/** The shortest exact form: 8589934592 -> "8G", 1536 MiB -> "1536M", 1000 -> "1000". */
export function formatSize(bytes: number): string {
  for (const [suffix, power] of [["T", 4], ["G", 3], ["M", 2], ["K", 1]] as const) {
    const unit = 1024 ** power;
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

/** For people: 1288490189 -> "1.2 GiB", 512 -> "512 B". */
export function humanSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let i = 0;
  while (Math.abs(value) >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  const text = i === 0 || value >= 100 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, "");
  return `${text} ${units[i]}`;
}
