import type { Store } from '@telemetry/store';
import { eventKey, insertSeen, type StoredEvent, writeStored } from '@telemetry/timeseries';

export interface TestEvent {
  tenantId: string;
  deviceId: string;
  eventId?: string;
  ts: string;
  kind?: 'telemetry' | 'event' | 'status';
  metrics: Record<string, number>;
  attributes?: Record<string, unknown>;
}

let seq = 0;

/**
 * Stores events the way the pipeline worker does (@telemetry/timeseries write API: the seen
 * marks, raw rows, rollups and device state in one transaction), so the API reads real rows.
 */
export async function ingest(store: Store, events: TestEvent[]): Promise<void> {
  const stored: StoredEvent[] = events.map((e) => ({
    tenantId: e.tenantId,
    deviceId: e.deviceId,
    eventId: e.eventId ?? `t-${++seq}`,
    ts: new Date(e.ts).toISOString(),
    receivedAt: new Date(e.ts).toISOString(),
    kind: e.kind ?? 'telemetry',
    source: 'mqtt',
    metrics: e.metrics,
    attributes: e.attributes ?? {},
    skewed: false,
    deviceTs: null,
    keepRaw: true,
  }));
  for (let i = 0; i < stored.length; i += 2000) {
    const chunk = stored.slice(i, i + 2000);
    await store.withTransaction(async (client) => {
      const fresh = await insertSeen(
        client,
        chunk.map((e, n) => ({ ...e, srcPartition: 0, srcOffset: String(i + n), late: false })),
      );
      await writeStored(
        client,
        chunk.filter((e) => fresh.has(eventKey(e.tenantId, e.deviceId, e.eventId))),
      );
    });
  }
}
