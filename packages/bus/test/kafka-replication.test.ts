import { kafkaBrokers, uniqueName } from '@telemetry/testing';
import { ConfigResourceTypes, Kafka } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createBus } from '../src/index.js';

// The shared dev broker is a single node: a factor of 1 is what it can hold, and asking it for 2
// must fail visibly (the factor really reaches CreateTopics) rather than quietly give 1.
const admin = new Kafka({ clientId: uniqueName('replication-test'), brokers: kafkaBrokers() }).admin();
const buses: { close(): Promise<void> }[] = [];

afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  await admin.disconnect();
});

describe('kafka topics: replication factor and min.insync.replicas from the configuration', () => {
  it('creates topics with KAFKA_MIN_INSYNC_REPLICAS set on the topic', async () => {
    const bus = createBus({
      kafkaBrokers: kafkaBrokers(),
      clientId: uniqueName('rf'),
      partitions: 2,
      replicationFactor: 1,
      minInsyncReplicas: 1,
    });
    buses.push(bus);
    const topic = uniqueName('rf-topic');
    await bus.ensureTopics([{ name: topic }]);
    await admin.connect();
    const described = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
      includeSynonyms: false,
    });
    const entry = described.resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas');
    expect(entry).toMatchObject({ configValue: '1', isDefault: false });
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions.map((p) => p.replicas.length)).toEqual([1, 1]);
  });

  it('refuses a replication factor the cluster cannot hold instead of creating a weaker topic', async () => {
    const bus = createBus({
      kafkaBrokers: kafkaBrokers(),
      clientId: uniqueName('rf'),
      partitions: 1,
      replicationFactor: 3,
      minInsyncReplicas: 2,
    });
    buses.push(bus);
    const topic = uniqueName('rf-topic');
    await expect(bus.ensureTopics([{ name: topic }])).rejects.toThrow();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(topic);
  });
});
