// The registry client against a real registry behind a token-demanding proxy: anonymous
// bearer tokens, basic credentials from a docker config file exchanged for a token, bad
// credentials, an interrupted blob transfer that resumes, and a corrupted cached blob.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildImage, push, type BuiltImage } from "../../fixtures/oci-builder.ts";
import { startProxy, startRegistry, type TestProxy, type TestRegistry } from "../../fixtures/registry.ts";
import { dcat, KERNEL_NAME, leftovers, makeInstance, type Instance } from "./helpers.ts";

let registry: TestRegistry;
let image: BuiltImage;
const instances: Instance[] = [];
const proxies: TestProxy[] = [];

function instance(dockerConfig?: string): Instance {
  const i = makeInstance({ dockerConfig });
  instances.push(i);
  return i;
}

async function proxy(opts: Omit<Parameters<typeof startProxy>[0], "upstream">): Promise<TestProxy> {
  const p = await startProxy({ upstream: registry.host, ...opts });
  proxies.push(p);
  return p;
}

beforeAll(async () => {
  registry = await startRegistry();
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7919) % 251);
  image = buildImage({
    layers: [
      { compression: "none", entries: [{ type: "file", path: "big.bin", content: big }] },
      { compression: "gzip", entries: [{ type: "file", path: "hello", content: "hi" }] },
    ],
  });
  await push(registry.host, "private/app", "v1", image);
}, 60_000);

afterAll(async () => {
  for (const p of proxies) await p.stop();
  for (const i of instances) i.cleanup();
  await registry?.stop();
});

test("anonymous bearer-token flow from the WWW-Authenticate challenge", async () => {
  const p = await proxy({ token: {} });
  const row = await instance().images.pull(`${p.host}/private/app:v1`, { kernel: KERNEL_NAME });
  expect(await dcat(row.rootfsPath, "/hello")).toBe("hi");
  expect(p.tokensIssued).toBeGreaterThanOrEqual(1);
  expect(p.requests.some((r) => r.status === 401)).toBe(true);
  expect(p.requests.filter((r) => r.path.includes("/blobs/")).every((r) => r.auth?.startsWith("Bearer tok-"))).toBe(true);
}, 60_000);

test("credentials from the docker config are exchanged for a token", async () => {
  const p = await proxy({ token: { user: "alice", password: "s3cret" } });
  const cfg = join(registry.dir, "docker-config-good.json");
  writeFileSync(cfg, JSON.stringify({ auths: { [p.host]: { auth: Buffer.from("alice:s3cret").toString("base64") } } }));
  const row = await instance(cfg).images.pull(`${p.host}/private/app:v1`, { kernel: KERNEL_NAME });
  expect(row.manifestDigest).toBe(image.manifest.digest);
  const tokenCalls = p.requests.filter((r) => r.path === "/token");
  expect(tokenCalls.every((r) => r.auth === `Basic ${Buffer.from("alice:s3cret").toString("base64")}`)).toBe(true);
}, 60_000);

test("wrong credentials fail clearly and leave nothing behind", async () => {
  const p = await proxy({ token: { user: "alice", password: "s3cret" } });
  const cfg = join(registry.dir, "docker-config-bad.json");
  writeFileSync(cfg, JSON.stringify({ auths: { [`http://${p.host}`]: { auth: Buffer.from("alice:wrong").toString("base64") } } }));
  const inst = instance(cfg);
  const err = await inst.images.pull(`${p.host}/private/app:v1`, { kernel: KERNEL_NAME }).catch((e) => e);
  expect(err.code).toBe("precondition");
  expect(err.message).toContain("refused the credentials from the docker config");
  expect(inst.images.list()).toEqual([]);
  expect(leftovers(inst)).toEqual([]);
}, 60_000);

test("an interrupted blob download resumes and the pull succeeds", async () => {
  const layer = image.layers[0]!;
  const p = await proxy({ cut: { digest: layer.digest, afterBytes: 1024 * 1024 } });
  const inst = instance();
  const row = await inst.images.pull(`${p.host}/private/app:v1`, { kernel: KERNEL_NAME });
  expect(row.name).toBe("app-v1");
  const gets = p.requests.filter((r) => r.path.endsWith(`/blobs/${layer.digest}`));
  expect(gets.length).toBe(2);
  expect(gets[0]!.range).toBeNull();
  expect(gets[1]!.range).toMatch(/^bytes=\d+-$/);
  expect(Number(/bytes=(\d+)-/.exec(gets[1]!.range!)![1])).toBeGreaterThan(0);
  expect(await inst.images.cache.verify(layer.digest, layer.bytes.length)).toBe(true);
}, 60_000);

test("a corrupted cached blob is detected, removed and fetched again", async () => {
  const p = await proxy({});
  const inst = instance();
  await inst.images.pull(`${p.host}/private/app:v1`, { name: "first", kernel: KERNEL_NAME });
  const layer = image.layers[1]!;
  const cached = inst.images.cache.path(layer.digest);
  writeFileSync(cached, new Uint8Array(layer.bytes.length).fill(0x41));
  const before = p.requests.filter((r) => r.path.endsWith(`/blobs/${layer.digest}`)).length;
  const row = await inst.images.pull(`${p.host}/private/app:v1`, { name: "second", kernel: KERNEL_NAME });
  expect(await dcat(row.rootfsPath, "/hello")).toBe("hi");
  expect(p.requests.filter((r) => r.path.endsWith(`/blobs/${layer.digest}`)).length).toBe(before + 1);
  expect(await inst.images.cache.verify(layer.digest)).toBe(true);
  // the untouched layer was reused, not downloaded again
  expect(p.requests.filter((r) => r.path.endsWith(`/blobs/${image.layers[0]!.digest}`)).length).toBe(1);
}, 60_000);
