import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, type Proc, startProcess } from './processes.js';
import { api, type Deployment, provisionDevice, publishReading, signIn } from './scenario.js';

// Issue 16: one psql giving up at the embedded store's password prompt froze every database access
// of the stack (readiness, logins, MQTT CONNECT) until the process was killed, SIGTERM included;
// and the port took any password. Here hostile clients hit the opt-in SQL access while a person
// and a device keep using the stack, then SIGTERM must end it within 10 s.
describe('embedded store access under hostile clients (all-in-one child process)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stack-store-'));
  const procs: Proc[] = [];
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    for (const p of procs) await p.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>, dir: string) {
    const ports = { http: await freePort(), mqtt: await freePort(), ws: await freePort(), metrics: await freePort() };
    const proc = startProcess('stack', 'services/stack/src/main.ts', {
      // the embedded engines whatever the run's environment (its Kafka, its PostgreSQL)
      KAFKA_BROKERS: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      DATA_DIR: dir,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(ports.http),
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(ports.mqtt),
      MQTT_WS_PORT: String(ports.ws),
      METRICS_PORT: String(ports.metrics),
      SIMULATE: 'false',
      LOG_LEVEL: 'warn',
      ...env,
    });
    procs.push(proc);
    await proc.waitForOutput(/Ctrl\+C stops it/, 120_000);
    const d: Deployment = { http: `http://127.0.0.1:${ports.http}`, mqtt: `mqtt://127.0.0.1:${ports.mqtt}` };
    return { proc, ports, d };
  }

  it('keeps answering /readyz, logins and MQTT CONNECTs while clients abort, stall, send garbage or guess passwords; SIGTERM ends it within 10 s', async () => {
    const sqlPort = await freePort();
    const { proc, ports, d } = await start({ STORE_SQL: 'true', STORE_PORT: String(sqlPort) }, dataDir);
    const storeDir = join(dataDir, 'timescaledb');
    const access = JSON.parse(readFileSync(join(storeDir, 'sql-access.json'), 'utf8'));
    expect(access).toMatchObject({ host: '127.0.0.1', port: sqlPort, socketDir: storeDir, user: 'reader' });
    const password = readFileSync(access.passwordFile, 'utf8').trim();
    for (const f of ['sql-password', 'sql-access.json', '.s.PGSQL.5432']) {
      expect((statSync(join(storeDir, f)).mode & 0o777).toString(8), f).toBe('600');
    }
    // the only TCP listeners: the configured ports and the password-checked SQL port
    expect(listeningPorts(proc.child.pid as number)).toEqual(
      [ports.http, ports.mqtt, ports.ws, ports.metrics, sqlPort].sort(byNumber),
    );

    const admin = proc.output().match(/platform admin\s+(\S+) \/ (\S+)/) as RegExpMatchArray;
    const { token, password: adminPassword } = await signIn(
      d,
      admin[1] as string,
      admin[2] as string,
      'a-new-admin-secret-1',
    );
    const device = await provisionDevice(d, token, 'Hostile');
    const stackAnswers = async (round: string) => {
      const ready = await fetch(`${d.http}/readyz`, { signal: AbortSignal.timeout(5_000) });
      expect(ready.status, `${round}: /readyz`).toBe(200);
      const login = await api(d, 'POST', '/api/auth/login', { body: { username: admin[1], password: adminPassword } });
      expect(login.accessToken, `${round}: login`).toBeTruthy();
      const client = await mqtt.connectAsync(d.mqtt, {
        username: device.deviceId,
        password: device.deviceToken,
        clientId: device.deviceId,
        reconnectPeriod: 0,
        connectTimeout: 5_000,
      });
      await client.endAsync();
    };
    await stackAnswers('before');

    const tcp = () => track(connect(sqlPort, '127.0.0.1'));
    const unix = () => track(connect(join(storeDir, '.s.PGSQL.5432')));
    // 1. gives up at the password prompt, like `psql` without a password (fe_sendauth: no password supplied)
    const quitter = await opened(tcp());
    quitter.write(startup('reader'));
    expect((await reply(quitter))[0]).toBe(0x52); // 'R': AuthenticationMD5Password
    quitter.destroy();
    // 2. opens and never says anything
    await opened(tcp());
    // 3. garbage, on TCP and on the Unix socket
    for (const s of [await opened(tcp()), await opened(unix())]) s.write(randomBytes(4096));
    // 4. a wrong password: refused, FATAL 28P01
    const guesser = await opened(tcp());
    const refused = await login(guesser, 'not-the-password');
    expect(refused.toString('latin1')).toMatch(/28P01.*password authentication failed/s);
    // 1b. the issue's own reproduction: psql without a password gives up at the prompt
    const psql = spawnSync(
      'psql',
      ['-w', '-h', '127.0.0.1', '-p', String(sqlPort), '-U', 'reader', '-c', 'SELECT 1', 'postgres'],
      { encoding: 'utf8', timeout: 10_000 },
    );
    expect(psql.stderr).toMatch(/fe_sendauth: no password supplied/);
    // 5. logged in, then stalls mid-query: half a Query message, never the rest
    const staller = await opened(unix());
    expect((await login(staller, password))[0]).toBe(0x52); // AuthenticationOk
    staller.write(query('SELECT count(*) FROM tenants').subarray(0, 9));
    // 6. logged in, sends a query and never reads the result
    const deaf = await opened(tcp());
    await login(deaf, password);
    deaf.pause();
    deaf.write(query('SELECT id, name FROM tenants'));

    for (let round = 0; round < 3; round++) await stackAnswers(`under attack #${round}`);
    await publishReading(d, device, 'evt-hostile', 20.5);
    // a person's read-only SQL still works meanwhile, and only reads
    const reader = await opened(tcp());
    await login(reader, password);
    reader.write(query('SELECT count(*) AS n FROM tenants'));
    expect((await reply(reader, 'Z')).toString('latin1')).toMatch(/SELECT 1/);
    reader.write(query("UPDATE users SET username = 'x'"));
    expect((await reply(reader, 'Z')).toString('latin1')).toMatch(/read-only transaction|refuses|queries only|cost/);
    expect(proc.output()).toMatch(/embedded SQL access: connection refused/);

    const started = Date.now();
    const code = await proc.stop('SIGTERM');
    const ms = Date.now() - started;
    console.log(`SIGTERM with the hostile clients still connected: exited ${code} after ${ms} ms`);
    expect(ms).toBeLessThan(10_000);
    expect(code).toBe(0);
    expect(proc.output()).toMatch(/Stopped\./);
  }, 240_000);

  it('opens no store port by default, and three restarts log no retention error', async () => {
    // the same data directory as above: that start was the first, these are the restarts (a fresh
    // directory when this test runs alone: then the first of the three is the first start)
    for (let run = 1; run <= 3; run++) {
      const { proc, ports, d } = await start({}, dataDir);
      expect(listeningPorts(proc.child.pid as number)).toEqual(
        [ports.http, ports.mqtt, ports.ws, ports.metrics].sort(byNumber),
      );
      // the maintenance pass (retention, compression, TimescaleDB jobs) runs right after start
      const deadline = Date.now() + 60_000;
      let detail: { maintenance?: { lastSuccessAt: string | null; lastError: string | null } } = {};
      while (Date.now() < deadline) {
        const body = (await (await fetch(`${d.http}/readyz`)).json()) as { detail?: typeof detail };
        detail = body.detail ?? {};
        if (detail.maintenance?.lastSuccessAt || detail.maintenance?.lastError) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(detail.maintenance?.lastError ?? null, `run ${run}`).toBeNull();
      expect(detail.maintenance?.lastSuccessAt, `run ${run}`).toBeTruthy();
      const metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
      expect(metrics).toMatch(/^timescaledb_jobs_failing(\{[^}]*\})? 0$/m);
      expect(metrics).toMatch(/^timescaledb_job_runs_total\{[^}]*proc="policy_retention"[^}]*result="ok"/m);
      const started = Date.now();
      expect(await proc.stop('SIGTERM')).toBe(0);
      console.log(`restart run ${run}: SIGTERM exit after ${Date.now() - started} ms`);
      expect(proc.output(), `run ${run}`).not.toMatch(/retention|license|maintenance failed/i);
    }
  }, 480_000);

  function track(s: Socket): Socket {
    sockets.push(s);
    s.on('error', () => undefined);
    return s;
  }
});

const byNumber = (a: number, b: number) => a - b;

function opened(s: Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Bytes until `type` (or any first chunk when absent) arrived, or the socket closed. */
function reply(s: Socket, type?: string): Promise<Buffer> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => finish(), 10_000);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (!type || hasMessage(got, type)) finish();
    };
    const finish = () => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', finish);
      resolve(got);
    };
    s.on('data', onData);
    s.once('close', finish);
  });
}

function hasMessage(buf: Buffer, type: string): boolean {
  let at = 0;
  while (buf.length - at >= 5) {
    if (String.fromCharCode(buf[at] as number) === type) return true;
    at += 1 + buf.readInt32BE(at + 1);
  }
  return false;
}

function startup(user: string): Buffer {
  const body = Buffer.from(`user\0${user}\0database\0postgres\0\0`);
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8);
  head.writeInt32BE(196_608, 4);
  return Buffer.concat([head, body]);
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function query(sql: string): Buffer {
  return message('Q', Buffer.from(`${sql}\0`));
}

/** Startup and md5 password, as psql does; resolves with the server's answer to the password. */
async function login(s: Socket, password: string): Promise<Buffer> {
  s.write(startup('reader'));
  const challenge = await reply(s);
  expect(challenge.readInt32BE(5)).toBe(5); // md5
  const salt = challenge.subarray(9, 13);
  const inner = createHash('md5').update(`${password}reader`).digest('hex');
  const hashed = `md5${createHash('md5')
    .update(Buffer.concat([Buffer.from(inner), salt]))
    .digest('hex')}`;
  s.write(message('p', Buffer.from(`${hashed}\0`)));
  return reply(s, 'Z'); // ReadyForQuery after a login, or the ErrorResponse before the close
}

/** TCP ports the process listens on (Linux /proc: its socket inodes in LISTEN state). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && cols[9] && inodes.has(cols[9])) {
        ports.add(Number.parseInt((cols[1] as string).split(':')[1] as string, 16));
      }
    }
  }
  return [...ports].sort(byNumber);
}
