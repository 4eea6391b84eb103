import { randomUUID } from 'node:crypto';
import type pg from 'pg';

type Db = Pick<pg.Pool, 'query'>;

/** The dispenser seed's shape, as rows of one fresh tenant. */
export interface DispenserTree {
  tenantId: string;
  /** The site `HQ`. */
  siteId: string;
  floorId: string;
  pantryId: string;
  /** A dispenser of type coffee, with the device bound to it. */
  dispenserId: string;
  deviceId: string;
  /** Makes the names unique across tests: `tenant-<suffix>`, `dev-<suffix>`, `<role>-<suffix>`. */
  suffix: string;
}

/**
 * Inserts with SQL (no API): a tenant with the site HQ, Floor 3 > Pantry East > Coffee 1 (a dispenser
 * of type coffee) and its active device `dev-<suffix>` (expected every `expectedIntervalS`, default 60).
 */
export async function seedDispenserTree(db: Db, opts: { expectedIntervalS?: number } = {}): Promise<DispenserTree> {
  const suffix = randomUUID().slice(0, 8);
  const tenantId = await insertId(db, 'INSERT INTO tenants (name) VALUES ($1) RETURNING id', [`tenant-${suffix}`]);
  const siteId = await insertId(db, 'INSERT INTO sites (tenant_id, name) VALUES ($1, $2) RETURNING id', [
    tenantId,
    'HQ',
  ]);
  const asset = (parent: string | null, type: string, name: string, attributes = {}) =>
    insertId(
      db,
      'INSERT INTO assets (tenant_id, site_id, parent_id, type, name, attributes) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id',
      [tenantId, siteId, parent, type, name, attributes],
    );
  const floorId = await asset(null, 'floor', 'Floor 3');
  const pantryId = await asset(floorId, 'pantry', 'Pantry East');
  const dispenserId = await asset(pantryId, 'dispenser', 'Coffee 1', { type: 'coffee' });
  const deviceId = `dev-${suffix}`;
  await db.query(
    `INSERT INTO devices (id, tenant_id, asset_id, name, state, expected_interval_s) VALUES ($1, $2, $3, $4, 'active', $5)`,
    [deviceId, tenantId, dispenserId, 'esp32 coffee 1', opts.expectedIntervalS ?? 60],
  );
  return { tenantId, siteId, floorId, pantryId, dispenserId, deviceId, suffix };
}

/** A user `<role>-<suffix>` of the tree's tenant (password hash `x`: it cannot sign in); returns its id. */
export function insertUser(db: Db, tree: Pick<DispenserTree, 'tenantId' | 'suffix'>, role: string): Promise<string> {
  return insertId(
    db,
    `INSERT INTO users (tenant_id, username, email, password_hash, role) VALUES ($1,$2,$3,'x',$4) RETURNING id`,
    [tree.tenantId, `${role}-${tree.suffix}`, `${role}-${tree.suffix}@example.test`, role],
  );
}

/** Runs an `INSERT … RETURNING id`; returns the id. */
export async function insertId(db: Db, sql: string, params: unknown[]): Promise<string> {
  return (await db.query<{ id: string }>(sql, params)).rows[0]?.id as string;
}
