import type { Principal } from '@telemetry/auth';
import type pg from 'pg';
import { notFound, tenantWhere } from '../scope.js';

type Db = Pick<pg.ClientBase, 'query'>;

/** Bytes per stored chunk: a range read touches only the chunks it covers, one query each. */
export const CHUNK_BYTES = 256 * 1024;

export interface ImageRow {
  id: string;
  tenant_id: string;
  device_type: string;
  version: string;
  size: string;
  sha256: string;
  chunk_size: number;
  notes: string;
  created_by: string | null;
  created_at: Date;
}

const IMAGE_COLUMNS =
  'i.id, i.tenant_id, i.device_type, i.version, i.size, i.sha256, i.chunk_size, i.notes, i.created_by, i.created_at';

export function presentImage(r: ImageRow) {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    deviceType: r.device_type,
    version: r.version,
    size: Number(r.size),
    sha256: r.sha256,
    notes: r.notes,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
  };
}

export async function insertImage(
  db: Db,
  i: {
    tenantId: string;
    deviceType: string;
    version: string;
    size: number;
    sha256: string;
    notes: string;
    createdBy: string;
  },
): Promise<ImageRow | undefined> {
  const { rows } = await db.query<ImageRow>(
    `INSERT INTO firmware_images AS i (tenant_id, device_type, version, size, sha256, chunk_size, notes, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (tenant_id, device_type, version) DO NOTHING
     RETURNING ${IMAGE_COLUMNS}`,
    [i.tenantId, i.deviceType, i.version, i.size, i.sha256, CHUNK_BYTES, i.notes, i.createdBy],
  );
  return rows[0];
}

export async function insertChunk(db: Db, imageId: string, seq: number, data: Buffer): Promise<void> {
  await db.query('INSERT INTO firmware_chunks (image_id, seq, data) VALUES ($1, $2, $3)', [imageId, seq, data]);
}

/** `len` bytes of chunk `seq` from `offset` in it: never more than one chunk per query. */
export async function readChunk(db: Db, imageId: string, seq: number, offset: number, len: number): Promise<Buffer> {
  const { rows } = await db.query<{ data: Buffer }>(
    'SELECT substring(data FROM $3 FOR $4) AS data FROM firmware_chunks WHERE image_id = $1 AND seq = $2',
    [imageId, seq, offset + 1, len],
  );
  if (!rows[0]) throw new Error(`firmware image ${imageId} has no chunk ${seq}`);
  return rows[0].data;
}

export async function listImages(db: Db, p: Principal, deviceType: string | undefined, limit: number) {
  const params: unknown[] = [];
  const where = [tenantWhere(p, 'i.tenant_id', params)];
  if (deviceType) {
    params.push(deviceType);
    where.push(`i.device_type = $${params.length}`);
  }
  params.push(limit);
  const { rows } = await db.query<ImageRow>(
    `SELECT ${IMAGE_COLUMNS} FROM firmware_images i WHERE ${where.join(' AND ')}
      ORDER BY i.created_at DESC, i.id LIMIT $${params.length}`,
    params,
  );
  return rows;
}

export async function getImage(db: Db, p: Principal, id: string): Promise<ImageRow> {
  const params: unknown[] = [id];
  const { rows } = await db.query<ImageRow>(
    `SELECT ${IMAGE_COLUMNS} FROM firmware_images i WHERE i.id = $1 AND ${tenantWhere(p, 'i.tenant_id', params)}`,
    params,
  );
  if (!rows[0]) throw notFound('firmware image');
  return rows[0];
}

/** Rollouts of the image that devices may still be downloading (not expired, a device not final). */
export async function openRolloutsOf(db: Db, imageId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM firmware_rollouts r
      WHERE r.image_id = $1 AND r.expires_at > now()
        AND EXISTS (SELECT 1 FROM firmware_rollout_devices rd
                     WHERE rd.rollout_id = r.id AND rd.state NOT IN ('updated', 'failed'))`,
    [imageId],
  );
  return rows[0]?.n ?? 0;
}

export interface TargetDevice {
  id: string;
  firmware: string | null;
}

/** The tenant's devices of the image's type that take commands (not revoked): the named ones, or all of the type. */
export async function targetDevices(
  db: Db,
  tenantId: string,
  deviceType: string,
  ids: string[] | undefined,
  limit: number,
): Promise<TargetDevice[]> {
  const params: unknown[] = [tenantId, deviceType, limit];
  const only = ids ? `AND id = ANY($${params.push(ids)}::text[])` : '';
  const { rows } = await db.query<TargetDevice>(
    `SELECT id, firmware FROM devices WHERE tenant_id = $1 AND device_type = $2 AND state <> 'revoked' ${only}
      ORDER BY id LIMIT $3`,
    params,
  );
  return rows;
}

export async function insertRollout(
  db: Db,
  r: { tenantId: string; image: ImageRow; ttlS: number; createdBy: string },
): Promise<{ id: string }> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO firmware_rollouts (tenant_id, image_id, device_type, version, sha256, size, expires_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7), $8) RETURNING id`,
    [r.tenantId, r.image.id, r.image.device_type, r.image.version, r.image.sha256, r.image.size, r.ttlS, r.createdBy],
  );
  return rows[0] as { id: string };
}

export async function insertRolloutDevice(
  db: Db,
  d: { rolloutId: string; deviceId: string; tenantId: string; commandId: string; fromVersion: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO firmware_rollout_devices (rollout_id, device_id, tenant_id, command_id, from_version)
     VALUES ($1, $2, $3, $4, $5)`,
    [d.rolloutId, d.deviceId, d.tenantId, d.commandId, d.fromVersion],
  );
}

/**
 * A device's state as the rollout shows it: what the device reported, except that a pending one
 * whose firmware_update command reached it is notified, and one not finished when the rollout
 * expired (or whose command expired undelivered) is failed.
 */
const EFFECTIVE_STATE = `CASE
    WHEN rd.state IN ('updated', 'failed') THEN rd.state
    WHEN r.expires_at <= now() OR c.status IN ('failed', 'expired') THEN 'failed'
    WHEN rd.state = 'pending' AND c.status IN ('sent', 'delivered', 'replied') THEN 'notified'
    ELSE rd.state END`;
const EFFECTIVE_ERROR = `CASE
    WHEN rd.state IN ('updated', 'failed') THEN rd.error
    WHEN r.expires_at <= now() THEN 'the rollout expired before the device finished'
    WHEN c.status IN ('failed', 'expired') THEN 'the firmware_update command did not reach the device'
    ELSE rd.error END`;
const COMMAND_JOIN = 'LEFT JOIN device_commands c ON c.id = rd.command_id';

export interface RolloutRow {
  id: string;
  tenant_id: string;
  image_id: string | null;
  device_type: string;
  version: string;
  sha256: string;
  size: string;
  expires_at: Date;
  created_by: string | null;
  created_at: Date;
  expired: boolean;
  /** A device has not reported a final state (it may have been given up on by expiry). */
  open: boolean;
  summary: Record<string, number> | null;
}

const ROLLOUT_SELECT = `SELECT r.id, r.tenant_id, r.image_id, r.device_type, r.version, r.sha256, r.size, r.expires_at,
    r.created_by, r.created_at, r.expires_at <= now() AS expired,
    EXISTS (SELECT 1 FROM firmware_rollout_devices o WHERE o.rollout_id = r.id AND o.state NOT IN ('updated', 'failed')) AS open,
    (SELECT jsonb_object_agg(s.state, s.n) FROM (
       SELECT ${EFFECTIVE_STATE} AS state, count(*)::int AS n FROM firmware_rollout_devices rd ${COMMAND_JOIN}
        WHERE rd.rollout_id = r.id GROUP BY 1) s) AS summary
  FROM firmware_rollouts r`;

export async function listRollouts(db: Db, p: Principal, limit: number): Promise<RolloutRow[]> {
  const params: unknown[] = [];
  const where = tenantWhere(p, 'r.tenant_id', params);
  params.push(limit);
  const { rows } = await db.query<RolloutRow>(
    `${ROLLOUT_SELECT} WHERE ${where} ORDER BY r.created_at DESC, r.id LIMIT $${params.length}`,
    params,
  );
  return rows;
}

export async function getRollout(db: Db, p: Principal, id: string): Promise<RolloutRow> {
  const params: unknown[] = [id];
  const { rows } = await db.query<RolloutRow>(
    `${ROLLOUT_SELECT} WHERE r.id = $1 AND ${tenantWhere(p, 'r.tenant_id', params)}`,
    params,
  );
  if (!rows[0]) throw notFound('rollout');
  return rows[0];
}

export interface RolloutDeviceRow {
  device_id: string;
  state: string;
  from_version: string | null;
  bytes: string;
  downloads: number;
  error: string | null;
  command_id: string | null;
  updated_at: Date;
  finished_at: Date | null;
}

export async function rolloutDevices(db: Db, rolloutId: string, limit: number): Promise<RolloutDeviceRow[]> {
  const { rows } = await db.query<RolloutDeviceRow>(
    `SELECT rd.device_id, ${EFFECTIVE_STATE} AS state, rd.from_version, rd.bytes, rd.downloads,
            ${EFFECTIVE_ERROR} AS error, rd.command_id, rd.updated_at, rd.finished_at
       FROM firmware_rollouts r JOIN firmware_rollout_devices rd ON rd.rollout_id = r.id ${COMMAND_JOIN}
      WHERE r.id = $1 ORDER BY rd.device_id LIMIT $2`,
    [rolloutId, limit],
  );
  return rows;
}

export interface DownloadRow {
  image_id: string | null;
  size: string;
  sha256: string;
  chunk_size: number;
  version: string;
  expired: boolean;
  state: string;
}

/** What a device may download: its own row of the rollout, in its own tenant (else none). */
export async function downloadOf(
  db: Db,
  rolloutId: string,
  deviceId: string,
  tenantId: string,
): Promise<DownloadRow | undefined> {
  const { rows } = await db.query<DownloadRow>(
    `SELECT r.image_id, r.size, r.sha256, i.chunk_size, r.version, r.expires_at <= now() AS expired, rd.state
       FROM firmware_rollout_devices rd JOIN firmware_rollouts r ON r.id = rd.rollout_id
       LEFT JOIN firmware_images i ON i.id = r.image_id
      WHERE rd.rollout_id = $1 AND rd.device_id = $2 AND rd.tenant_id = $3 AND r.tenant_id = $3`,
    [rolloutId, deviceId, tenantId],
  );
  return rows[0];
}

/** A download request: counted, and a device that had not said so yet is downloading. */
export async function noteDownload(db: Db, rolloutId: string, deviceId: string): Promise<void> {
  await db.query(
    `UPDATE firmware_rollout_devices
        SET downloads = downloads + 1, updated_at = now(),
            state = CASE WHEN state IN ('pending', 'notified') THEN 'downloading' ELSE state END
      WHERE rollout_id = $1 AND device_id = $2`,
    [rolloutId, deviceId],
  );
}
