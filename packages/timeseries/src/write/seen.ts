import { eventKey, type Queryable } from '../db.js';

/** One event offered to the judge of "seen", with the bus position of the message carrying it. */
export interface SeenCandidate {
  tenantId: string;
  deviceId: string;
  eventId: string;
  /** Device time as stored (ISO). */
  ts: string;
  receivedAt: string;
  srcPartition: number;
  /** Bus offset, a decimal string. */
  srcOffset: string;
  late: boolean;
  /** Of the payload (kind, device time, metrics, attributes): a resend has the same, a conflict another. */
  fingerprint?: string;
}

/**
 * Inserts the candidates into telemetry_seen and returns the keys (see eventKey) of those that were
 * not there: the first-seen events. Run inside the batch transaction, so the mark and the stored
 * rows commit together. Candidates must be unique by key (dedupe the batch first).
 */
export async function insertSeen(db: Queryable, candidates: readonly SeenCandidate[]): Promise<Set<string>> {
  if (candidates.length === 0) return new Set();
  const { rows } = await db.query<{ tenant_id: string; device_id: string; event_id: string }>(
    `INSERT INTO telemetry_seen (tenant_id, device_id, event_id, ts, received_at, src_partition, src_offset, late,
                                 fingerprint)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::int[],
                          $7::bigint[], $8::bool[], $9::text[])
     ON CONFLICT (tenant_id, device_id, event_id) DO NOTHING
     RETURNING tenant_id, device_id, event_id`,
    [
      candidates.map((c) => c.tenantId),
      candidates.map((c) => c.deviceId),
      candidates.map((c) => c.eventId),
      candidates.map((c) => c.ts),
      candidates.map((c) => c.receivedAt),
      candidates.map((c) => c.srcPartition),
      candidates.map((c) => c.srcOffset),
      candidates.map((c) => c.late),
      candidates.map((c) => c.fingerprint ?? null),
    ],
  );
  return new Set(rows.map((r) => eventKey(r.tenant_id, r.device_id, r.event_id)));
}

/** What telemetry_seen holds about an event already stored. */
export interface SeenMark {
  /** NULL for marks written before fingerprints existed (judged as duplicates). */
  fingerprint: string | null;
  srcPartition: number;
  srcOffset: string;
  late: boolean;
}

/** The marks of the given keys (one query): key (see eventKey) -> mark. */
export async function loadSeen(
  db: Queryable,
  keys: readonly { tenantId: string; deviceId: string; eventId: string }[],
): Promise<Map<string, SeenMark>> {
  if (keys.length === 0) return new Map();
  const { rows } = await db.query<{
    tenant_id: string;
    device_id: string;
    event_id: string;
    fingerprint: string | null;
    src_partition: number;
    src_offset: string;
    late: boolean;
  }>(
    `SELECT s.tenant_id, s.device_id, s.event_id, s.fingerprint, s.src_partition, s.src_offset::text AS src_offset,
            s.late
     FROM unnest($1::uuid[], $2::text[], $3::text[]) AS k(tenant_id, device_id, event_id)
     JOIN telemetry_seen s ON s.tenant_id = k.tenant_id AND s.device_id = k.device_id AND s.event_id = k.event_id`,
    [keys.map((k) => k.tenantId), keys.map((k) => k.deviceId), keys.map((k) => k.eventId)],
  );
  return new Map(
    rows.map((r) => [
      eventKey(r.tenant_id, r.device_id, r.event_id),
      { fingerprint: r.fingerprint, srcPartition: r.src_partition, srcOffset: r.src_offset, late: r.late },
    ]),
  );
}

/**
 * Of the given duplicates, those stored by this very message (same partition and offset): the
 * message is being delivered again after a crash between COMMIT and the offset commit, so its
 * accepted event may never have been published. Returns key -> late flag as stored.
 */
export async function findStoredBySameMessage(
  db: Queryable,
  duplicates: readonly Pick<SeenCandidate, 'tenantId' | 'deviceId' | 'eventId' | 'srcPartition' | 'srcOffset'>[],
): Promise<Map<string, { late: boolean }>> {
  if (duplicates.length === 0) return new Map();
  const { rows } = await db.query<{ tenant_id: string; device_id: string; event_id: string; late: boolean }>(
    `SELECT s.tenant_id, s.device_id, s.event_id, s.late
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::bigint[]) AS d(tenant_id, device_id, event_id, p, o)
     JOIN telemetry_seen s
       ON s.tenant_id = d.tenant_id AND s.device_id = d.device_id AND s.event_id = d.event_id
      AND s.src_partition = d.p AND s.src_offset = d.o`,
    [
      duplicates.map((c) => c.tenantId),
      duplicates.map((c) => c.deviceId),
      duplicates.map((c) => c.eventId),
      duplicates.map((c) => c.srcPartition),
      duplicates.map((c) => c.srcOffset),
    ],
  );
  return new Map(rows.map((r) => [eventKey(r.tenant_id, r.device_id, r.event_id), { late: r.late }]));
}

/**
 * Deletes marks whose device time AND receive time are both older than `before` (now minus the late
 * window). Events that old are dead-lettered as too_late before the judge is asked, so the marks can
 * no longer decide anything; requiring both times keeps a retransmission that carries a newer
 * timestamp deduped. Deletes in slices so no long lock is held; returns the number deleted.
 */
export async function pruneSeen(
  db: Queryable,
  before: Date,
  slice = 10_000,
  /** Tenants with a late window of their own (longer or shorter): their cutoff instead of `before`. */
  tenantCutoffs: ReadonlyMap<string, Date> = new Map(),
): Promise<number> {
  const own = [...tenantCutoffs.keys()];
  let total = await pruneWhere(db, 'tenant_id <> ALL($3::uuid[])', [before.toISOString(), slice, own], slice);
  for (const [tenantId, cutoff] of tenantCutoffs) {
    total += await pruneWhere(db, 'tenant_id = $3', [cutoff.toISOString(), slice, tenantId], slice);
  }
  return total;
}

async function pruneWhere(db: Queryable, scope: string, params: unknown[], slice: number): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await db.query(
      `DELETE FROM telemetry_seen WHERE ctid IN (
         SELECT ctid FROM telemetry_seen WHERE received_at < $1 AND ts < $1 AND ${scope} LIMIT $2)`,
      params,
    );
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < slice) return total;
  }
}
