/**
 * Coalesces single-key lookups made in the same turn of the event loop into one call of `load`
 * (e.g. one `WHERE id = ANY($1)` query for a burst of MQTT CONNECTs). Each caller gets the value
 * for its own key, or the batch's error. Batches of different turns may run concurrently.
 */
export function createBatchLoader<K, V>(
  load: (keys: K[]) => Promise<Map<K, V>>,
  options: { maxBatch?: number } = {},
): (key: K) => Promise<V | undefined> {
  const maxBatch = options.maxBatch ?? 1_000;
  let waiting: { key: K; resolve: (v: V | undefined) => void; reject: (err: unknown) => void }[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = waiting;
    waiting = [];
    for (let i = 0; i < batch.length; i += maxBatch) {
      const part = batch.slice(i, i + maxBatch);
      load([...new Set(part.map((w) => w.key))]).then(
        (values) => {
          for (const w of part) w.resolve(values.get(w.key));
        },
        (err: unknown) => {
          for (const w of part) w.reject(err);
        },
      );
    }
  };

  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
