import { describe, expect, test } from "bun:test";
import { BangerError } from "../../../src/api/errors.ts";
import { formatSize, humanSize, parseSize } from "../../../src/config/size.ts";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe("parseSize", () => {
  test.each([
    ["8G", 8 * GiB],
    ["8g", 8 * GiB],
    ["8GB", 8 * GiB],
    ["10GiB", 10 * GiB],
    ["512M", 512 * MiB],
    ["512mib", 512 * MiB],
    ["1.5G", 1.5 * GiB],
    ["4K", 4096],
    ["2T", 2 * 1024 ** 4],
    ["4096", 4096],
    ["4096B", 4096],
    [" 8 G ", 8 * GiB],
  ])("%p -> %p bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  test.each(["", "G", "8X", "-1G", "0", "0G", "8iB", "eight", "8 G B", "1e3", "99999999999T"])("rejects %p", (text) => {
    expect(() => parseSize(text)).toThrow(BangerError);
  });

  test("the message names the input and the accepted shape", () => {
    expect(() => parseSize("8X")).toThrow('invalid size "8X": use a number with an optional unit, like 512M, 8G or 10GiB');
  });
});

describe("formatSize", () => {
  test.each([
    [8 * GiB, "8G"],
    [1536 * MiB, "1536M"],
    [2 * 1024 ** 4, "2T"],
    [4096, "4K"],
    [1000, "1000"],
  ])("%p -> %p", (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  test("round-trips through parseSize", () => {
    for (const bytes of [1, 1023, 1024, 3 * MiB, 8 * GiB, 1536 * MiB, 5 * 1024 ** 4]) {
      expect(parseSize(formatSize(bytes))).toBe(bytes);
    }
  });
});

describe("humanSize", () => {
  test.each([
    [512, "512 B"],
    [1536, "1.5 KiB"],
    [1288490189, "1.2 GiB"],
    [8 * GiB, "8 GiB"],
    [150 * MiB, "150 MiB"],
  ])("%p -> %p", (bytes, text) => {
    expect(humanSize(bytes)).toBe(text);
  });
});
