import { type Bus, createMemoryBus } from '@telemetry/bus';
import { AlertV1, allTopics, decodeMessage, Topics } from '@telemetry/contracts';
import { waitFor } from '@telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld, type World } from './fixtures.js';
import { type Harness, startApi } from './helpers.js';

// The api publishes what its own writes left in the outbox: no rules worker runs here.
describe('api outbox', () => {
  let h: Harness;
  let w: World;
  let failAlerts = 0;
  const alerts: AlertV1[] = [];
  beforeAll(async () => {
    const memory = createMemoryBus({ partitions: 1 });
    const bus: Bus = {
      ...memory,
      publish: async (topic, messages) => {
        if (topic === Topics.alerts && failAlerts-- > 0) throw new Error('broker unreachable');
        return memory.publish(topic, messages);
      },
    };
    h = await startApi('embedded', { bus });
    await h.bus.ensureTopics(allTopics.map((name) => ({ name })));
    await memory.subscribe({
      groupId: 'outbox-observer',
      topics: [Topics.alerts],
      durable: false,
      handler: async (batch) => {
        for (const m of batch.messages) alerts.push(decodeMessage(AlertV1, m.value));
      },
    });
    w = await buildWorld(h, 'Outbox');
  });
  afterAll(async () => h?.close());

  it('keeps a change whose publish failed in the outbox and relays it itself', async () => {
    failAlerts = 1;
    // a manager: operators see only the alerts of assets they are assigned to (#19)
    const manager = w.tenant.users.manager.token;
    const ack = await h.req('post', `/api/alerts/${w.ids.alertId}/acknowledge`, { token: manager, body: {} });
    expect(ack.status).toBe(200);
    const left = await h.test.store.pool.query('SELECT topic FROM rules_outbox');
    expect(left.rows).toEqual([{ topic: Topics.alerts }]);
    expect(alerts).toHaveLength(0);

    expect(await h.api.relayOutbox(0)).toBe(1);
    const got = await waitFor(() => alerts.find((a) => a.alertId === w.ids.alertId));
    expect(got.change).toBe('acknowledged');
    expect((await h.test.store.pool.query('SELECT 1 FROM rules_outbox')).rowCount).toBe(0);
  });
});
