import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HandshakeRequest, OzoneEvent } from '@telemetry/contracts';

/**
 * The device side of the ozone seed's api, as a real HTTP peer for the simulator's tests:
 * POST /api/handshake/ and POST /api/device/events/ (Bearer token, idempotent on event_id).
 * Device ids are `${prefix}-${n}`, so each test has its own ids (and MQTT topics).
 */
export interface DeviceApi {
  url: string;
  /** mac -> identity handed out. */
  devices: Map<string, { deviceId: string; token: string; assigned: boolean }>;
  /** First-seen events by event_id, and every accepted POST (duplicates included). */
  events: Map<string, Record<string, unknown>>;
  posts: Record<string, unknown>[];
  refused: { status: number; body: string }[];
  handshakes: number;
  assign(mac: string): void;
  tokenOk(deviceId: string, token: string): boolean;
  close(): Promise<void>;
}

export async function startDeviceApi(opts: {
  prefix: string;
  autoAssign?: (mac: string) => boolean;
}): Promise<DeviceApi> {
  let n = 0;
  const api: DeviceApi = {
    url: '',
    close: async () => undefined,
    devices: new Map(),
    events: new Map(),
    posts: [],
    refused: [],
    handshakes: 0,
    assign(mac) {
      const d = api.devices.get(mac);
      if (d) d.assigned = true;
    },
    tokenOk(deviceId, token) {
      return [...api.devices.values()].some((d) => d.deviceId === deviceId && d.token === token && d.assigned);
    },
  };

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, status: number, code: string, body: string) => {
    api.refused.push({ status, body });
    reply(res, status, { statusCode: status, code, error: code, message: code });
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }

    if (req.method === 'POST' && req.url === '/api/handshake/') {
      const hs = HandshakeRequest.safeParse(json);
      if (!hs.success) return refuse(res, 400, 'VALIDATION_FAILED', text);
      api.handshakes += 1;
      let d = api.devices.get(hs.data.mac);
      if (!d) {
        n += 1;
        d = {
          deviceId: `${opts.prefix}-${n}`,
          token: randomBytes(16).toString('hex'),
          assigned: opts.autoAssign?.(hs.data.mac) ?? true,
        };
        api.devices.set(hs.data.mac, d);
      }
      return reply(res, 200, { device_id: d.deviceId, token: d.token, assigned: d.assigned });
    }

    if (req.method === 'POST' && req.url === '/api/device/events/') {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (json === undefined) return refuse(res, 400, 'TELEMETRY_NOT_JSON', text);
      const ev = OzoneEvent.safeParse(json);
      if (!ev.success) return refuse(res, 422, 'TELEMETRY_SCHEMA_INVALID', text);
      if (!token || !api.tokenOk(ev.data.device_id, token)) return refuse(res, 401, 'TOKEN_INVALID', text);
      api.posts.push(json as Record<string, unknown>);
      if (!api.events.has(ev.data.event_id)) api.events.set(ev.data.event_id, json as Record<string, unknown>);
      return reply(res, 200, { ack: true, event_id: ev.data.event_id });
    }
    refuse(res, 404, 'NOT_FOUND', text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return api;
}
