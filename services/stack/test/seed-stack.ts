import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@telemetry/config';
import { silentLogger } from '@telemetry/observability';
import { waitFor } from '@telemetry/testing';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { io, type Socket } from 'socket.io-client';
import { type RunningStack, runStack } from '../src/stack.js';

// biome-ignore lint/suspicious/noExplicitAny: the seed replays read the JSON loosely, as the seeds' clients do
export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface SeedStack {
  stack: RunningStack;
  url: string;
  mqtt: string;
  /** Every mail the real SMTP server received, parsed. */
  mail: ParsedMail[];
  // biome-ignore lint/suspicious/noExplicitAny: see Res
  req<T = any>(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string; jar?: Jar },
  ): Promise<Res<T>>;
  platformToken: string;
  /** A tenant and users with known passwords (created through the canonical API). */
  tenant(
    name: string,
    users: SeedUser[],
    opts?: { externalId?: string },
  ): Promise<{ id: string; users: Record<string, { id: string; token: string }> }>;
  /** A Socket.IO client of the stack, subscribed to `scope`/`id`; collects what it is pushed. */
  live(token: string, scope: 'tenant' | 'site' | 'asset' | 'device', id: string): Promise<Live>;
  close(): Promise<void>;
}

export interface SeedUser {
  username: string;
  password: string;
  role: 'admin' | 'manager' | 'operator' | 'viewer';
  email?: string;
}

/** A cookie jar (curl -c / -b): the cookies the stack set, sent back. */
export type Jar = Map<string, string>;

export interface Live {
  socket: Socket;
  events: { event: string; data: Record<string, unknown> }[];
  close(): void;
}

/**
 * The all-in-one stack (services/stack runStack) in this process on free ports, with the embedded
 * store in memory, the in-process bus and a real SMTP server (smtp-server) as its mail backend:
 * what the seeds' users and devices talk to, replayed request by request.
 */
export async function startSeedStack(env: Record<string, string> = {}): Promise<SeedStack> {
  const mail: ParsedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((m) => {
          mail.push(m);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const smtpPort = (smtp.server.address() as { port: number }).port;
  const dataDir = mkdtempSync(join(tmpdir(), 'seed-stack-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    // the stack's embedded TimescaleDB keeps its files here (removed on close)
    DATA_DIR: dataDir,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    METRICS_PORT: '0',
    SIMULATE: 'false',
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    JWT_SECRET: 'seed-replay-secret-0123456789-0123456789',
    API_LOGIN_RATE_PER_MIN: '100000',
    NOTIFY_POLL_INTERVAL: '200ms',
    RULES_CACHE_TTL: '100ms',
    ...env,
  });
  const stack = await runStack({ config, logger: silentLogger() });
  const url = stack.urls.http;

  const req: SeedStack['req'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.jar?.size) headers.cookie = [...opts.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(url + path, { method: method.toUpperCase(), headers, body });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, ...v] = (pair ?? '').split('=');
      if (opts.jar && k) opts.jar.set(k.trim(), v.join('='));
    }
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, body: parsed as never, headers: res.headers, text };
  };

  const signIn = async (username: string, password: string, newPassword = `${password}-changed-1`) => {
    const first = await req('post', '/api/auth/login', { body: { username, password } });
    if (first.status !== 200) throw new Error(`login ${username}: ${first.status} ${first.text}`);
    if (!first.body.setupRequired) return first.body.accessToken as string;
    await req('post', '/api/auth/password', {
      token: first.body.accessToken,
      body: { currentPassword: password, newPassword },
    });
    const again = await req('post', '/api/auth/login', { body: { username, password: newPassword } });
    return again.body.accessToken as string;
  };
  const admin = stack.firstRun.admin;
  if (!admin) throw new Error('a fresh stack creates its platform admin');
  const platformToken = await signIn(admin.username, admin.password);

  const sockets: Socket[] = [];
  return {
    stack,
    url,
    mqtt: stack.urls.mqtt,
    mail,
    req,
    platformToken,
    async tenant(name, users, opts: { externalId?: string } = {}) {
      const t = await req('post', '/api/tenants', {
        token: platformToken,
        body: { name, externalId: opts.externalId ?? `ext-${name}` },
      });
      if (t.status !== 201) throw new Error(`tenant ${name}: ${t.status} ${t.text}`);
      const id = (t.body.id ?? t.body.tenant?.id) as string;
      // the seeds' firmware handshakes with its MAC only: the tenant opts in, on the record (#20)
      const mac = await req('patch', `/api/tenants/${id}`, { token: platformToken, body: { allowMacOnly: true } });
      if (mac.status !== 200) throw new Error(`tenant ${name} allowMacOnly: ${mac.status} ${mac.text}`);
      const out: Record<string, { id: string; token: string }> = {};
      for (const u of users) {
        const r = await req('post', '/api/users', {
          token: platformToken,
          body: { ...u, tenantId: id, firstName: u.username, lastName: name },
        });
        if (r.status !== 201) throw new Error(`user ${u.username}: ${r.status} ${r.text}`);
        out[u.username] = { id: r.body.user.id, token: await signIn(u.username, u.password) };
      }
      return { id, users: out };
    },
    async live(token, scope, id) {
      const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
      sockets.push(socket);
      const events: Live['events'] = [];
      socket.onAny((event: string, data: Record<string, unknown>) => events.push({ event, data }));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const ack = (await socket.timeout(5000).emitWithAck('subscribe', { scope, id })) as { ok: boolean };
      if (!ack.ok) throw new Error(`subscribe ${scope}/${id}: ${JSON.stringify(ack)}`);
      return { socket, events, close: () => socket.close() };
    },
    async close() {
      for (const s of sockets) s.close();
      await stack.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits for a mail to `to` whose subject matches. */
export async function mailTo(s: SeedStack, to: string, subject: RegExp, count = 1): Promise<ParsedMail[]> {
  const match = () =>
    s.mail.filter((m) => m.subject && subject.test(m.subject) && JSON.stringify(m.to ?? '').includes(to));
  await waitFor(() => match().length >= count, {
    timeoutMs: 20_000,
    message: `${count} mail(s) to ${to} ~ ${subject}`,
  });
  return match();
}
