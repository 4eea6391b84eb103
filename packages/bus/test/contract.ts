import { uniqueName, waitFor } from '@telemetry/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Batch, BatchHandler, Bus, OutgoingMessage, Subscription } from '../src/index.js';

/** How long a test waits for deliveries: Kafka group joins and rebalances take a second or two. */
const WAIT = { timeoutMs: 30_000 };

/** Records what a member received; `handle` may add behaviour (throw, crash) before recording. */
function recorder(before?: (batch: Batch) => void | Promise<void>) {
  const batches: Batch[] = [];
  const handler: BatchHandler = async (batch) => {
    await before?.(batch);
    batches.push(batch);
  };
  const values = () => batches.flatMap((b) => b.messages.map((m) => m.value.toString()));
  return { batches, handler, values };
}

const messages = (prefix: string, n: number, keys = 8): OutgoingMessage[] =>
  Array.from({ length: n }, (_, i) => ({ key: `dev-${i % keys}`, value: `${prefix}-${i}` }));

const valuesOf = (ms: OutgoingMessage[]) => ms.map((m) => String(m.value));

/**
 * The Bus contract: what every backend must do, run against each of them
 * (test/memory.test.ts, test/kafka.test.ts). Each test has its own topic and group names.
 */
export function busContract(name: string, makeBus: () => Bus | Promise<Bus>): void {
  describe(`bus contract: ${name}`, () => {
    let bus: Bus;
    let subscriptions: Subscription[] = [];
    let topic: string;
    let group: string;

    const subscribe = async (handler: BatchHandler, extra: { maxBatchSize?: number; groupId?: string } = {}) => {
      const sub = await bus.subscribe({ groupId: extra.groupId ?? group, topics: [topic], handler, ...extra });
      subscriptions.push(sub);
      await sub.ready;
      return sub;
    };

    beforeEach(async () => {
      bus = await makeBus();
      topic = uniqueName('bus');
      group = uniqueName('group');
      await bus.ensureTopics([{ name: topic, partitions: 4 }]);
    });

    afterEach(async () => {
      await Promise.all(subscriptions.map((s) => s.close()));
      subscriptions = [];
      await bus.close();
    });

    it('round-trips messages with key, value, headers and per-partition offsets', async () => {
      const got = recorder();
      await subscribe(got.handler);
      await bus.publish(topic, [
        { key: 'dev-1', value: Buffer.from([0, 1, 2]), headers: { trace: 't1' } },
        { key: 'dev-2', value: 'text' },
      ]);
      await waitFor(() => got.values().length === 2, WAIT);
      const all = got.batches.flatMap((b) => b.messages);
      const first = all.find((m) => m.key === 'dev-1');
      expect(first?.value).toEqual(Buffer.from([0, 1, 2]));
      expect(first?.headers).toEqual({ trace: 't1' });
      expect(first?.topic).toBe(topic);
      expect(all.find((m) => m.key === 'dev-2')?.value.toString()).toBe('text');
      for (const m of all) {
        expect(m.offset).toMatch(/^\d+$/);
        expect(m.timestamp).toBeGreaterThan(Date.now() - 60_000);
      }
      expect(bus.healthy()).toBe(true);
    });

    it('keeps each key in publish order, in batches of one partition and at most maxBatchSize', async () => {
      const got = recorder();
      await subscribe(got.handler, { maxBatchSize: 7 });
      // 20 keys interleaved, sent as many concurrent single-message publishes (the gateway's pattern).
      const sent = Array.from({ length: 400 }, (_, i) => ({
        key: `dev-${i % 20}`,
        value: `${i % 20}:${Math.floor(i / 20)}`,
      }));
      await Promise.all(sent.map((m) => bus.publish(topic, [m])));
      await waitFor(() => got.values().length >= sent.length, WAIT);
      const perKey = new Map<string, number[]>();
      for (const b of got.batches) {
        expect(b.messages.length).toBeGreaterThan(0);
        expect(b.messages.length).toBeLessThanOrEqual(7);
        for (const m of b.messages) {
          expect([m.topic, m.partition]).toEqual([b.topic, b.partition]);
          const [key, seq] = m.value.toString().split(':');
          perKey.set(String(key), [...(perKey.get(String(key)) ?? []), Number(seq)]);
        }
      }
      expect(perKey.size).toBe(20);
      for (const seqs of perKey.values()) expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });

    it('redelivers a batch whose handler threw, and commits nothing of it', async () => {
      let calls = 0;
      const got = recorder(() => {
        calls++;
        if (calls === 1) throw new Error('transient');
      });
      await subscribe(got.handler);
      const sent = messages('r', 3, 1); // one key: one partition, one batch
      const published = bus.publish(topic, sent);
      await waitFor(() => got.values().length >= 3, WAIT);
      await published;
      expect(calls).toBeGreaterThanOrEqual(2);
      expect(got.values().slice(0, 3)).toEqual(valuesOf(sent));
    });

    it('gives the uncommitted batch of a crashed member to a new member of the group', async () => {
      let crashed: Promise<void> | undefined;
      let subA: Promise<Subscription> | undefined;
      const seenByA: string[] = [];
      const a = recorder((batch) => {
        seenByA.push(...batch.messages.map((m) => m.value.toString()));
        // Crash mid-batch: stop the member and fail the batch, so nothing is committed.
        crashed ??= subA?.then((s) => s.close());
        throw new Error('crash before commit');
      });
      subA = subscribe(a.handler);
      await subA;
      const sent = messages('c', 10);
      const published = bus.publish(topic, sent);
      await waitFor(() => crashed !== undefined, WAIT);
      await crashed;
      expect(seenByA.length).toBeGreaterThan(0);
      const b = recorder();
      await subscribe(b.handler);
      await waitFor(() => new Set(b.values()).size === sent.length, WAIT);
      await published;
      expect(new Set(b.values())).toEqual(new Set(valuesOf(sent)));
      for (const v of seenByA) expect(b.values()).toContain(v);
    });

    it('spreads partitions over two members and loses nothing when one leaves', async () => {
      const a = recorder();
      const b = recorder();
      await subscribe(a.handler);
      const first = messages('one', 40, 16);
      await bus.publish(topic, first);
      await waitFor(() => a.values().length >= first.length, WAIT);

      const subB = await subscribe(b.handler);
      await subB.ready;
      const second = messages('two', 40, 16);
      await bus.publish(topic, second);
      const seen = () => new Set([...a.values(), ...b.values()]);
      await waitFor(() => valuesOf(second).every((v) => seen().has(v)), WAIT);
      // Both hold partitions now: each got some of the second round (16 keys over 4 partitions).
      expect(a.values().some((v) => v.startsWith('two-'))).toBe(true);
      expect(b.values().some((v) => v.startsWith('two-'))).toBe(true);

      const subA = subscriptions[0] as Subscription;
      await subA.close();
      const third = messages('three', 40, 16);
      await bus.publish(topic, third);
      await waitFor(() => valuesOf(third).every((v) => b.values().includes(v)), WAIT);
      for (const v of [...valuesOf(first), ...valuesOf(second), ...valuesOf(third)]) expect(seen()).toContain(v);
    });

    it('loses nothing across a consumer restart: a new member resumes after the last commit', async () => {
      const a = recorder();
      const subA = await subscribe(a.handler);
      const before = messages('before', 20);
      await bus.publish(topic, before);
      await waitFor(() => a.values().length >= before.length, WAIT);
      await subA.close();

      const after = messages('after', 20);
      // The memory bus resolves a publish once the durable group has consumed it, which needs the
      // next member; Kafka resolves on acks=all, so there the publish completes while nobody consumes.
      const published = bus.publish(topic, after);
      if (bus.kind === 'kafka') await published;
      const b = recorder();
      await subscribe(b.handler);
      await waitFor(() => valuesOf(after).every((v) => b.values().includes(v)), WAIT);
      await published;
      // What the first member committed is not delivered again.
      expect(b.values().filter((v) => v.startsWith('before-'))).toEqual([]);
    });

    it('refuses topics that were not created', async () => {
      const missing = uniqueName('missing');
      await expect(bus.publish(missing, messages('x', 1))).rejects.toThrow(/unknown topic/);
      await expect(bus.subscribe({ groupId: group, topics: [missing], handler: async () => {} })).rejects.toThrow(
        /unknown topic/,
      );
      // ensureTopics is idempotent.
      await bus.ensureTopics([{ name: topic, partitions: 4 }]);
    });
  });
}
