import { uniqueName, waitFor } from '@telemetry/testing';
import { describe, expect, it } from 'vitest';
import { type Bus, createBus } from '../src/index.js';
import { RETAIN_UNREAD } from '../src/memory/topic.js';
import { busContract } from './contract.js';

const makeBus = () => createBus({ kafkaBrokers: [], clientId: 'bus-contract', partitions: 4 });

busContract('memory', makeBus);

/** A handler that holds every batch until released: "processing takes a while". */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  let received = 0;
  return {
    handler: async (batch: { messages: unknown[] }) => {
      received += batch.messages.length;
      await opened;
    },
    received: () => received,
    open: () => open(),
  };
}

const settled = (p: Promise<unknown>) => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  return () => done;
};

async function withTopic(fn: (bus: Bus, topic: string) => Promise<void>) {
  const bus = makeBus();
  const topic = uniqueName('mem');
  await bus.ensureTopics([{ name: topic, partitions: 2 }]);
  try {
    await fn(bus, topic);
  } finally {
    await bus.close();
  }
}

describe('memory bus: publish is durable once the durable groups committed', () => {
  it('resolves a publish only after every durable group processed it', () =>
    withTopic(async (bus, topic) => {
      const store = gate();
      let rules = 0;
      await bus.subscribe({ groupId: 'store', topics: [topic], handler: store.handler });
      await bus.subscribe({
        groupId: 'rules',
        topics: [topic],
        handler: async (b) => {
          rules += b.messages.length;
        },
      });
      const isDone = settled(bus.publish(topic, [{ key: 'd1', value: 'v' }]));
      await waitFor(() => store.received() === 1 && rules === 1);
      expect(isDone()).toBe(false);
      store.open();
      await waitFor(isDone);
    }));

  it('does not wait for a durable group with maxLag until it lags that far, and still holds its messages', () =>
    withTopic(async (bus, topic) => {
      const rules = gate();
      await bus.subscribe({ groupId: 'rules', topics: [topic], handler: rules.handler, maxBatchSize: 1, maxLag: 2 });
      // one key, one partition: the first is in the (held) handler, the second waits behind it
      await bus.publish(topic, [{ key: 'd1', value: 'a' }]);
      await bus.publish(topic, [{ key: 'd1', value: 'b' }]);
      const third = settled(bus.publish(topic, [{ key: 'd1', value: 'c' }]));
      await waitFor(() => rules.received() === 1);
      await new Promise((r) => setImmediate(r));
      expect(third()).toBe(false); // 3 uncommitted > maxLag 2: the publisher waits
      rules.open();
      await waitFor(third);
      await waitFor(() => rules.received() === 3); // nothing it had not committed was dropped
    }));

  it('does not wait for non-durable groups', () =>
    withTopic(async (bus, topic) => {
      const live = gate();
      await bus.subscribe({ groupId: 'live', topics: [topic], handler: live.handler, durable: false });
      await bus.publish(topic, [{ key: 'd1', value: 'v' }]);
      live.open();
    }));

  it('keeps holding publishes for a durable group with no member, until one comes back', () =>
    withTopic(async (bus, topic) => {
      const first = await bus.subscribe({ groupId: 'store', topics: [topic], handler: async () => {} });
      await first.close();
      const isDone = settled(bus.publish(topic, [{ key: 'd1', value: 'v' }]));
      await new Promise((r) => setImmediate(r));
      expect(isDone()).toBe(false);
      const values: string[] = [];
      await bus.subscribe({
        groupId: 'store',
        topics: [topic],
        handler: async (b) => {
          values.push(...b.messages.map((m) => m.value.toString()));
        },
      });
      await waitFor(isDone);
      expect(values).toEqual(['v']);
    }));

  it('fails pending publishes when the bus closes instead of leaving them hanging', async () => {
    const bus = makeBus();
    const topic = uniqueName('mem');
    await bus.ensureTopics([{ name: topic }]);
    const sub = await bus.subscribe({ groupId: 'store', topics: [topic], handler: async () => {} });
    await sub.close();
    const pending = bus.publish(topic, [{ key: 'd1', value: 'v' }]);
    await bus.close();
    await expect(pending).rejects.toThrow(/closed/);
  });
});

describe('memory bus: bounded memory', () => {
  it('trims what every group committed, and keeps only a bounded tail of unread topics', () =>
    withTopic(async (bus, topic) => {
      const unread = uniqueName('unread');
      await bus.ensureTopics([{ name: unread, partitions: 1 }]);
      let count = 0;
      await bus.subscribe({
        groupId: 'g',
        topics: [topic],
        handler: async (b) => {
          count += b.messages.length;
        },
      });
      const many = Array.from({ length: 3 * RETAIN_UNREAD }, (_, i) => ({ key: 'k', value: String(i) }));
      await bus.publish(topic, many);
      await bus.publish(unread, many);
      expect(count).toBe(many.length);
      // A group joining the unread topic from the beginning finds only the retained tail.
      const tail: string[] = [];
      await bus.subscribe({
        groupId: 'late',
        topics: [unread],
        handler: async (b) => void tail.push(...b.messages.map((m) => m.value.toString())),
      });
      await waitFor(() => tail.length === RETAIN_UNREAD);
      expect(tail[0]).toBe(String(2 * RETAIN_UNREAD));
    }));
});
