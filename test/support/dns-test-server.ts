import dns2 from 'dns2';
import type { Socket } from 'node:net';

const { Packet } = dns2;

/** A TXT record is a list of character-strings; a plain string is one string. */
export type TxtRecord = string | readonly string[];

export interface DnsTestZoneEntry {
  TXT?: TxtRecord[];
  CNAME?: string;
  A?: string[];
}

/** Records by name (any case, trailing dot optional). */
export type DnsTestRecords = Record<string, DnsTestZoneEntry>;

/** How the server misbehaves for a name: an error code, or no answer at all (a client timeout). */
export type DnsTestFailure = 'servfail' | 'refused' | 'drop';

/** A record as the sender-domain code describes it; TXT `strings` are published as separate strings. */
export interface PublishableRecord {
  type: string;
  name: string;
  content: string;
  strings?: readonly string[];
}

const RCODE = { SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

type Send = (response: dns2.Packet) => Promise<Buffer>;

// The UDP side answers with a promise, the TCP side synchronously; a client that went away is no error.
async function reply(send: Send, response: dns2.Packet): Promise<void> {
  try {
    await send(response);
  } catch {
    return;
  }
}

function key(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * An authoritative-only DNS server on 127.0.0.1 for tests, over UDP and TCP on the same port
 * (large TXT answers are truncated over UDP and the client retries over TCP).
 * Pass `address` to DNS_SERVERS or to a resolver's setServers.
 */
export class DnsTestServer {
  /** Every question received, as `TYPE name`. */
  readonly queries: string[] = [];
  private zone = new Map<string, DnsTestZoneEntry>();
  private readonly failures = new Map<string, DnsTestFailure>();
  private readonly sockets = new Set<Socket>();

  private udp?: ReturnType<typeof dns2.createUDPServer>;
  private tcp?: ReturnType<typeof dns2.createTCPServer>;
  private boundPort = 0;

  private constructor() {}

  static async start(records: DnsTestRecords = {}): Promise<DnsTestServer> {
    const server = new DnsTestServer();
    server.replace(records);
    await server.listen();
    return server;
  }

  get port(): number {
    return this.boundPort;
  }

  private async listen(): Promise<void> {
    const handle: dns2.DnsHandler = (request, send) => {
      void this.answer(request, send);
    };
    for (let attempt = 0; ; attempt++) {
      const udp = dns2.createUDPServer(handle);
      await udp.listen(0, '127.0.0.1');
      const port = udp.address().port;
      const tcp = dns2.createTCPServer(handle);
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(port, '127.0.0.1', () => {
            tcp.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        udp.close();
        // Another process holds the TCP side of this port; try a fresh one.
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 10) continue;
        throw err;
      }
      tcp.on('connection', (socket: Socket) => {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
      });
      this.udp = udp;
      this.tcp = tcp;
      this.boundPort = port;
      return;
    }
  }

  /** `127.0.0.1:<port>`, the form DNS_SERVERS and Resolver#setServers take. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Replaces every record. */
  replace(records: DnsTestRecords): void {
    this.zone = new Map();
    for (const [name, entry] of Object.entries(records)) this.set(name, entry);
  }

  /** Sets the records of one name (the types given replace those types). */
  set(name: string, entry: DnsTestZoneEntry): void {
    for (const txt of entry.TXT ?? []) {
      for (const s of typeof txt === 'string' ? [txt] : txt) {
        if (Buffer.byteLength(s) > 255)
          throw new Error(`a TXT string at ${name} is longer than 255 bytes; split it`);
      }
    }
    this.zone.set(key(name), { ...this.zone.get(key(name)), ...entry });
  }

  /** Removes one type at a name, or the whole name. */
  remove(name: string, type?: keyof DnsTestZoneEntry): void {
    if (!type) {
      this.zone.delete(key(name));
      return;
    }
    const entry = { ...this.zone.get(key(name)) };
    delete entry[type];
    if (Object.keys(entry).length === 0) this.zone.delete(key(name));
    else this.zone.set(key(name), entry);
  }

  /** Publishes records as a customer would at their DNS provider. */
  publish(records: readonly PublishableRecord[]): void {
    for (const record of records) {
      if (record.type === 'TXT') {
        const existing = this.zone.get(key(record.name))?.TXT ?? [];
        this.set(record.name, { TXT: [...existing, record.strings ?? [record.content]] });
      } else if (record.type === 'CNAME') {
        this.set(record.name, { CNAME: record.content });
      } else {
        throw new Error(`cannot publish a ${record.type} record`);
      }
    }
  }

  /** Makes every query for `name` fail the given way until `clearFailure`. */
  fail(name: string, failure: DnsTestFailure): void {
    this.failures.set(key(name), failure);
  }

  clearFailure(name?: string): void {
    if (name === undefined) this.failures.clear();
    else this.failures.delete(key(name));
  }

  async stop(): Promise<void> {
    // Resolvers keep TCP connections open; closing waits for them otherwise.
    for (const socket of this.sockets) socket.destroy();
    const { udp, tcp } = this;
    this.udp = undefined;
    this.tcp = undefined;
    await Promise.all([
      new Promise<void>((resolve) => (udp ? udp.close(() => resolve()) : resolve())),
      new Promise<void>((resolve) => (tcp ? tcp.close(() => resolve()) : resolve())),
    ]);
  }

  private async answer(request: dns2.Packet, send: Send): Promise<void> {
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    const [question] = request.questions;
    if (!question) return;
    const name = key(question.name);
    const typeName =
      Object.entries(Packet.TYPE).find(([, v]) => v === question.type)?.[0] ??
      String(question.type);
    this.queries.push(`${typeName} ${name}`);

    const failure = this.failures.get(name);
    if (failure === 'drop') return;
    if (failure) {
      response.header.rcode = failure === 'servfail' ? RCODE.SERVFAIL : RCODE.REFUSED;
      await reply(send, response);
      return;
    }

    // A CNAME answers every type; its target's records follow when this server holds them.
    let owner = name;
    const entry = this.zone.get(name);
    if (entry?.CNAME && question.type !== Packet.TYPE.CNAME) {
      response.answers.push({
        name: owner,
        type: Packet.TYPE.CNAME,
        class: Packet.CLASS.IN,
        ttl: 60,
        domain: entry.CNAME,
      } as dns2.Packet.Resource);
      owner = key(entry.CNAME);
    }
    const target = this.zone.get(owner);
    if (question.type === Packet.TYPE.TXT) {
      for (const txt of target?.TXT ?? []) {
        const data = typeof txt === 'string' ? [txt] : [...txt];
        response.answers.push({
          name: owner,
          type: Packet.TYPE.TXT,
          class: Packet.CLASS.IN,
          ttl: 60,
          data,
        } as dns2.Packet.Resource);
      }
    } else if (question.type === Packet.TYPE.CNAME && target?.CNAME) {
      response.answers.push({
        name: owner,
        type: Packet.TYPE.CNAME,
        class: Packet.CLASS.IN,
        ttl: 60,
        domain: target.CNAME,
      } as dns2.Packet.Resource);
    } else if (question.type === Packet.TYPE.A) {
      for (const address of target?.A ?? []) {
        response.answers.push({
          name: owner,
          type: Packet.TYPE.A,
          class: Packet.CLASS.IN,
          ttl: 60,
          address,
        } as dns2.Packet.Resource);
      }
    }
    // NXDOMAIN only for a name that does not exist at all, not even as a parent of another name.
    const exists = [...this.zone.keys()].some((n) => n === name || n.endsWith(`.${name}`));
    if (response.answers.length === 0 && !exists) response.header.rcode = RCODE.NXDOMAIN;
    await reply(send, response);
  }
}
