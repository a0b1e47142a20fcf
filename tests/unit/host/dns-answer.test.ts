import { expect, test } from "bun:test";
import * as dnsPacket from "dns-packet";
import { answer, DnsRecords, handleMessage, parseDnsListen, TTL_SECONDS } from "../../../src/host/dns-server.ts";

/** decode() sets rcode and opcode; @types/dns-packet does not declare them. */
type Reply = dnsPacket.DecodedPacket & { rcode: string };
const decode = (buf: Buffer) => dnsPacket.decode(buf) as Reply;

function query(name: string, type: dnsPacket.RecordType = "A", extra: Partial<dnsPacket.Packet> = {}) {
  const buf = dnsPacket.encode({ type: "query", id: 42, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: "IN" }], ...extra });
  return dnsPacket.decode(buf);
}
const ask = (records: DnsRecords, name: string, type: dnsPacket.RecordType = "A") =>
  decode(handleMessage(records, dnsPacket.encode({ type: "query", id: 7, questions: [{ type, name, class: "IN" }] }))!);

function records() {
  const r = new DnsRecords();
  r.set("web", "172.30.0.5", "0123abcd");
  r.set("db", "172.30.0.6");
  return r;
}

test("A for a known VM, authoritative, small TTL, id and question echoed", () => {
  const res = decode(dnsPacket.encode(answer(records(), query("web.vm"))));
  expect(res).toMatchObject({ id: 42, type: "response", rcode: "NOERROR", flag_aa: true, flag_rd: true, flag_ra: false });
  expect(res.questions).toEqual([{ name: "web.vm", type: "A", class: "IN" }]);
  expect(res.answers).toEqual([{ name: "web.vm", type: "A", class: "IN", ttl: TTL_SECONDS, flush: false, data: "172.30.0.5" }]);
});

test("names are case-insensitive and a trailing dot is fine", () => {
  expect(ask(records(), "WEB.Vm").answers?.[0]).toMatchObject({ data: "172.30.0.5" });
  expect(ask(records(), "web.vm.").answers?.[0]).toMatchObject({ data: "172.30.0.5" });
});

test("unknown .vm names are NXDOMAIN with the zone SOA", () => {
  const res = ask(records(), "nope.vm");
  expect(res.rcode).toBe("NXDOMAIN");
  expect(res.answers).toEqual([]);
  expect(res.authorities?.[0]).toMatchObject({ name: "vm", type: "SOA" });
  expect(ask(records(), "a.web.vm").rcode).toBe("NXDOMAIN");
});

test("AAAA (and other types) for a known name: NOERROR, no answers", () => {
  for (const t of ["AAAA", "MX", "TXT"] as const) {
    const res = ask(records(), "web.vm", t);
    expect(res.rcode).toBe("NOERROR");
    expect(res.answers).toEqual([]);
  }
});

test("other zones are REFUSED (no recursion), not authoritative", () => {
  for (const name of ["example.com", "vm.example.com", "localhost", "xvm"]) {
    const res = ask(records(), name);
    expect(res.rcode).toBe("REFUSED");
    expect(res.flag_aa).toBe(false);
  }
});

test("the zone apex answers SOA", () => {
  expect(ask(records(), "vm", "SOA").answers?.[0]).toMatchObject({ type: "SOA", name: "vm" });
  expect(ask(records(), "vm", "A")).toMatchObject({ rcode: "NOERROR", answers: [] });
});

test("no question is FORMERR; garbage and responses get no reply", () => {
  expect(decode(dnsPacket.encode(answer(records(), query("x.vm", "A", { questions: [] })))).rcode).toBe("FORMERR");
  expect(handleMessage(records(), Buffer.from([1, 2, 3]))).toBeUndefined();
  expect(handleMessage(records(), dnsPacket.encode({ type: "response", id: 1, questions: [] }))).toBeUndefined();
});

test("records: set/remove/replaceAll, change notifications, validation", () => {
  const r = records();
  let changes = 0;
  r.onChange(() => changes++);
  r.remove("WEB");
  expect(r.lookup("web")).toBeUndefined();
  r.remove("never-there");
  r.replaceAll([{ name: "A1", ip: "172.30.0.9", vmId: "ff" }]);
  expect(r.names()).toEqual(["a1"]);
  expect(r.entries()).toEqual([{ name: "a1", ip: "172.30.0.9", vmId: "ff" }]);
  expect(changes).toBe(2);
  expect(() => r.set("bad_name", "1.2.3.4")).toThrow("DNS label");
  expect(() => r.set("ok", "1.2.3")).toThrow("IPv4");
});

test("dns_listen must be loopback", () => {
  expect(parseDnsListen("127.0.0.1:42069")).toEqual({ host: "127.0.0.1", port: 42069 });
  expect(parseDnsListen("127.0.0.53:0")).toEqual({ host: "127.0.0.53", port: 0 });
  expect(parseDnsListen("[::1]:53")).toEqual({ host: "::1", port: 53 });
  for (const bad of ["0.0.0.0:53", "172.30.0.1:53", "192.168.1.1:42069", "[::]:53", "localhost:53", "127.0.0.1", "127.0.0.1:70000"]) {
    expect(() => parseDnsListen(bad)).toThrow();
  }
});
