import { eventKey, type Queryable } from '../db.js';

/** A version of an event whose id was already stored with another payload (#14, reason id_conflict). */
export interface ConflictCandidate {
  tenantId: string;
  deviceId: string;
  eventId: string;
  fingerprint: string;
  storedFingerprint: string | null;
  kind: string;
  source: string;
  /** Device time as sent; null when the device sent none. */
  deviceTs: string | null;
  ts: string;
  receivedAt: string;
  metrics: Record<string, number>;
  attributes: Record<string, unknown>;
  srcPartition: number;
  srcOffset: string;
}

/**
 * Keeps each conflicting version once (a resend of it is not a second conflict), in the batch
 * transaction. Returns the keys whose version row was written by this very message (same bus
 * position): the new ones, and the ones a redelivery of this message wrote before a crash. Those
 * get their dead letter published (again), so the conflict is counted and shown at least once.
 */
export async function insertConflicts(db: Queryable, conflicts: readonly ConflictCandidate[]): Promise<Set<string>> {
  if (conflicts.length === 0) return new Set();
  await db.query(
    `INSERT INTO telemetry_conflicts (tenant_id, device_id, event_id, fingerprint, stored_fingerprint, kind, source,
                                      device_ts, ts, received_at, metrics, attributes, src_partition, src_offset)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                          $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::jsonb[], $12::jsonb[],
                          $13::int[], $14::bigint[])
     ON CONFLICT (tenant_id, device_id, event_id, fingerprint) DO NOTHING`,
    [
      conflicts.map((c) => c.tenantId),
      conflicts.map((c) => c.deviceId),
      conflicts.map((c) => c.eventId),
      conflicts.map((c) => c.fingerprint),
      conflicts.map((c) => c.storedFingerprint),
      conflicts.map((c) => c.kind),
      conflicts.map((c) => c.source),
      conflicts.map((c) => c.deviceTs),
      conflicts.map((c) => c.ts),
      conflicts.map((c) => c.receivedAt),
      conflicts.map((c) => JSON.stringify(c.metrics)),
      conflicts.map((c) => JSON.stringify(c.attributes)),
      conflicts.map((c) => c.srcPartition),
      conflicts.map((c) => c.srcOffset),
    ],
  );
  const { rows } = await db.query<{ tenant_id: string; device_id: string; event_id: string; fingerprint: string }>(
    `SELECT c.tenant_id, c.device_id, c.event_id, c.fingerprint
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[]) AS k(t, d, e, f, p, o)
     JOIN telemetry_conflicts c ON c.tenant_id = k.t AND c.device_id = k.d AND c.event_id = k.e AND c.fingerprint = k.f
      AND c.src_partition = k.p AND c.src_offset = k.o`,
    [
      conflicts.map((c) => c.tenantId),
      conflicts.map((c) => c.deviceId),
      conflicts.map((c) => c.eventId),
      conflicts.map((c) => c.fingerprint),
      conflicts.map((c) => c.srcPartition),
      conflicts.map((c) => c.srcOffset),
    ],
  );
  return new Set(rows.map((r) => `${eventKey(r.tenant_id, r.device_id, r.event_id)}\u0000${r.fingerprint}`));
}

export function conflictKey(c: Pick<ConflictCandidate, 'tenantId' | 'deviceId' | 'eventId' | 'fingerprint'>) {
  return `${eventKey(c.tenantId, c.deviceId, c.eventId)}\u0000${c.fingerprint}`;
}
