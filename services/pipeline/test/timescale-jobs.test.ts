import { Writable } from 'node:stream';
import { createLogger, createRegistry } from '@telemetry/observability';
import { createTestStore, type TestStore, waitFor } from '@telemetry/testing';
import { watchJobs } from '@telemetry/timeseries';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMaintenance } from '../src/maintenance.js';

// Issue 16: on a TimescaleDB server whose scheduler failed every job, compression and retention
// stopped unnoticed (the errors were only in job_history). The embedded PGlite build has
// TimescaleDB but no background workers; there the maintenance pass is the scheduler.
describe('TimescaleDB jobs watched by the maintenance pass (embedded TimescaleDB)', () => {
  let t: TestStore;
  const logs: string[] = [];
  const logger = createLogger({
    name: 'test',
    level: 'info',
    destination: new Writable({
      write(chunk, _enc, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  });

  beforeAll(async () => {
    t = await createTestStore('embedded');
    expect(t.store.capabilities.timescale).toBe(true);
    await t.store.pool.query(`
      CREATE TABLE job_switch (ok boolean NOT NULL);
      INSERT INTO job_switch VALUES (false);
      CREATE TABLE job_runs (at timestamptz NOT NULL DEFAULT now());
      CREATE PROCEDURE flaky_job(job_id int, config jsonb) LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO job_runs DEFAULT VALUES;
        IF NOT (SELECT ok FROM job_switch) THEN RAISE EXCEPTION 'flaky_job % failed on purpose', job_id; END IF;
      END $$;`);
  }, 120_000);

  afterAll(async () => {
    await t?.drop();
  });

  const runs = async () =>
    (await t.store.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM job_runs')).rows[0]?.n ?? 0;

  it('runs every job itself, shows a failing one in the metrics, the health and the log, and clears it once it runs again', async () => {
    const { rows } = await t.store.pool.query<{ id: number }>(`SELECT add_job('flaky_job', '1 hour') AS id`);
    const jobId = rows[0]?.id as number;
    const registry = createRegistry();
    const maintenance = createMaintenance({
      store: t.store,
      logger,
      registry,
      lateWindowMs: 7 * 86_400_000,
      intervalMs: 3_600_000,
      now: Date.now,
    });

    await maintenance.runOnce(); // a failing job does not fail the pass: it is reported on its own
    // its error (raised by the procedure, with its job id) is the proof the pass ran it: the
    // procedure's own insert was rolled back with the failure
    expect(await runs()).toBe(0);
    const failing = maintenance.health().failingJobs;
    expect(failing).toEqual([
      expect.objectContaining({
        jobId,
        proc: 'flaky_job',
        seenBy: 'maintenance',
        error: expect.stringMatching(/on purpose/),
      }),
    ]);
    let text = await registry.metrics();
    expect(text).toContain('timescaledb_jobs_failing 1');
    expect(text).toContain(`timescaledb_job_failed{job_id="${jobId}",proc="flaky_job",seen_by="maintenance"} 1`);
    expect(text).toContain('timescaledb_job_runs_total{proc="flaky_job",result="failed"} 1');
    // the pass ran TimescaleDB's own jobs and our policies too
    expect(text).toMatch(/timescaledb_job_runs_total\{proc="policy_compression",result="ok"\} [1-9]/);
    expect(logs.join('')).toMatch(
      new RegExp(`TimescaleDB job ${jobId} \\(flaky_job\\) failed: flaky_job ${jobId} failed on purpose`),
    );

    await t.store.pool.query('UPDATE job_switch SET ok = true');
    await maintenance.runOnce();
    expect(await runs()).toBe(1);
    expect(maintenance.health().failingJobs).toEqual([]);
    text = await registry.metrics();
    expect(text).toContain('timescaledb_jobs_failing 0');
    expect(text).toContain('timescaledb_job_runs_total{proc="flaky_job",result="ok"} 1');
    expect(text).not.toContain('proc="flaky_job",seen_by');
    await t.store.pool.query('SELECT delete_job($1)', [jobId]);
  }, 120_000);

  it("on a server, runs only the jobs its scheduler failed, with the scheduler's error text", async () => {
    await t.store.pool.query('UPDATE job_switch SET ok = true');
    const { rows } = await t.store.pool.query<{ id: number }>(`SELECT add_job('flaky_job', '1 hour') AS id`);
    const jobId = rows[0]?.id as number;
    const before = await runs();
    // what a server's scheduler leaves behind after a failed run (PGlite has no scheduler to do it):
    // the job's stats and its job_history entry, in TimescaleDB's own catalog tables
    await t.store.pool.query(
      `UPDATE _timescaledb_internal.bgw_job_stat
          SET last_start = now() - interval '1 minute', last_finish = now(), last_run_success = false,
              total_runs = 1, total_failures = 1, consecutive_failures = 1
        WHERE job_id = $1`,
      [jobId],
    );
    await t.store.pool.query(
      `INSERT INTO _timescaledb_internal.bgw_job_stat_history (job_id, pid, succeeded, execution_start, execution_finish, data)
       VALUES ($1, 4242, false, now() - interval '1 minute', now(),
               jsonb_build_object('error_data', jsonb_build_object('message', 'cannot drop portal "" while it is being set up', 'sqlerrcode', 'XX000')))`,
      [jobId],
    );

    const report = await watchJobs(t.store.pool, { scheduler: true });
    expect(report.schedulerFailures).toEqual([
      expect.objectContaining({
        jobId,
        proc: 'flaky_job',
        seenBy: 'scheduler',
        error: expect.stringMatching(/cannot drop portal/),
      }),
    ]);
    expect(report.ran).toEqual([expect.objectContaining({ jobId, ok: true })]);
    expect(report.failing).toEqual([]);
    expect(await runs()).toBe(before + 1);
  }, 120_000);

  it('retries a failed pass with backoff, logs and counts it, and clears it once a pass succeeds', async () => {
    const registry = createRegistry();
    const maintenance = createMaintenance({
      store: t.store,
      logger,
      registry,
      lateWindowMs: 7 * 86_400_000,
      intervalMs: 3_600_000,
      now: Date.now,
    });
    const { pool } = t.store;
    await pool.query(`INSERT INTO tenants (name) VALUES ('maintenance-retry') ON CONFLICT DO NOTHING`);
    await pool.query('ALTER TABLE rollup_1m RENAME TO rollup_1m_away'); // the tenants' rollup retention now fails
    try {
      await expect(maintenance.runOnce()).rejects.toThrow(/rollup_1m.*does not exist/);
      expect(await registry.metrics()).toContain('pipeline_maintenance_failures_total 1');
      expect(logs.join('')).toMatch(/pipeline maintenance failed; retrying with backoff/);
      maintenance.start(); // its first pass fails too and schedules a retry well before the hour
      await waitFor(() => maintenance.health().consecutiveFailures >= 2, { timeoutMs: 30_000 });
      const health = maintenance.health();
      const retryIn = Date.parse(health.nextRetryAt as string) - Date.now();
      expect(retryIn).toBeGreaterThan(0);
      expect(retryIn).toBeLessThanOrEqual(60_000); // 2nd failure: 1 min, not the 1 h interval
      expect(health.lastError).toMatch(/rollup_1m/);
    } finally {
      await pool.query('ALTER TABLE rollup_1m_away RENAME TO rollup_1m');
    }
    await maintenance.runOnce();
    expect(maintenance.health()).toMatchObject({ consecutiveFailures: 0, lastError: null, nextRetryAt: null });
    await maintenance.stop();
  }, 120_000);
});
