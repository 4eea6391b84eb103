import { eventKey, type Queryable } from '../db.js';
import { type ContextRow, contextKey, type DeviceContext, toContext } from './context.js';
import type { SeenCandidate, SeenMark } from './seen.js';

export interface Claim {
  /** Every device of the candidates (registry, type, binding and state), read before this batch's writes. */
  contexts: Map<string, DeviceContext>;
  /** Keys (eventKey) of the candidates marked seen by this call: the first-seen events. */
  fresh: Set<string>;
  /** The marks that were already there, for the candidates not marked by this call. */
  marks: Map<string, SeenMark>;
}

/**
 * The devices' contexts + insertSeen + loadSeen (of the candidates already seen) in ONE statement, one
 * round trip instead of three (#23). A candidate of a registered device that belongs to another
 * tenant (or to none) is not marked: the caller dead-letters it from its context. The sub-statements
 * share one snapshot, so the marks read are those from before this insert: the ones the candidates
 * that were not new collided with. Candidates must be unique by key.
 */
export async function claimEvents(db: Queryable, candidates: readonly SeenCandidate[]): Promise<Claim> {
  const claim: Claim = { contexts: new Map(), fresh: new Set(), marks: new Map() };
  if (candidates.length === 0) return claim;
  const devices = new Map<string, { tenantId: string; deviceId: string }>();
  for (const c of candidates) devices.set(contextKey(c.tenantId, c.deviceId), c);
  const { rows } = await db.query<{
    contexts: ContextJson[] | null;
    fresh: string[][] | null;
    marks: MarkJson[] | null;
  }>(
    `WITH k AS (
       SELECT * FROM unnest($1::uuid[], $2::text[]) AS k(tenant_id, device_id)
     ),
     ctx AS (
       SELECT k.tenant_id, k.device_id, d.id IS NOT NULL AS known, d.tenant_id AS device_tenant,
              coalesce(b.asset_id, d.asset_id) AS asset_id, dt.deadband, s.last_ts, s.deadband_ref
       FROM k
       LEFT JOIN devices d ON d.id = k.device_id
       LEFT JOIN device_types dt ON dt.tenant_id = d.tenant_id AND dt.name = d.device_type
       LEFT JOIN device_bindings b ON b.device_id = k.device_id AND b.unbound_at IS NULL
       LEFT JOIN device_state s ON s.tenant_id = k.tenant_id AND s.device_id = k.device_id
     ),
     c AS (
       SELECT * FROM unnest($3::uuid[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::int[],
                            $9::bigint[], $10::bool[], $11::text[])
         AS c(tenant_id, device_id, event_id, ts, received_at, src_partition, src_offset, late, fingerprint)
     ),
     ins AS (
       INSERT INTO telemetry_seen (tenant_id, device_id, event_id, ts, received_at, src_partition, src_offset, late,
                                   fingerprint)
       SELECT c.* FROM c
       WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = c.device_id AND d.tenant_id IS DISTINCT FROM c.tenant_id)
       ON CONFLICT (tenant_id, device_id, event_id) DO NOTHING
       RETURNING tenant_id, device_id, event_id
     ),
     marks AS (
       SELECT s.tenant_id, s.device_id, s.event_id, s.fingerprint, s.src_partition, s.src_offset::text AS src_offset, s.late
       FROM c JOIN telemetry_seen s ON s.tenant_id = c.tenant_id AND s.device_id = c.device_id AND s.event_id = c.event_id
       -- a one-time filter: when every candidate was new (the usual batch) the join is never run
       WHERE (SELECT count(*) FROM ins) < cardinality($3::uuid[])
         AND NOT EXISTS (SELECT 1 FROM ins i WHERE i.tenant_id = c.tenant_id AND i.device_id = c.device_id
                                             AND i.event_id = c.event_id)
     )
     SELECT (SELECT jsonb_agg(ctx) FROM ctx) AS contexts,
            (SELECT jsonb_agg(jsonb_build_array(tenant_id, device_id, event_id)) FROM ins) AS fresh,
            (SELECT jsonb_agg(marks) FROM marks) AS marks`,
    [
      [...devices.values()].map((d) => d.tenantId),
      [...devices.values()].map((d) => d.deviceId),
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
  const r = rows[0];
  for (const c of r?.contexts ?? []) {
    claim.contexts.set(
      contextKey(c.tenant_id, c.device_id),
      toContext({ ...c, last_ts: c.last_ts === null ? null : new Date(c.last_ts) }),
    );
  }
  for (const [t, d, e] of r?.fresh ?? []) claim.fresh.add(eventKey(t as string, d as string, e as string));
  for (const m of r?.marks ?? []) {
    claim.marks.set(eventKey(m.tenant_id, m.device_id, m.event_id), {
      fingerprint: m.fingerprint,
      srcPartition: m.src_partition,
      srcOffset: m.src_offset,
      late: m.late,
    });
  }
  return claim;
}

/** A device's context as the claim statement's JSON carries it: the timestamptz as text. */
type ContextJson = Omit<ContextRow, 'last_ts'> & { last_ts: string | null };

interface MarkJson {
  tenant_id: string;
  device_id: string;
  event_id: string;
  fingerprint: string | null;
  src_partition: number;
  src_offset: string;
  late: boolean;
}
