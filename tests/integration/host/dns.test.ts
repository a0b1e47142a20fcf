// The real DNS server on a free loopback port, queried by dig (UDP and TCP) and by a
// dns-packet client over UDP. Queries run as async subprocesses: the server lives in this
// process, so a blocking spawn would starve it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createSocket } from "node:dgram";
import * as dnsPacket from "dns-packet";
import { DnsRecords, DnsServer } from "../../../src/host/dns-server.ts";
import { silentLogger } from "../../../src/log.ts";

const records = new DnsRecords();
let server: DnsServer;

beforeAll(async () => {
  records.replaceAll([{ name: "web", ip: "172.30.0.5" }, { name: "db", ip: "172.30.0.6" }]);
  server = await DnsServer.start({ listen: "127.0.0.1:0", records, log: silentLogger });
});

afterAll(async () => {
  await server?.close();
});

async function dig(name: string, type = "A", ...flags: string[]): Promise<{ status: string; answers: string[] }> {
  const p = Bun.spawn(["dig", "@127.0.0.1", "-p", String(server.port), name, type, "+time=2", "+tries=1", ...flags], { stdout: "pipe" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const section = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(out)?.[1] ?? "";
  const answers = section.split("\n").filter(Boolean).map((l) => l.split(/\s+/).join(" "));
  return { status: /status: (\w+)/.exec(out)?.[1] ?? `no reply: ${out}`, answers };
}

/** decode() sets rcode; @types/dns-packet does not declare it. */
type Reply = dnsPacket.DecodedPacket & { rcode: string };

function udpQuery(name: string, type: dnsPacket.RecordType): Promise<Reply> {
  const sock = createSocket("udp4");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no DNS reply")), 2000);
    sock.on("message", (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(dnsPacket.decode(msg) as Reply);
    });
    sock.send(dnsPacket.encode({ type: "query", id: 4242, questions: [{ type, name, class: "IN" }] }), server.port, "127.0.0.1");
  });
}

test("listens on loopback only, on the port it reports", () => {
  expect(server.host).toBe("127.0.0.1");
  expect(server.port).toBeGreaterThan(0);
  expect(server.listen).toBe(`127.0.0.1:${server.port}`);
});

test("dig: A for a running VM, case-insensitive, TTL 5", async () => {
  expect(await dig("web.vm")).toEqual({ status: "NOERROR", answers: ["web.vm. 5 IN A 172.30.0.5"] });
  expect((await dig("DB.VM")).answers).toEqual(["DB.VM. 5 IN A 172.30.0.6"]);
});

test("dig: NXDOMAIN for unknown .vm names, empty NOERROR for AAAA, REFUSED elsewhere", async () => {
  expect((await dig("nope.vm")).status).toBe("NXDOMAIN");
  expect(await dig("web.vm", "AAAA")).toEqual({ status: "NOERROR", answers: [] });
  expect((await dig("example.com")).status).toBe("REFUSED");
});

test("dig over TCP", async () => {
  expect(await dig("web.vm", "A", "+tcp")).toEqual({ status: "NOERROR", answers: ["web.vm. 5 IN A 172.30.0.5"] });
});

test("dns-packet over UDP sees record changes at once", async () => {
  const first = await udpQuery("web.vm", "A");
  expect(first).toMatchObject({ id: 4242, rcode: "NOERROR", flag_aa: true });
  expect(first.answers?.[0]).toMatchObject({ type: "A", data: "172.30.0.5", ttl: 5 });
  records.set("web", "172.30.0.77");
  expect((await udpQuery("web.vm", "A")).answers?.[0]).toMatchObject({ data: "172.30.0.77" });
  records.remove("web");
  expect((await udpQuery("web.vm", "A")).rcode).toBe("NXDOMAIN");
});

test("refuses non-loopback addresses and reports a busy port", async () => {
  await expect(DnsServer.start({ listen: "0.0.0.0:0", records, log: silentLogger })).rejects.toThrow("not a loopback");
  await expect(DnsServer.start({ listen: server.listen, records, log: silentLogger })).rejects.toThrow("cannot listen");
});
