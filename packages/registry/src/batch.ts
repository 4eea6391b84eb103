/**
 * Coalesces single-key lookups into few calls of `load` (e.g. one `WHERE id = ANY($1)` query for a
 * burst of MQTT CONNECTs). Each caller gets the value for its own key, or the batch's error.
 *
 * No timer: the keys asked in the same turn of the event loop go out together (setImmediate), and
 * while `concurrency` loads are in flight the next keys wait and go out as one batch when one of
 * them finishes. Under low load a lookup is sent at once; under a storm the batches grow with the
 * store's latency instead of queueing one statement per key behind the pool (on the embedded
 * store's single connection a storm was one statement per CONNECT, each waiting for all before it).
 */
export function createBatchLoader<K, V>(
  load: (keys: K[]) => Promise<Map<K, V>>,
  options: { maxBatch?: number; concurrency?: number } = {},
): (key: K) => Promise<V | undefined> {
  const maxBatch = options.maxBatch ?? 1_000;
  const concurrency = options.concurrency ?? 2;
  let waiting: { key: K; resolve: (v: V | undefined) => void; reject: (err: unknown) => void }[] = [];
  let scheduled = false;
  let inFlight = 0;

  const flush = () => {
    scheduled = false;
    while (waiting.length > 0 && inFlight < concurrency) {
      const part = waiting.slice(0, maxBatch);
      waiting = waiting.slice(maxBatch);
      inFlight++;
      let values: Promise<Map<K, V>>;
      try {
        values = load([...new Set(part.map((w) => w.key))]);
      } catch (err) {
        values = Promise.reject(err);
      }
      values
        .then(
          (found) => {
            for (const w of part) w.resolve(found.get(w.key));
          },
          (err: unknown) => {
            for (const w of part) w.reject(err);
          },
        )
        .finally(() => {
          inFlight--;
          if (waiting.length > 0) schedule();
        });
    }
  };

  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      if (inFlight < concurrency) schedule();
    });
}
