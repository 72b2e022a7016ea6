/**
 * The job queue's SQL (graphile-worker's schema `graphile_worker`, installed by `migrateQueue`).
 * Jobs are added with its SQL function on the caller's connection, so a job enqueued inside a
 * transaction exists exactly when that transaction commits.
 */
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { DbOrTx } from '../db/client.js';

/** Serialises the queue's schema migrations across instances starting at once. */
const QUEUE_MIGRATION_LOCK = 7021848824;

export type AddJob = {
  task: string;
  payload: Record<string, unknown>;
  /** Seconds from now (database time) before the job may run. */
  delaySeconds?: number | undefined;
  /** At most one waiting job per key: adding again replaces the waiting one (a running one is left alone). */
  jobKey?: string | undefined;
  maxAttempts?: number | undefined;
  /** Jobs of one named queue run one at a time (e.g. one school's image copies). */
  queueName?: string | undefined;
  /** Lower runs first; default 0. */
  priority?: number | undefined;
};

export async function addJob(db: DbOrTx, job: AddJob): Promise<void> {
  await db.execute(sql`SELECT graphile_worker.add_job(
    identifier => ${job.task},
    payload => ${JSON.stringify(job.payload)}::json,
    run_at => now() + make_interval(secs => ${job.delaySeconds ?? 0}),
    max_attempts => ${job.maxAttempts ?? 25}::int,
    job_key => ${job.jobKey ?? null}::text,
    job_key_mode => 'replace',
    queue_name => ${job.queueName ?? null}::text,
    priority => ${job.priority ?? 0}::int
  )`);
}

/** Many jobs in one statement (graphile_worker.add_jobs); a job_key replaces a waiting job with that key. */
export async function addJobs(db: DbOrTx, jobs: AddJob[]): Promise<void> {
  const specs = JSON.stringify(
    jobs.map((j) => ({
      identifier: j.task,
      payload: j.payload,
      delay: j.delaySeconds ?? 0,
      max_attempts: j.maxAttempts ?? 25,
      job_key: j.jobKey ?? null,
      queue_name: j.queueName ?? null,
      priority: j.priority ?? 0,
    })),
  );
  await db.execute(sql`SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(
    SELECT ROW(s.identifier, s.payload, s.queue_name, now() + make_interval(secs => s.delay), s.max_attempts, s.job_key, s.priority, NULL)::graphile_worker.job_spec
      FROM json_to_recordset(${specs}::json)
        AS s(identifier text, payload json, delay float8, max_attempts int, job_key text, queue_name text, priority int)))`);
}

/** Runs `work` while holding a session advisory lock on a connection of its own. */
export async function withQueueMigrationLock<T>(pool: pg.Pool, work: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [QUEUE_MIGRATION_LOCK]);
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [QUEUE_MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** Jobs waiting or running, by task (tests and the bench wait for the queue to drain). */
export async function countJobs(db: DbOrTx, task?: string): Promise<number> {
  const rows = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM graphile_worker.jobs
    WHERE ${task ?? null}::text IS NULL OR task_identifier = ${task ?? null}::text`);
  return rows.rows[0]?.n ?? 0;
}
