// Image references as users type them ("debian:bookworm", "ghcr.io/o/r@sha256:...",
// "127.0.0.1:5000/x/y:1") -> registry host, repository, tag and/or digest, with Docker's
// defaults: no registry means Docker Hub, whose API lives at registry-1.docker.io and
// whose one-component names live under library/.
import { BangerError } from "../api/errors.ts";

export interface ImageRef {
  /** host[:port] used for the API (Docker Hub already mapped to registry-1.docker.io). */
  registry: string;
  repository: string;
  /** Null only when a digest is given without a tag. */
  tag: string | null;
  digest: string | null;
}

export const DOCKER_HUB_API = "registry-1.docker.io";
const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]);

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:]+\])(:[0-9]{1,5})?$/;

/** Parse a reference; every malformed part is a usage error naming the input. */
export function parseRef(input: string): ImageRef {
  const text = input.trim();
  const bad = (why: string) => new BangerError("usage", `invalid image reference "${input}": ${why}`);
  if (text === "" || /\s/.test(text)) throw bad("it must be non-empty and contain no spaces");
  let rest = text;
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`digest "${digest}" must be sha256: followed by 64 lowercase hex digits`);
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`tag "${tag}" is not valid`);
  }
  const { registry, repository } = splitRegistry(rest, bad);
  return { registry, repository, tag: tag ?? (digest ? null : "latest"), digest };
}

function splitRegistry(name: string, bad: (why: string) => BangerError): { registry: string; repository: string } {
  const parts = name.split("/");
  const first = parts[0]!;
  const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  let registry = hasRegistry ? first.toLowerCase() : "docker.io";
  let path = hasRegistry ? parts.slice(1) : parts;
  if (hasRegistry && !HOST.test(registry)) {
    throw bad(`registry "${first}" is not a host[:port]`);
  }
  if (DOCKER_HUB_ALIASES.has(registry)) {
    registry = DOCKER_HUB_API;
    if (path.length === 1) path = ["library", ...path];
  }
  for (const c of path) {
    if (!COMPONENT.test(c)) throw bad(`repository component "${c}" must be lowercase letters, digits and . _ - separators`);
  }
  return { registry, repository: path.join("/") };
}

/** The canonical text of a reference (Docker Hub shown as docker.io). */
export function formatRef(ref: ImageRef): string {
  const host = ref.registry === DOCKER_HUB_API ? "docker.io" : ref.registry;
  return `${host}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** What to ask the registry for: the digest when pinned, else the tag. */
export function manifestReference(ref: ImageRef): string {
  return ref.digest ?? ref.tag ?? "latest";
}

/** Loopback registries (localhost, 127.0.0.0/8, ::1) are spoken to over plain HTTP. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = hostOf(registry);
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** https, except for loopback registries and those listed in config `insecure_registries`. */
export function registryScheme(registry: string, insecure: readonly string[]): "http" | "https" {
  if (isLoopbackRegistry(registry)) return "http";
  const host = hostOf(registry);
  return insecure.some((i) => i.toLowerCase() === registry || i.toLowerCase() === host) ? "http" : "https";
}

function hostOf(registry: string): string {
  const m = /^\[([^\]]+)\](:\d+)?$/.exec(registry);
  if (m) return m[1]!;
  return registry.replace(/:\d+$/, "");
}

/** A default image name from a reference: "docker.io/library/debian:bookworm" -> "debian-bookworm". */
export function defaultImageName(ref: ImageRef): string {
  const base = ref.repository.split("/").pop()!;
  const suffix = ref.tag && ref.tag !== "latest" ? `-${ref.tag}` : ref.digest && !ref.tag ? `-${ref.digest.slice(7, 19)}` : "";
  return `${base}${suffix}`.replace(/[^A-Za-z0-9._-]/g, "-");
}
