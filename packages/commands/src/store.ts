import type pg from 'pg';

export type CommandStatus = 'queued' | 'sent' | 'delivered' | 'replied' | 'failed' | 'expired';

/** A command as the API shows it. */
export interface Command {
  id: string;
  tenantId: string;
  deviceId: string;
  name: string;
  params: Record<string, unknown>;
  expectReply: boolean;
  status: CommandStatus;
  expiresAt: string;
  createdBy: string | null;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  repliedAt: string | null;
  attempts: number;
  reply: unknown;
  error: string | null;
}

/** What the device receives on devices/{id}/commands (and from the HTTP long-poll): it dedupes on `id`. */
export interface CommandWire {
  id: string;
  name: string;
  params: Record<string, unknown>;
  expectReply: boolean;
  expiresAt: string;
}

export interface NewCommand {
  tenantId: string;
  deviceId: string;
  name: string;
  params: Record<string, unknown>;
  ttlS: number;
  expectReply: boolean;
  createdBy: string | null;
}

type Db = Pick<pg.ClientBase, 'query'>;

interface Row {
  id: string;
  tenant_id: string;
  device_id: string;
  name: string;
  params: Record<string, unknown>;
  expect_reply: boolean;
  status: CommandStatus;
  expires_at: Date;
  created_by: string | null;
  created_at: Date;
  sent_at: Date | null;
  delivered_at: Date | null;
  replied_at: Date | null;
  attempts: number;
  reply: unknown;
  error: string | null;
}

const COLUMNS = `id, tenant_id, device_id, name, params, expect_reply, status, expires_at, created_by, created_at,
  sent_at, delivered_at, replied_at, attempts, reply, error`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function present(r: Row): Command {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    deviceId: r.device_id,
    name: r.name,
    params: r.params,
    expectReply: r.expect_reply,
    status: r.status,
    expiresAt: r.expires_at.toISOString(),
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    sentAt: iso(r.sent_at),
    deliveredAt: iso(r.delivered_at),
    repliedAt: iso(r.replied_at),
    attempts: r.attempts,
    reply: r.reply,
    error: r.error,
  };
}

export function toWire(c: Pick<Command, 'id' | 'name' | 'params' | 'expectReply' | 'expiresAt'>): CommandWire {
  return { id: c.id, name: c.name, params: c.params, expectReply: c.expectReply, expiresAt: c.expiresAt };
}

/** Still to be delivered: queued or sent (no PUBACK yet), and before the deadline. */
const OPEN = `status IN ('queued', 'sent') AND expires_at > now()`;

/**
 * The commands table (0020). Every statement is bounded (a limit or a key) so it cannot hold the
 * single embedded session; tenant scoping is the caller's (`tenantId` null = a platform admin).
 */
export interface CommandStore {
  create(db: Db, c: NewCommand): Promise<Command>;
  get(tenantId: string | null, deviceId: string, id: string): Promise<Command | undefined>;
  list(tenantId: string | null, deviceId: string, limit: number): Promise<Command[]>;
  /** Open commands of these devices, oldest first; `queuedOnly` leaves out those already sent once. */
  open(deviceIds: string[], opts: { queuedOnly: boolean; limit: number }): Promise<Command[]>;
  markSent(ids: string[]): Promise<void>;
  /** The device PUBACKed (or fetched it over HTTP): final unless a reply is expected. */
  markDelivered(deviceId: string, id: string): Promise<boolean>;
  /** The device answered; refused (undefined) when it is not its command, already final, or expired. */
  reply(
    deviceId: string,
    id: string,
    r: { ok: boolean; result: unknown; error: string | null },
  ): Promise<Command | undefined>;
  /** Marks open commands past their deadline expired; how many. */
  expire(limit: number): Promise<number>;
}

export function createCommandStore(pool: Db): CommandStore {
  return {
    async create(db, c) {
      const { rows } = await db.query<Row>(
        `INSERT INTO device_commands (tenant_id, device_id, name, params, expect_reply, expires_at, created_by)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6), $7) RETURNING ${COLUMNS}`,
        [c.tenantId, c.deviceId, c.name, JSON.stringify(c.params), c.expectReply, c.ttlS, c.createdBy],
      );
      return present(rows[0] as Row);
    },

    async get(tenantId, deviceId, id) {
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM device_commands
         WHERE id = $1 AND device_id = $2 AND ($3::uuid IS NULL OR tenant_id = $3::uuid)`,
        [id, deviceId, tenantId],
      );
      return rows[0] ? present(rows[0]) : undefined;
    },

    async list(tenantId, deviceId, limit) {
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM device_commands
         WHERE device_id = $1 AND ($2::uuid IS NULL OR tenant_id = $2::uuid)
         ORDER BY created_at DESC LIMIT $3`,
        [deviceId, tenantId, limit],
      );
      return rows.map(present);
    },

    async open(deviceIds, { queuedOnly, limit }) {
      if (deviceIds.length === 0) return [];
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM device_commands
         WHERE device_id = ANY($1::text[]) AND ${OPEN} ${queuedOnly ? `AND status = 'queued'` : ''}
         ORDER BY created_at LIMIT $2`,
        [deviceIds, limit],
      );
      return rows.map(present);
    },

    async markSent(ids) {
      if (ids.length === 0) return;
      await pool.query(
        `UPDATE device_commands SET status = 'sent', sent_at = now(), attempts = attempts + 1
         WHERE id = ANY($1::uuid[]) AND ${OPEN}`,
        [ids],
      );
    },

    async markDelivered(deviceId, id) {
      const { rowCount } = await pool.query(
        `UPDATE device_commands SET status = 'delivered', delivered_at = now()
         WHERE id = $1 AND device_id = $2 AND ${OPEN}`,
        [id, deviceId],
      );
      return (rowCount ?? 0) > 0;
    },

    async reply(deviceId, id, r) {
      // a reply can overtake the PUBACK's update; it still counts (the device did get it)
      const { rows } = await pool.query<Row>(
        `UPDATE device_commands
         SET status = $3, replied_at = now(), delivered_at = coalesce(delivered_at, now()), reply = $4, error = $5
         WHERE id = $1 AND device_id = $2 AND status IN ('queued', 'sent', 'delivered') AND expires_at > now()
         RETURNING ${COLUMNS}`,
        [id, deviceId, r.ok ? 'replied' : 'failed', JSON.stringify(r.result ?? null), r.error],
      );
      return rows[0] ? present(rows[0]) : undefined;
    },

    async expire(limit) {
      const { rowCount } = await pool.query(
        `UPDATE device_commands SET status = 'expired'
         WHERE id IN (SELECT id FROM device_commands WHERE status IN ('queued', 'sent') AND expires_at <= now() LIMIT $1)`,
        [limit],
      );
      return rowCount ?? 0;
    },
  };
}
