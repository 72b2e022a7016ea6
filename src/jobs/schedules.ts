/**
 * Recurring jobs. graphile-worker's cron records each schedule's last run in the database, so a
 * tick runs once whatever the number of worker processes (and a missed tick is not made up).
 */
import { type CronItem, parseCronItems } from 'graphile-worker';
import { TASKS, type TaskName } from './queue.js';

type Schedule = { task: TaskName; match: string };

export const SCHEDULES: Schedule[] = [
  // Re-queues fan-outs and deliveries a crashed worker left behind.
  { task: TASKS.sweep, match: '* * * * *' },
  // Idempotency-Key rows past their 24 h (the claim ignores them already; this frees the space).
  { task: TASKS.purgeIdempotencyKeys, match: '17 * * * *' },
  // Events past the 30-day retention, with their deliveries.
  { task: TASKS.purgeEvents, match: '23 3 * * *' },
  // Upload links that expired unused give their reservation back (the quota ignores them already).
  { task: TASKS.expireUploads, match: '*/15 * * * *' },
];

export function cronItems() {
  return parseCronItems(
    SCHEDULES.map(
      (s): CronItem => ({
        task: s.task,
        match: s.match,
        identifier: s.task,
        options: { backfillPeriod: 0, maxAttempts: 3 },
      }),
    ),
  );
}
