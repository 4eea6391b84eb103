/**
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), the hash of the Java client's and
 * kafkajs's default partitioner. Using it here means a key lands on the same partition number in
 * the memory bus as in Kafka, so per-key ordering bugs look the same in both.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = (data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16) | ((data[i + 3] ?? 0) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // Deliberate fall-through, as in the Java original.
  switch (length % 4) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur2 tail
    case 3:
      h ^= (data[whole + 2] ?? 0) << 16;
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur2 tail
    case 2:
      h ^= (data[whole + 1] ?? 0) << 8;
    case 1:
      h ^= data[whole] ?? 0;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Partition of a key: toPositive(murmur2(utf8(key))) % partitions, like Kafka's default partitioner. */
export function partitionFor(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}
