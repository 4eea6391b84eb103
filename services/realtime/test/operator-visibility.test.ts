import { randomUUID } from 'node:crypto';
import { createMemoryBus } from '@telemetry/bus';
import { encodeMessage, TaskV1, Topics } from '@telemetry/contracts';
import { waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alertMessage,
  type Client,
  connect,
  type Instance,
  publishAlerts,
  startInstance,
  tokenFor,
} from './fixtures.js';
import { type Gateway, startGateway, stopGateway } from './setup.js';

// Live pushes follow the same visibility as GET /api/alerts and /api/tasks (services/api/src/scope.ts):
// an operator sees the work of their assigned sites and assets, the tasks they are assigned to,
// or everything when the tenant says `operatorsSeeAll` (#19, the car-plant seed).

let g: Gateway;
let gw: Instance;
const clients: Client[] = [];
const track = async (p: Promise<Client>) => {
  const c = await p;
  clients.push(c);
  return c;
};

beforeAll(async () => {
  g = await startGateway(() => createMemoryBus({ partitions: 4 }));
  // a short directory TTL: a changed assignment or setting counts within it
  gw = await startInstance({ bus: g.bus, store: g.db.store, options: { cacheTtlMs: 200 } });
  // the operator works on the other floor only
  await g.db.store.pool.query('INSERT INTO user_assignments (tenant_id, user_id, asset_id) VALUES ($1, $2, $3)', [
    g.w.tenantA,
    g.w.users.operatorA,
    g.w.otherFloor,
  ]);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await gw?.realtime.close();
  await stopGateway(g);
});

const task = (deviceId: string, title: string, assignees: string[]) => ({
  key: deviceId,
  value: encodeMessage(TaskV1, {
    v: 1,
    change: 'created',
    taskId: randomUUID(),
    tenantId: g.w.tenantA,
    ruleId: null,
    assetId: null,
    deviceId,
    title,
    status: 'not_started',
    dueAt: null,
    assignees,
    changedAt: new Date().toISOString(),
    changedBy: null,
  }),
});

describe('an operator receives the alerts and tasks of their assignments only', () => {
  it('live, in replay, for assigned tasks, and all of them once the tenant says operatorsSeeAll', async () => {
    const { w } = g;
    const admin = await track(connect(gw.url, tokenFor(w.users.adminA, w.tenantA, 'admin')));
    const operator = await track(connect(gw.url, tokenFor(w.users.operatorA, w.tenantA, 'operator')));
    const operatorTasks: string[] = [];
    const adminTasks: string[] = [];
    operator.socket.on('task', (m) => operatorTasks.push(m.task.title));
    admin.socket.on('task', (m) => adminTasks.push(m.task.title));
    expect(await admin.subscribe('tenant', w.tenantA)).toMatchObject({ ok: true });
    const sub = await operator.subscribe('tenant', w.tenantA);
    expect(sub).toMatchObject({ ok: true });

    // deviceA sits on the pantry's dispenser (not the operator's), deviceA2 on the other floor (theirs)
    await publishAlerts(g.bus, [
      alertMessage({ tenantId: w.tenantA, deviceId: w.deviceA, message: 'pantry' }),
      alertMessage({ tenantId: w.tenantA, deviceId: w.deviceA2, message: 'other floor' }),
    ]);
    await g.bus.publish(Topics.tasks, [
      task(w.deviceA, 'refill, assigned', [w.users.operatorA]),
      task(w.deviceA, 'refill, unassigned', []),
    ]);
    await waitFor(() => admin.alerts.length === 2 && adminTasks.length === 2, { message: 'the admin gets all' });
    // one round trip later: what the operator was sent in the same write round is here
    await operator.subscribe('tenant', w.tenantA);
    expect(operator.alerts.map((a) => a.alert.message)).toEqual(['other floor']);
    expect(operatorTasks).toEqual(['refill, assigned']);

    // a resuming operator is replayed the same selection from the database
    for (const [deviceId, message] of [
      [w.deviceA, 'missed pantry'],
      [w.deviceA2, 'missed other floor'],
    ] as const) {
      await g.db.store.pool.query(
        `INSERT INTO alerts (id, tenant_id, device_id, kind, severity, message, opened_at)
         VALUES ($1, $2, $3, 'manual', 'warning', $4, now())`,
        [randomUUID(), w.tenantA, deviceId, message],
      );
    }
    const since = sub.ok ? sub.cursor : Date.now();
    const resumed = await track(connect(gw.url, tokenFor(w.users.operatorA, w.tenantA, 'operator')));
    expect(await resumed.subscribe('tenant', w.tenantA, since)).toMatchObject({ ok: true, resync: false });
    const replayed = resumed.alerts.filter((a) => a.replay).map((a) => a.alert.message);
    expect(replayed).toContain('missed other floor');
    expect(replayed).not.toContain('missed pantry');
    expect(replayed).not.toContain('pantry');

    // the tenant lets operators see everything: live pushes follow within the directory's TTL
    await g.db.store.pool.query(
      `UPDATE tenants SET settings = settings || '{"operatorsSeeAll": true}'::jsonb WHERE id = $1`,
      [w.tenantA],
    );
    await waitFor(
      async () => {
        await publishAlerts(g.bus, [alertMessage({ tenantId: w.tenantA, deviceId: w.deviceA, message: 'see all' })]);
        await operator.subscribe('tenant', w.tenantA);
        return operator.alerts.some((a) => a.alert.message === 'see all');
      },
      { timeoutMs: 10_000, message: 'operatorsSeeAll applies to live pushes' },
    );
  });
});
