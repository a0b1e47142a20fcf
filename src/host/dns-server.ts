// The `.vm` DNS server (F66): authoritative for the zone "vm" only, answering from an
// in-memory map that the VM service keeps current (set on boot, remove on stop,
// replaceAll at startup). No recursion, no other zones (REFUSED), UDP and TCP, loopback
// only. answer() is pure; DnsServer only moves bytes.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import * as dnsPacket from "dns-packet";
import { BangerError } from "../api/errors.ts";
import { isLoopbackIpv4, parseIpv4 } from "../config/ipv4.ts";
import type { Logger } from "../log.ts";

export const ZONE = "vm";
/** Short: a stopped VM's name must stop resolving quickly, and a new one start. */
export const TTL_SECONDS = 5;

const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const LABEL_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export interface DnsEntry {
  name: string;
  ip: string;
  /** Optional: lets the ssh-config writer pin host keys per VM (HostKeyAlias). */
  vmId?: string;
}

/** The live `<name>.vm` -> IPv4 map. Names are case-insensitive (stored lowercase). */
export class DnsRecords {
  private readonly map = new Map<string, DnsEntry>();
  private readonly listeners: (() => void)[] = [];

  set(name: string, ip: string, vmId?: string): void {
    const key = checkName(name);
    if (parseIpv4(ip) === undefined) throw new BangerError("usage", `"${ip}" is not an IPv4 address`);
    this.map.set(key, { name: key, ip, ...(vmId ? { vmId } : {}) });
    this.changed();
  }

  remove(name: string): void {
    if (this.map.delete(name.toLowerCase())) this.changed();
  }

  replaceAll(entries: DnsEntry[]): void {
    const fresh = entries.map((e) => ({ ...e, name: checkName(e.name) }));
    this.map.clear();
    for (const e of fresh) this.map.set(e.name, e);
    this.changed();
  }

  lookup(name: string): string | undefined {
    return this.map.get(name.toLowerCase())?.ip;
  }

  names(): string[] {
    return [...this.map.keys()].sort();
  }

  entries(): DnsEntry[] {
    return this.names().map((n) => this.map.get(n)!);
  }

  /** Called after every change (the ssh-config host list follows the records). */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}

function checkName(name: string): string {
  const key = name.toLowerCase();
  if (!LABEL_RE.test(key)) throw new BangerError("usage", `"${name}" cannot be a DNS label`);
  return key;
}

/** Pure: the response to one query packet. */
export function answer(records: DnsRecords, query: dnsPacket.DecodedPacket): dnsPacket.Packet {
  const q = query.questions?.[0];
  const base = { id: query.id, type: "response" as const, questions: q ? [q] : [] };
  const rd = query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0;
  const reply = (rcode: number, extra: Partial<dnsPacket.Packet> = {}) => ({
    ...base, flags: rd | rcode | (rcode === RCODE.REFUSED ? 0 : dnsPacket.AUTHORITATIVE_ANSWER), ...extra,
  });
  if (!q || (query.questions?.length ?? 0) > 1) return reply(RCODE.FORMERR);
  const opcode = (query as { opcode?: string }).opcode; // decoded, but missing from @types
  if (opcode && opcode !== "QUERY") return reply(RCODE.NOTIMP);
  const name = q.name.toLowerCase().replace(/\.$/, "");
  if (name !== ZONE && !name.endsWith(`.${ZONE}`)) return reply(RCODE.REFUSED);
  const soa = [soaRecord()];
  if (name === ZONE) {
    return q.type === "SOA" ? reply(RCODE.NOERROR, { answers: soa }) : reply(RCODE.NOERROR, { authorities: soa });
  }
  const ip = records.lookup(name.slice(0, -(ZONE.length + 1)));
  if (ip === undefined) return reply(RCODE.NXDOMAIN, { authorities: soa });
  if (q.type === "A" || (q.type as string) === "ANY") {
    return reply(RCODE.NOERROR, { answers: [{ name: q.name, type: "A", class: "IN", ttl: TTL_SECONDS, data: ip }] });
  }
  // The name exists but has no record of this type (AAAA included): NOERROR, empty.
  return reply(RCODE.NOERROR, { authorities: soa });
}

function soaRecord(): dnsPacket.Answer {
  return {
    name: ZONE, type: "SOA", class: "IN", ttl: TTL_SECONDS,
    data: { mname: `ns.${ZONE}`, rname: `hostmaster.${ZONE}`, serial: 1, refresh: 60, retry: 10, expire: 60, minimum: TTL_SECONDS },
  };
}

/** Decode, answer, encode; undefined for garbage (nothing sensible to reply to). */
export function handleMessage(records: DnsRecords, msg: Buffer): Buffer | undefined {
  let query: dnsPacket.DecodedPacket;
  try {
    query = dnsPacket.decode(msg);
  } catch {
    return undefined;
  }
  if (query.type !== "query") return undefined;
  return dnsPacket.encode(answer(records, query));
}

/** "127.0.0.1:42069" / "[::1]:53" -> host, port; only loopback (port 0 = any, for tests). */
export function parseDnsListen(listen: string): { host: string; port: number } {
  const m = /^(\[::1\]|[0-9.]+):([0-9]{1,5})$/.exec(listen);
  const host = m?.[1] === "[::1]" ? "::1" : m?.[1];
  const port = Number(m?.[2]);
  if (!host || !(port >= 0 && port <= 65535)) throw new BangerError("usage", `dns_listen "${listen}" is not host:port`);
  if (host !== "::1" && !isLoopbackIpv4(host)) {
    throw new BangerError("usage", `dns_listen "${listen}" is not a loopback address: the .vm DNS server never listens beyond this host`);
  }
  return { host, port };
}

export class DnsServer {
  private readonly tcpSockets = new Set<Socket>();

  private constructor(
    private readonly udp: UdpSocket,
    private readonly tcp: Server | undefined,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Bind UDP (required) and TCP on the same port (best effort, logged when it fails). */
  static async start(opts: { listen: string; records: DnsRecords; log: Logger }): Promise<DnsServer> {
    const { host, port } = parseDnsListen(opts.listen);
    const udp = await bindUdp(host, port, opts.records);
    // A socket error after bind (a send to a vanished client, ...) must not crash the daemon.
    udp.on("error", (err) => opts.log.warn("DNS UDP socket error", { error: String(err) }));
    const bound = udp.address().port;
    const tcp = await bindTcp(host, bound, opts.records).catch((err) => {
      opts.log.warn("DNS over TCP unavailable; serving UDP only", { listen: `${host}:${bound}`, error: String(err) });
      return undefined;
    });
    tcp?.on("error", (err) => opts.log.warn("DNS TCP server error", { error: String(err) }));
    const server = new DnsServer(udp, tcp, host, bound);
    tcp?.on("connection", (s) => server.trackTcp(s));
    opts.log.info("DNS server listening", { listen: server.listen, tcp: tcp !== undefined });
    return server;
  }

  get listen(): string {
    return this.host.includes(":") ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.tcpSockets) s.destroy();
    await Promise.all([
      new Promise<void>((res) => this.udp.close(() => res())),
      this.tcp ? new Promise<void>((res) => this.tcp!.close(() => res())) : Promise.resolve(),
    ]);
  }

  private trackTcp(s: Socket): void {
    this.tcpSockets.add(s);
    s.on("close", () => this.tcpSockets.delete(s));
  }
}

function bindUdp(host: string, port: number, records: DnsRecords): Promise<UdpSocket> {
  const sock = createSocket(host.includes(":") ? "udp6" : "udp4");
  sock.on("message", (msg, rinfo) => {
    const out = handleMessage(records, msg);
    if (out) sock.send(out, rinfo.port, rinfo.address, () => {}); // best effort, like any DNS server
  });
  return new Promise((resolve, reject) => {
    sock.once("error", (err) => reject(new BangerError("conflict", `DNS server cannot listen on ${host}:${port}: ${err.message}`)));
    sock.bind(port, host, () => resolve(sock));
  });
}

/** DNS over TCP: each message is prefixed with its 2-byte length (RFC 1035 4.2.2). */
function bindTcp(host: string, port: number, records: DnsRecords): Promise<Server> {
  const server = createServer((conn) => {
    let buf = Buffer.alloc(0);
    conn.setTimeout(10_000, () => conn.destroy());
    conn.on("error", () => conn.destroy());
    conn.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const out = handleMessage(records, buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        if (!out) return void conn.destroy();
        const head = Buffer.alloc(2);
        head.writeUInt16BE(out.length);
        conn.write(Buffer.concat([head, out]));
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
