/**
 * The workers of one process: WORKERS jobs at a time from the shared queue, plus the schedules.
 * Started by `npm start` (unless WORKERS=0) and by `syllabus worker`; any number of processes may
 * run them against one database — each job is locked by one worker while it runs.
 */
import { run } from 'graphile-worker';
import type { Database } from '../db/client.js';
import type { Services } from '../services.js';
import { type JobLog, queueLogger } from './logger.js';
import { cronItems } from './schedules.js';
import { buildTaskList } from './tasks.js';

export type Workers = { stop(): Promise<void> };

export async function startWorkers({
  database,
  services,
  concurrency,
  log,
  pollIntervalMs = 2000,
}: {
  database: Database;
  services: Services;
  concurrency: number;
  log: JobLog;
  /** New jobs arrive by LISTEN/NOTIFY; polling only finds jobs whose delay has passed. */
  pollIntervalMs?: number;
}): Promise<Workers> {
  const runner = await run({
    pgPool: database.pool,
    concurrency,
    pollInterval: pollIntervalMs,
    noHandleSignals: true,
    logger: queueLogger(log),
    taskList: buildTaskList({ db: database.db, services, log }),
    parsedCronItems: cronItems(),
  });
  let stopping: Promise<void> | undefined;
  return {
    // Waits for running jobs to end; their locks are released for other workers. Once only.
    stop: () => (stopping ??= runner.stop()),
  };
}
