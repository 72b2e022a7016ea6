/**
 * What each job does: a thin layer from a queued payload to a service call (like an operation is
 * for a request). Payloads are checked: a job queued by an older version must fail loudly, not
 * half-run.
 */
import type { Task, TaskList } from 'graphile-worker';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { requestContext, SYSTEM_ACTOR } from '../lib/request-context.js';
import { EVENT_RETENTION_DAYS } from '../modules/events/events.schemas.js';
import type { Services } from '../services.js';
import type { JobLog } from './logger.js';
import { purgeEvents, purgeIdempotencyKeys, staleDeliveries, staleFanOuts } from './maintenance.repo.js';
import { enqueue, TASKS, type TaskName } from './queue.js';

export type JobDeps = { db: Db; services: Services; log: JobLog };

/** One event (queued by the sweep) or the events one statement wrote (events.recordMany). */
const FanOutPayload = z.union([
  z.object({ schoolId: z.string(), eventId: z.string() }),
  z.object({ schoolId: z.string(), eventIds: z.array(z.string()).min(1) }),
]);
const DeliverPayload = z.object({ schoolId: z.string(), deliveryId: z.string() });
const CopyImagePayload = z.object({
  schoolId: z.string(),
  target: z.object({ type: z.enum(['course', 'section', 'lesson']), id: z.string() }),
  url: z.string(),
});

/** Work left this long after it was due is taken as lost with a crashed worker and queued again. */
const STALE_AFTER_SECONDS = 60;
const SWEEP_BATCH = 500;

export function buildTaskList({ db, services, log }: JobDeps): TaskList {
  const tasks: Record<TaskName, Task> = {
    [TASKS.fanOut]: async (payload) => {
      const job = FanOutPayload.parse(payload);
      // Each event in its own transaction: a retry skips those already fanned out.
      for (const eventId of 'eventId' in job ? [job.eventId] : job.eventIds)
        await services.webhooks.fanOut(job.schoolId, eventId);
    },
    [TASKS.deliver]: async (payload) => {
      const { schoolId, deliveryId } = DeliverPayload.parse(payload);
      await services.webhooks.deliver(schoolId, deliveryId);
    },
    [TASKS.sweep]: async () => {
      for (const e of await staleFanOuts(db, STALE_AFTER_SECONDS, SWEEP_BATCH)) {
        await enqueue(db, {
          task: TASKS.fanOut,
          payload: { schoolId: e.schoolId, eventId: e.id },
          jobKey: `fanout:${e.id}`,
        });
      }
      for (const d of await staleDeliveries(db, STALE_AFTER_SECONDS, SWEEP_BATCH)) {
        await enqueue(db, { task: TASKS.deliver, payload: { schoolId: d.schoolId, deliveryId: d.id }, jobKey: d.id });
      }
    },
    [TASKS.purgeEvents]: async () => {
      const n = await purgeEvents(db, EVENT_RETENTION_DAYS);
      if (n > 0) log('info', `purged ${n} events older than ${EVENT_RETENTION_DAYS} days`);
    },
    [TASKS.purgeIdempotencyKeys]: async () => {
      await purgeIdempotencyKeys(db);
    },
    [TASKS.copyImage]: async (payload, helpers) => {
      const { schoolId, target, url } = CopyImagePayload.parse(payload);
      // A transient failure throws (the queue retries with backoff) until the last try records media.failed.
      await services.courses.copyImage(schoolId, { target, url }, helpers.job.attempts >= helpers.job.max_attempts);
    },
    [TASKS.expireUploads]: async () => {
      const n = await services.media.expireAbandonedUploadsEverywhere();
      if (n > 0) log('info', `expired ${n} abandoned uploads`);
    },
  };
  // A job's events are the system's. The queue can wake a job from a callback that still carries a
  // request's async context (a LISTEN notification on a pooled connection a request opened), so the
  // context is set here rather than inherited.
  return Object.fromEntries(
    Object.entries(tasks).map(([name, task]) => [
      name,
      (payload, helpers) => requestContext.run({ actor: SYSTEM_ACTOR }, () => task(payload, helpers)),
    ]),
  ) as TaskList;
}
