import { describe, expect, test } from "bun:test";
import { defaultImageName, formatRef, isLoopbackRegistry, manifestReference, parseRef, registryScheme } from "../../../src/oci/ref.ts";

const D = `sha256:${"a".repeat(64)}`;

describe("parseRef", () => {
  test.each([
    ["debian", { registry: "registry-1.docker.io", repository: "library/debian", tag: "latest", digest: null }],
    ["debian:bookworm", { registry: "registry-1.docker.io", repository: "library/debian", tag: "bookworm", digest: null }],
    ["docker.io/library/debian:12", { registry: "registry-1.docker.io", repository: "library/debian", tag: "12", digest: null }],
    ["index.docker.io/bitnami/redis", { registry: "registry-1.docker.io", repository: "bitnami/redis", tag: "latest", digest: null }],
    ["user/app:v1", { registry: "registry-1.docker.io", repository: "user/app", tag: "v1", digest: null }],
    ["ghcr.io/o/r/sub:1.2", { registry: "ghcr.io", repository: "o/r/sub", tag: "1.2", digest: null }],
    ["localhost:5000/x", { registry: "localhost:5000", repository: "x", tag: "latest", digest: null }],
    ["localhost/x", { registry: "localhost", repository: "x", tag: "latest", digest: null }],
    ["127.0.0.1:5000/a/b:t", { registry: "127.0.0.1:5000", repository: "a/b", tag: "t", digest: null }],
    [`quay.io/a/b@${D}`, { registry: "quay.io", repository: "a/b", tag: null, digest: D }],
    [`debian:12@${D}`, { registry: "registry-1.docker.io", repository: "library/debian", tag: "12", digest: D }],
  ])("%s", (input, want) => {
    expect(parseRef(input)).toEqual(want);
  });

  test.each([
    ["", "non-empty"],
    ["deb ian", "no spaces"],
    ["Debian", 'repository component "Debian"'],
    ["debian:bad/tag", 'registry "debian:bad" is not a host[:port]'],
    ["debian:-x", 'tag "-x" is not valid'],
    ["debian@sha256:abc", "must be sha256: followed by 64"],
    [`debian@md5:${"a".repeat(32)}`, "must be sha256"],
    ["a..b/c", 'registry "a..b" is not a host[:port]'],
    ["bad_host:99x/x", 'registry "bad_host:99x" is not a host[:port]'],
  ])("rejects %j", (input, why) => {
    expect(() => parseRef(input)).toThrow(why);
  });
});

test("formatRef shows Docker Hub as docker.io", () => {
  expect(formatRef(parseRef("debian:bookworm"))).toBe("docker.io/library/debian:bookworm");
  expect(formatRef(parseRef(`ghcr.io/o/r@${D}`))).toBe(`ghcr.io/o/r@${D}`);
  expect(manifestReference(parseRef(`x:1@${D}`))).toBe(D);
  expect(manifestReference(parseRef("x:1"))).toBe("1");
});

test("plain HTTP only for loopback and insecure_registries", () => {
  expect(isLoopbackRegistry("localhost:5000")).toBe(true);
  expect(isLoopbackRegistry("127.1.2.3:80")).toBe(true);
  expect(isLoopbackRegistry("[::1]:5000")).toBe(true);
  expect(isLoopbackRegistry("10.0.0.1:5000")).toBe(false);
  expect(isLoopbackRegistry("localhost.evil.com")).toBe(false);
  expect(registryScheme("127.0.0.1:5000", [])).toBe("http");
  expect(registryScheme("registry.lan:5000", [])).toBe("https");
  expect(registryScheme("registry.lan:5000", ["registry.lan:5000"])).toBe("http");
  expect(registryScheme("registry.lan:5000", ["registry.lan"])).toBe("http");
  expect(registryScheme("registry.lan:5000", ["other.lan"])).toBe("https");
  expect(registryScheme("registry-1.docker.io", ["docker.io"])).toBe("https");
});

test("default image names", () => {
  expect(defaultImageName(parseRef("debian:bookworm"))).toBe("debian-bookworm");
  expect(defaultImageName(parseRef("ghcr.io/o/tool"))).toBe("tool");
  expect(defaultImageName(parseRef(`ghcr.io/o/tool@${D}`))).toBe("tool-aaaaaaaaaaaa");
  expect(defaultImageName(parseRef("x/y:1.2_rc"))).toBe("y-1.2_rc");
});
