/**
 * The background job queue (API.md §3): graphile-worker on the application's own PostgreSQL.
 * Services enqueue inside their transactions (`enqueue(tx, …)`); workers (jobs/runner.ts) run the
 * jobs, in `npm start` or in `syllabus worker` processes. Each job is locked by one worker at a time
 * (SELECT … FOR UPDATE SKIP LOCKED); a job that throws is retried with exponential backoff.
 */
import { runMigrations } from 'graphile-worker';
import type pg from 'pg';
import type { DbOrTx } from '../db/client.js';
import { queueLogger } from './logger.js';
import { type AddJob, addJob, addJobs, withQueueMigrationLock } from './queue.repo.js';

/** Every task the workers know, by name (the names are stored in queued jobs: never rename one). */
export const TASKS = {
  /** One event → a delivery row and a delivery job per subscribed endpoint. */
  fanOut: 'events.fan_out',
  /** One attempt of one delivery. */
  deliver: 'webhooks.deliver',
  /** Scheduled: re-queues work a crashed worker left behind. */
  sweep: 'webhooks.sweep',
  /** Scheduled: events older than the retention. */
  purgeEvents: 'events.purge',
  /** Scheduled: Idempotency-Key rows older than 24 h. */
  purgeIdempotencyKeys: 'idempotency.purge',
  /** Copies an image URL (course, section or lesson) into media. */
  copyImage: 'media.copy_image',
  /** Scheduled: upload links that expired unused give their reservation back. */
  expireUploads: 'media.expire_uploads',
} as const;
export type TaskName = (typeof TASKS)[keyof typeof TASKS];

/** Adds a job on the caller's connection: inside a transaction it exists only if that commits. */
export function enqueue(db: DbOrTx, job: AddJob & { task: TaskName }): Promise<void> {
  return addJob(db, job);
}

/** Adds many jobs in one statement, on the caller's connection (nothing for an empty list). */
export async function enqueueMany(db: DbOrTx, jobs: (AddJob & { task: TaskName })[]): Promise<void> {
  if (jobs.length) await addJobs(db, jobs);
}

/** Installs or upgrades the queue's own schema (graphile_worker), one instance at a time. */
export async function migrateQueue(pool: pg.Pool): Promise<void> {
  await withQueueMigrationLock(pool, () => runMigrations({ pgPool: pool, logger: queueLogger(() => {}) }));
}
