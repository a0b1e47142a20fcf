import { expect, test } from "bun:test";
import { basicHeader, credentialsFor, dockerConfigPath, normalizeAuthKey, parseChallenge } from "../../../src/oci/auth.ts";

test("WWW-Authenticate challenges", () => {
  expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull"')).toEqual({
    scheme: "bearer",
    params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/debian:pull" },
  });
  expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: "basic", params: { realm: "Registry Realm" } });
  expect(parseChallenge('bearer realm="a\\"b", service=plain')).toEqual({ scheme: "bearer", params: { realm: 'a"b', service: "plain" } });
  expect(parseChallenge("Negotiate abc")).toBeNull();
  expect(parseChallenge(null)).toBeNull();
});

const b64 = (s: string) => Buffer.from(s).toString("base64");

test("docker config credentials by registry", () => {
  const cfg = {
    auths: {
      "https://index.docker.io/v1/": { auth: b64("hubuser:hubpass") },
      "ghcr.io": { auth: b64("gh:tok:with:colons") },
      "https://registry.lan:5000": { identitytoken: "refresh-me" },
      "plain.example": { username: "u", password: "p" },
      "bearer.example": { registrytoken: "bt" },
      "empty.example": {},
    },
  };
  expect(credentialsFor("registry-1.docker.io", cfg)).toEqual({ username: "hubuser", password: "hubpass" });
  expect(credentialsFor("ghcr.io", cfg)).toEqual({ username: "gh", password: "tok:with:colons" });
  expect(credentialsFor("registry.lan:5000", cfg)).toEqual({ identityToken: "refresh-me" });
  expect(credentialsFor("plain.example", cfg)).toEqual({ username: "u", password: "p" });
  expect(credentialsFor("bearer.example", cfg)).toEqual({ registryToken: "bt" });
  expect(credentialsFor("empty.example", cfg)).toBeNull();
  expect(credentialsFor("quay.io", cfg)).toBeNull();
  expect(credentialsFor("quay.io", { credsStore: "desktop" })).toBeNull();
  expect(credentialsFor("quay.io", null)).toBeNull();
});

test("auth keys and headers", () => {
  expect(normalizeAuthKey("https://index.docker.io/v1/")).toBe("registry-1.docker.io");
  expect(normalizeAuthKey("docker.io")).toBe("registry-1.docker.io");
  expect(normalizeAuthKey("http://Registry.Lan:5000/v2/")).toBe("registry.lan:5000");
  expect(basicHeader({ username: "a", password: "b" })).toBe(`Basic ${b64("a:b")}`);
  expect(basicHeader({ identityToken: "x" })).toBeNull();
  expect(dockerConfigPath({ HOME: "/home/u" })).toBe("/home/u/.docker/config.json");
  expect(dockerConfigPath({ HOME: "/home/u", DOCKER_CONFIG: "/etc/dc" })).toBe("/etc/dc/config.json");
});
