// Registry authentication: the WWW-Authenticate challenge, credentials from
// ~/.docker/config.json (auths.<host>.auth = base64 "user:pass", identitytoken,
// registrytoken), and the bearer-token exchange (anonymous or with those credentials).
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { BangerError } from "../api/errors.ts";
import { DOCKER_HUB_API } from "./ref.ts";

export interface Challenge {
  scheme: "bearer" | "basic";
  params: Record<string, string>;
}

export interface Credentials {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (docker login with an identity provider). */
  identityToken?: string;
  /** A bearer token used as is. */
  registryToken?: string;
}

/** `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"` -> Challenge. */
export function parseChallenge(header: string | null): Challenge | null {
  if (!header) return null;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== "bearer" && scheme !== "basic") return null;
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3]!;
  }
  return { scheme, params };
}

/** $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigPath(env: Record<string, string | undefined> = process.env): string {
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, "config.json");
  return join(env.HOME || homedir(), ".docker", "config.json");
}

/** "https://index.docker.io/v1/" or "ghcr.io" -> the API host it means. */
export function normalizeAuthKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, "").split("/")[0]!.toLowerCase();
  return ["docker.io", "index.docker.io", "registry.hub.docker.com"].includes(host) ? DOCKER_HUB_API : host;
}

/** Pure: the credentials a docker config document holds for `registry`, if any. */
export function credentialsFor(registry: string, config: unknown): Credentials | null {
  const auths = (config as { auths?: Record<string, unknown> } | null)?.auths;
  if (!auths || typeof auths !== "object") return null;
  for (const [key, raw] of Object.entries(auths)) {
    if (normalizeAuthKey(key) !== registry || !raw || typeof raw !== "object") continue;
    const entry = raw as Record<string, unknown>;
    const creds: Credentials = {};
    if (typeof entry.auth === "string" && entry.auth) {
      const text = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = text.indexOf(":");
      if (colon > 0) Object.assign(creds, { username: text.slice(0, colon), password: text.slice(colon + 1) });
    } else if (typeof entry.username === "string" && typeof entry.password === "string") {
      Object.assign(creds, { username: entry.username, password: entry.password });
    }
    if (typeof entry.identitytoken === "string" && entry.identitytoken) creds.identityToken = entry.identitytoken;
    if (typeof entry.registrytoken === "string" && entry.registrytoken) creds.registryToken = entry.registrytoken;
    if (Object.keys(creds).length > 0) return creds;
  }
  return null;
}

/** Credentials for `registry` from the docker config file; a missing file means none. */
export function loadCredentials(registry: string, path: string): Credentials | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  try {
    return credentialsFor(registry, JSON.parse(text));
  } catch {
    throw new BangerError("usage", `${path} is not valid JSON; fix or remove it to pull from ${registry}`);
  }
}

export function basicHeader(c: Credentials): string | null {
  if (c.username === undefined || c.password === undefined) return null;
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

export interface TokenRequest {
  challenge: Challenge;
  /** e.g. "repository:library/debian:pull" */
  scope: string;
  credentials: Credentials | null;
  /** Refuse a plain-HTTP realm unless the registry itself is spoken to over HTTP. */
  allowHttpRealm: boolean;
  fetch: typeof fetch;
}

/** Exchange a bearer challenge for a token (anonymous, basic, or OAuth2 refresh token). */
export async function fetchToken(req: TokenRequest): Promise<string> {
  const { realm, service } = req.challenge.params;
  if (!realm) throw new BangerError("unavailable", "registry sent a bearer challenge without a realm");
  const url = new URL(realm);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && req.allowHttpRealm)) {
    throw new BangerError("unavailable", `registry token realm ${realm} is not https; refusing to use it`);
  }
  const creds = req.credentials;
  if (creds?.registryToken) return creds.registryToken;
  let res: Response;
  try {
    res = creds?.identityToken ? await oauthRefresh(req, url, creds.identityToken, service) : await tokenGet(req, url, service, creds);
  } catch (err) {
    if (err instanceof BangerError) throw err;
    throw new BangerError("unavailable", `cannot reach registry token service ${url.origin}: ${(err as Error).message}`);
  }
  if (res.status === 401 || res.status === 403) {
    throw new BangerError("precondition", `registry token service ${url.origin} refused ${creds ? "the credentials from the docker config" : "anonymous access"} (HTTP ${res.status})`);
  }
  if (!res.ok) throw new BangerError("unavailable", `registry token service ${url.origin} answered HTTP ${res.status}`);
  const body = (await res.json().catch(() => null)) as { token?: unknown; access_token?: unknown } | null;
  const token = typeof body?.token === "string" ? body.token : typeof body?.access_token === "string" ? body.access_token : null;
  if (!token) throw new BangerError("invalid_content", `registry token service ${url.origin} returned no token`);
  return token;
}

function tokenGet(req: TokenRequest, url: URL, service: string | undefined, creds: Credentials | null): Promise<Response> {
  if (service) url.searchParams.set("service", service);
  url.searchParams.set("scope", req.scope);
  const basic = creds ? basicHeader(creds) : null;
  return req.fetch(url, { headers: basic ? { authorization: basic } : {}, signal: AbortSignal.timeout(30_000) });
}

function oauthRefresh(req: TokenRequest, url: URL, refreshToken: string, service: string | undefined): Promise<Response> {
  const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: "banger", scope: req.scope });
  if (service) form.set("service", service);
  return req.fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
    signal: AbortSignal.timeout(30_000),
  });
}
