import type pg from 'pg';

export interface Recipient {
  email: string;
  name: string;
  cooldownS: number;
}

/**
 * Who is emailed about an alert: notification_recipients of its rule, and of its asset and every
 * ancestor (a recipient on a floor hears about every dispenser on it). An address listed more than
 * once is mailed once, with the shortest cooldown among its entries.
 */
export async function alertRecipients(
  pool: pg.Pool,
  ref: { tenantId: string; ruleId: string | null; assetId: string | null },
): Promise<Recipient[]> {
  const { rows } = await pool.query<{ email: string; name: string; cooldown_s: number }>(
    `WITH RECURSIVE chain AS (
       SELECT id, parent_id, 0 AS depth FROM assets WHERE id = $3 AND tenant_id = $1
       UNION ALL
       SELECT p.id, p.parent_id, c.depth + 1 FROM assets p JOIN chain c ON p.id = c.parent_id WHERE c.depth < 32
     )
     SELECT lower(email) AS email, max(name) AS name, min(cooldown_s) AS cooldown_s
     FROM notification_recipients
     WHERE tenant_id = $1 AND (rule_id = $2 OR asset_id IN (SELECT id FROM chain))
     GROUP BY lower(email)
     ORDER BY 1`,
    [ref.tenantId, ref.ruleId, ref.assetId],
  );
  return rows.map((r) => ({ email: r.email, name: r.name, cooldownS: r.cooldown_s }));
}

/** A task's assignees that have an email address. */
export async function taskRecipients(pool: pg.Pool, tenantId: string, userIds: string[]): Promise<Recipient[]> {
  if (userIds.length === 0) return [];
  const { rows } = await pool.query<{ email: string; name: string }>(
    `SELECT DISTINCT lower(email) AS email, trim(first_name || ' ' || last_name) AS name FROM users
     WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND email IS NOT NULL AND email <> '' ORDER BY 1`,
    [tenantId, userIds],
  );
  return rows.map((r) => ({ email: r.email, name: r.name, cooldownS: 0 }));
}
