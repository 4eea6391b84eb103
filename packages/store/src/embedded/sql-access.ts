import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { chmod, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  backend,
  backendMessages,
  CANCEL_REQUEST,
  type ClientFrame,
  dataRowFields,
  frontend,
  GSSENC_REQUEST,
  PROTOCOL_3,
  SSL_REQUEST,
  startupParameters,
  takeFrame,
} from './frames.js';
import { type GuestLimits, runGuestStatement } from './guest-query.js';
import { portError } from './port.js';
import type { Session } from './session.js';

export interface SqlAccessOptions {
  /** Holds the Unix socket (`.s.PGSQL.5432`), the password (`sql-password`) and `sql-access.json`, all 0600. */
  dir: string;
  /** Also listen on TCP host:port (0 = a free port). Absent: the Unix socket only. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Connections at once (default 4); more are refused at once. */
  maxConnections?: number;
  /** A client must have logged in within this (default 10 s) or it is cut. */
  authTimeoutMs?: number;
  limits?: Partial<GuestLimits>;
  /** Refusals and logins, for the owner's log. */
  onEvent?: (event: SqlAccessEvent) => void;
}

export type SqlAccessEvent =
  | { kind: 'login'; user: string; via: string }
  | { kind: 'refused'; reason: string; via: string };

export interface SqlAccess {
  /** psql's -h for the Unix socket (undefined when the path would be too long for a socket). */
  socketDir?: string;
  /** The TCP port, when one was asked for. */
  port?: number;
  host: string;
  passwordFile: string;
  close(): Promise<void>;
}

const SOCKET_NAME = '.s.PGSQL.5432';
/** sockaddr_un.sun_path is 108 bytes on Linux, 104 on macOS. */
const MAX_SOCKET_PATH = 100;
/** Startup, password and query messages of a person's client stay far below this. */
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** A client that does not read its results is cut before they pile up in memory. */
const MAX_UNREAD_BYTES = 16 * 1024 * 1024;
const DEFAULT_LIMITS: GuestLimits = { maxRows: 10_000, maxCost: 50_000, waitMs: 10_000 };

/**
 * A read-only SQL door to the embedded store for a person, opt-in (STORE_SQL=true).
 *
 * It speaks just enough of the PostgreSQL protocol itself (startup, md5 password, simple
 * queries) and never lets a client's bytes reach PGlite: each statement is handed to the
 * session as a unit (see guest-query.ts) between two of the stack's transactions. So a client
 * that stalls, aborts at the password prompt, sends garbage or guesses passwords only ever
 * affects its own socket (issue #16: one psql giving up at the prompt froze the whole stack).
 */
export async function startSqlAccess(session: Session, options: SqlAccessOptions): Promise<SqlAccess> {
  const host = options.host ?? '127.0.0.1';
  const passwordFile = join(options.dir, 'sql-password');
  const password = await ensurePassword(passwordFile);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const parameters = await serverParameters(session, limits.waitMs);
  const sockets = new Set<Socket>();
  const servers: Server[] = [];
  const handle = (via: string) => (socket: Socket) => {
    if (sockets.size >= (options.maxConnections ?? 4)) {
      options.onEvent?.({ kind: 'refused', reason: 'too many connections', via });
      socket.end(backend.error('53300', 'too many connections to the embedded SQL access', 'FATAL'));
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveClient(socket, { session, password, limits, parameters, via, options });
  };

  const socketPath = join(options.dir, SOCKET_NAME);
  let socketDir: string | undefined;
  let port: number | undefined;
  try {
    if (socketPath.length <= MAX_SOCKET_PATH) {
      await unlink(socketPath).catch(() => undefined); // left by a killed process (we hold the data dir's lock)
      servers.push(await listen(createServer(handle('unix socket')), socketPath));
      await chmod(socketPath, 0o600);
      socketDir = options.dir;
    }
    if (options.port !== undefined) {
      const tcpPort = options.port;
      const server = await listen(createServer(handle('tcp')), tcpPort, host).catch((err: unknown) => {
        throw portError(err, host, tcpPort);
      });
      port = (server.address() as { port: number }).port;
      servers.push(server);
    }
    const info = { host, port, socketDir, user: 'reader', database: 'postgres', passwordFile };
    await writeFile(join(options.dir, 'sql-access.json'), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  } catch (err) {
    for (const server of servers) server.close();
    throw err;
  }

  return {
    socketDir,
    port,
    host,
    passwordFile,
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      await rm(join(options.dir, 'sql-access.json'), { force: true });
    },
  };
}

function serveClient(
  socket: Socket,
  ctx: {
    session: Session;
    password: string;
    limits: GuestLimits;
    parameters: [string, string][];
    via: string;
    options: SqlAccessOptions;
  },
): void {
  let phase: 'startup' | 'password' | 'ready' = 'startup';
  let user = '';
  const salt = randomBytes(4);
  let buffer: Buffer = Buffer.alloc(0);
  let work: Promise<void> = Promise.resolve();
  const refuse = (reason: string, reply?: Buffer) => {
    ctx.options.onEvent?.({ kind: 'refused', reason, via: ctx.via });
    if (reply && socket.writable) socket.end(reply);
    socket.destroy();
  };
  const send = (...messages: Buffer[]) => {
    if (socket.destroyed) return;
    for (const m of messages) socket.write(m);
    if (socket.writableLength > MAX_UNREAD_BYTES) refuse('client does not read its results');
  };
  const authTimer = setTimeout(
    () => refuse('no login in time', backend.error('08006', 'login timed out', 'FATAL')),
    ctx.options.authTimeoutMs ?? 10_000,
  );
  authTimer.unref();
  socket.once('close', () => clearTimeout(authTimer));
  socket.on('error', () => socket.destroy());

  const onFrame = async (frame: ClientFrame): Promise<void> => {
    if (frame.kind === 'startup') {
      if (frame.code === SSL_REQUEST || frame.code === GSSENC_REQUEST) return void send(Buffer.from('N'));
      if (frame.code === CANCEL_REQUEST) return void socket.destroy(); // statements cannot be cancelled
      if (frame.code !== PROTOCOL_3) return refuse('unsupported protocol', protocolError('unsupported protocol'));
      user = startupParameters(frame.bytes).user ?? '';
      phase = 'password';
      return void send(backend.authMd5(salt));
    }
    if (phase === 'password') {
      if (frame.type !== 'p') return refuse('no password', protocolError('expected a password message'));
      const given = frame.body.subarray(0, Math.max(0, frame.body.indexOf(0))).toString('utf8');
      if (!sameSecret(given, md5Password(ctx.password, user, salt))) {
        return refuse(
          'wrong password',
          backend.error('28P01', `password authentication failed for user "${user}"`, 'FATAL'),
        );
      }
      clearTimeout(authTimer);
      phase = 'ready';
      ctx.options.onEvent?.({ kind: 'login', user, via: ctx.via });
      return void send(
        backend.authOk(),
        ...ctx.parameters.map(([k, v]) => backend.parameter(k, v)),
        backend.keyData(process.pid, randomInt(2 ** 31 - 1)),
        backend.ready('I'),
      );
    }
    if (frame.type === 'X') return void socket.end();
    if (frame.type !== 'Q') {
      return refuse(
        'extended protocol',
        backend.error('0A000', 'the embedded SQL access takes simple queries only (psql, pnpm sql)', 'FATAL'),
      );
    }
    const sql = frame.body.subarray(0, Math.max(0, frame.body.indexOf(0))).toString('utf8');
    if (!sql.trim()) return void send(Buffer.from([0x49, 0, 0, 0, 4]), backend.ready('I')); // EmptyQueryResponse
    const reply = await runGuestStatement(ctx.session, sql, ctx.limits).catch((err: Error) => [
      backend.error('57014', err.message),
    ]);
    send(...reply, backend.ready('I'));
  };

  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    if (buffer.length > MAX_MESSAGE_BYTES) return refuse('message too large');
    // frames are handled one after another: a statement's reply goes out before the next one runs
    work = work.then(async () => {
      for (;;) {
        if (socket.destroyed) return;
        const next = takeFrame(buffer, phase === 'startup', MAX_MESSAGE_BYTES);
        if (next.error) return refuse(next.error, protocolError('invalid message'));
        if (!next.frame) return;
        buffer = next.rest;
        await onFrame(next.frame);
      }
    });
  });
}

function protocolError(message: string): Buffer {
  return backend.error('08P01', message, 'FATAL');
}

/** PostgreSQL's md5 auth: "md5" + md5(md5(password + user) + salt), as psql and pg send it. */
function md5Password(password: string, user: string, salt: Buffer): string {
  const inner = createHash('md5')
    .update(password + user)
    .digest('hex');
  return `md5${createHash('md5')
    .update(Buffer.concat([Buffer.from(inner), salt]))
    .digest('hex')}`;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The password kept in the data directory (0600), made on first use. */
async function ensurePassword(file: string): Promise<string> {
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing) {
    await chmod(file, 0o600);
    return existing;
  }
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** What psql expects to be told after login; read once from PGlite. */
async function serverParameters(session: Session, waitMs: number): Promise<[string, string][]> {
  const names = ['server_version', 'server_encoding', 'client_encoding', 'DateStyle', 'TimeZone', 'integer_datetimes'];
  const sql = `SELECT ${names.map((n) => `current_setting('${n}')`).join(', ')}`;
  const reply = await session.guest((raw) => raw(frontend.query(sql)), waitMs);
  for (const m of backendMessages(reply)) {
    if (m.type === 'D') {
      const values = dataRowFields(m.body);
      return [...names.map((n, i): [string, string] => [n, values[i] ?? '']), ['standard_conforming_strings', 'on']];
    }
  }
  return [
    ['server_version', '16'],
    ['standard_conforming_strings', 'on'],
  ];
}

function listen(server: Server, ...address: [string] | [number, string]): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve(server);
    };
    if (address.length === 1) server.listen(address[0], done);
    else server.listen(address[0], address[1], done);
  });
}
