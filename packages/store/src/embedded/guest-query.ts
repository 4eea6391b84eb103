import { backend, backendMessages, dataRowFields, errorFields, frontend } from './frames.js';
import type { RawExec, Session } from './session.js';

export interface GuestLimits {
  /** Rows sent back per statement; the rest is cut (a notice says so). */
  maxRows: number;
  /** Planner cost above which a statement is refused before it runs (see below). */
  maxCost: number;
  /** How long to wait for the stack to be between transactions. */
  waitMs: number;
}

/**
 * PGlite runs a statement synchronously on the event loop the whole stack shares, and its wasm
 * build has no timer signal: `statement_timeout` never fires (measured: pg_sleep(3) ran 3 s under
 * a 500 ms timeout). Nothing can stop a statement once it runs, so what could run long is refused
 * BEFORE it runs: statements that can wait or loop without the planner knowing, and any whose
 * estimated cost is above `maxCost`. Writes are refused by the READ ONLY transaction, which is
 * always rolled back (so SET and the like do not outlive the statement either).
 */
const REFUSED: [RegExp, string][] = [
  [/pg_sleep/i, 'sleeping'],
  [/\brecursive\b/i, 'recursive queries (their cost is unknown to the planner)'],
];

/** Statements EXPLAIN cannot take that are still safe to run as they are. */
const UNPLANNED = /^\s*(show\b|explain\b(?![\s\S]*\banaly[sz]e\b))/i;

type Reply = Buffer[];

/** One statement for a person's SQL client: its reply messages (no ReadyForQuery). */
export async function runGuestStatement(session: Session, sql: string, limits: GuestLimits): Promise<Reply> {
  for (const [pattern, what] of REFUSED) {
    if (pattern.test(sql))
      return [refusal(`the embedded SQL access refuses ${what}: it shares the stack's one session`)];
  }
  return session.guest(async (raw) => {
    await raw(frontend.query("BEGIN READ ONLY; SET LOCAL statement_timeout = '5s'"));
    try {
      if (!UNPLANNED.test(sql)) {
        const gate = await plannedCost(raw, sql);
        if ('error' in gate) return gate.error;
        if (gate.cost > limits.maxCost) {
          return [
            refusal(
              `estimated cost ${Math.round(gate.cost)} is above the embedded SQL access's limit ${limits.maxCost}: ` +
                'narrow the query (WHERE on tenant_id/device_id and a time range, LIMIT)',
            ),
          ];
        }
        // the EXPLAIN ran in the same transaction: no rollback needed between the two
      }
      return await execute(raw, sql, limits.maxRows);
    } finally {
      await raw(frontend.query('ROLLBACK'));
    }
  }, limits.waitMs);
}

async function plannedCost(raw: RawExec, sql: string): Promise<{ cost: number } | { error: Reply }> {
  const messages = await extended(raw, `EXPLAIN (FORMAT JSON) ${sql}`, 0);
  const error = messages.find((m) => m.type === 'E');
  if (error) {
    if (errorFields(error.body).code !== '42601') return { error: [error.bytes] };
    // A syntax error: either the statement is one EXPLAIN does not take (COPY, DO, CALL, SET,
    // transaction control...) or it is wrong by itself; parsing it alone tells which.
    await raw(frontend.query('ROLLBACK; BEGIN READ ONLY'));
    const own = [];
    for (const message of [frontend.parse(sql), frontend.sync()]) own.push(...backendMessages(await raw(message)));
    const ownError = own.find((m) => m.type === 'E');
    if (ownError) return { error: [ownError.bytes] };
    return { error: [refusal('the embedded SQL access runs queries only (SELECT, TABLE, VALUES, SHOW, EXPLAIN)')] };
  }
  const row = messages.find((m) => m.type === 'D');
  try {
    const plan = JSON.parse(row ? (dataRowFields(row.body)[0] ?? '[]') : '[]') as {
      Plan?: { 'Total Cost'?: number };
    }[];
    return { cost: plan[0]?.Plan?.['Total Cost'] ?? Number.POSITIVE_INFINITY };
  } catch {
    return { cost: Number.POSITIVE_INFINITY };
  }
}

async function execute(raw: RawExec, sql: string, maxRows: number): Promise<Reply> {
  const out: Reply = [];
  let rows = 0;
  for (const m of await extended(raw, sql, maxRows)) {
    if (m.type === 'D') rows++;
    // PGlite logs each Parse as a DEBUG notice: not for the person's screen
    if (m.type === 'N' && m.body.subarray(0, 6).toString('latin1') === 'SDEBUG') continue;
    if ('TDCEIN'.includes(m.type)) out.push(m.bytes);
    if (m.type === 's') {
      // PortalSuspended: more rows than maxRows
      out.push(backend.error('01000', `result cut at ${maxRows} rows`, 'NOTICE', 'N'));
      out.push(backend.commandComplete(`SELECT ${rows}`));
    }
  }
  return out;
}

/** Parse/Bind/Describe/Execute/Sync: ONE statement (extended protocol refuses "a; b"). */
async function extended(raw: RawExec, sql: string, maxRows: number) {
  const messages = [];
  for (const message of [
    frontend.parse(sql),
    frontend.bind(),
    frontend.describePortal(),
    frontend.execute(maxRows),
    frontend.sync(),
  ]) {
    for (const m of backendMessages(await raw(message))) messages.push(m);
  }
  return messages;
}

function refusal(message: string): Buffer {
  return backend.error('42501', message);
}
