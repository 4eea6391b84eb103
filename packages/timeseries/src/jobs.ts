import type { Queryable } from './db.js';

/** A TimescaleDB job whose last run failed. */
export interface JobFailure {
  jobId: number;
  proc: string;
  hypertable: string | null;
  /** The error of the failed run, when TimescaleDB kept it (job_history) or our run saw it. */
  error: string | null;
  /** When it failed (ISO), when known. */
  at: string | null;
  /** `scheduler`: the server's background scheduler failed it; `maintenance`: our own run did. */
  seenBy: 'scheduler' | 'maintenance';
}

export interface JobRun {
  jobId: number;
  proc: string;
  ok: boolean;
  error?: string;
  ms: number;
}

export interface JobsReport {
  /** Scheduled jobs seen. */
  jobs: number;
  /** Jobs failing after this pass (a job our run repaired is no longer listed). */
  failing: JobFailure[];
  /** Jobs whose last run by the server's scheduler failed (whether or not our run repaired them). */
  schedulerFailures: JobFailure[];
  /** The runs this pass made (CALL run_job). */
  ran: JobRun[];
}

export interface WatchJobsOptions {
  /**
   * The server runs TimescaleDB's background scheduler: only jobs it failed are run here. Without
   * one (the embedded PGlite build has no background workers), every scheduled job is run here,
   * once per pass: this pass IS the scheduler.
   */
  scheduler: boolean;
}

interface JobRow {
  job_id: number;
  proc_name: string;
  hypertable_name: string | null;
  last_run_status: string | null;
  last_run_started_at: Date | null;
}

/**
 * Reads TimescaleDB's job status (job_stats, and job_history for the error text) and runs the
 * failed jobs itself. Why: on a TimescaleDB 2.28 server over PostgreSQL 15.20 every scheduled job
 * failed with `cannot drop portal "" while it is being set up` while `CALL run_job` from a session
 * worked, and nobody noticed: compression and retention had silently stopped (#16).
 */
export async function watchJobs(db: Queryable, opts: WatchJobsOptions): Promise<JobsReport> {
  const { rows: jobs } = await db.query<JobRow>(
    `SELECT j.job_id, j.proc_name, j.hypertable_name, s.last_run_status, s.last_run_started_at
       FROM timescaledb_information.jobs j
       LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
      WHERE j.scheduled
      ORDER BY j.job_id`,
  );
  const history = await lastRuns(db);
  const failedByScheduler = new Map<number, JobFailure>();
  for (const job of jobs) {
    const last = history.get(job.job_id);
    const failed = last ? !last.succeeded : job.last_run_status === 'Failed';
    if (!failed) continue;
    failedByScheduler.set(job.job_id, {
      jobId: job.job_id,
      proc: job.proc_name,
      hypertable: job.hypertable_name,
      error: last?.err_message ?? null,
      at: iso(last?.finish_time ?? job.last_run_started_at),
      seenBy: 'scheduler',
    });
  }

  const ran: JobRun[] = [];
  const failing: JobFailure[] = [];
  for (const job of jobs) {
    const schedulerFailure = failedByScheduler.get(job.job_id);
    if (opts.scheduler && !schedulerFailure) continue;
    const started = performance.now();
    try {
      await db.query(`CALL run_job(${Number(job.job_id)})`);
      ran.push({ jobId: job.job_id, proc: job.proc_name, ok: true, ms: Math.round(performance.now() - started) });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      ran.push({
        jobId: job.job_id,
        proc: job.proc_name,
        ok: false,
        error,
        ms: Math.round(performance.now() - started),
      });
      failing.push(
        schedulerFailure ?? {
          jobId: job.job_id,
          proc: job.proc_name,
          hypertable: job.hypertable_name,
          error,
          at: new Date().toISOString(),
          seenBy: 'maintenance',
        },
      );
    }
  }
  return { jobs: jobs.length, failing, schedulerFailures: [...failedByScheduler.values()], ran };
}

/** The newest job_history entry per job; job_history exists from TimescaleDB 2.15 on. */
async function lastRuns(
  db: Queryable,
): Promise<Map<number, { succeeded: boolean; err_message: string | null; finish_time: Date | null }>> {
  try {
    const { rows } = await db.query<{
      job_id: number;
      succeeded: boolean;
      err_message: string | null;
      finish_time: Date | null;
    }>(
      `SELECT DISTINCT ON (job_id) job_id, succeeded, err_message, finish_time
         FROM timescaledb_information.job_history ORDER BY job_id, id DESC`,
    );
    return new Map(rows.map((r) => [r.job_id, r]));
  } catch {
    return new Map(); // older TimescaleDB: job_stats' last_run_status alone
  }
}

function iso(value: Date | null | undefined): string | null {
  return value ? new Date(value).toISOString() : null;
}
