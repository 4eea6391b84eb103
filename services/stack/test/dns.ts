import { createSocket, type Socket } from 'node:dgram';

/**
 * A DNS server for the topology test: answers A queries for the names it is given with their
 * addresses (several per name, as Docker's embedded DNS answers for a service's replicas and
 * Kubernetes's for a headless service), AAAA and other types with no records, unknown names with
 * NXDOMAIN. Just enough of RFC 1035 for HAProxy's resolvers.
 */
export interface TestDns {
  address: string;
  close(): Promise<void>;
}

export async function startDns(records: Record<string, string[]>, host = '127.0.0.1'): Promise<TestDns> {
  const socket: Socket = createSocket('udp4');
  const names = new Map(Object.entries(records).map(([k, v]) => [k.toLowerCase(), v]));
  socket.on('message', (query, peer) => {
    const reply = answer(query, names);
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return {
    address: `${host}:${socket.address().port}`,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function answer(query: Buffer, names: Map<string, string[]>): Buffer | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined; // one question
  let offset = 12;
  const labels: string[] = [];
  while (offset < query.length) {
    const len = query[offset]!;
    offset++;
    if (len === 0) break;
    labels.push(query.subarray(offset, offset + len).toString('ascii'));
    offset += len;
  }
  if (offset + 4 > query.length) return undefined;
  const qtype = query.readUInt16BE(offset);
  const questionEnd = offset + 4;
  const addresses = names.get(labels.join('.').toLowerCase());
  const records = addresses && qtype === 1 ? addresses : [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // id
  // QR, AA, RD as asked, RA; rcode 3 = NXDOMAIN for a name we do not know
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (addresses ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const answers = records.map((ip) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(1, 2); // A
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(1, 6); // TTL 1 s
    rr.writeUInt16BE(4, 10);
    ip.split('.').forEach((octet, i) => {
      rr[12 + i] = Number(octet);
    });
    return rr;
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
}
