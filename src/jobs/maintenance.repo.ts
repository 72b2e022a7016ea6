/**
 * The statements of scheduled jobs. Each one works across every school by nature: it removes rows
 * past their retention, or finds work a crashed worker left behind, whoever owns it.
 */
import { and, eq, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { events, idempotencyKeys, webhookDeliveries } from '../db/schema/index.js';

/** Stored Idempotency-Key responses are replayed for 24 h (API.md §1); older rows are dead weight. */
export async function purgeIdempotencyKeys(db: Db): Promise<number> {
  const deleted = await db
    .delete(idempotencyKeys)
    .where(sql`${idempotencyKeys.createdAt} < now() - interval '24 hours'`)
    .returning({ key: idempotencyKeys.key });
  return deleted.length;
}

/** Deletes events past the retention, in batches (their deliveries go with them). */
export async function purgeEvents(db: Db, retentionDays: number, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await db.execute(sql`DELETE FROM ${events} WHERE ${events.id} IN (
      SELECT ${events.id} FROM ${events}
      WHERE ${events.createdAt} < now() - make_interval(days => ${retentionDays})
      LIMIT ${batch})`);
    total += deleted.rowCount ?? 0;
    if ((deleted.rowCount ?? 0) < batch) return total;
  }
}

/** Events whose fan-out has not happened this long after they were written (a worker died mid-job). */
export async function staleFanOuts(db: Db, olderThanSeconds: number, limit: number) {
  return db
    .select({ schoolId: events.schoolId, id: events.id })
    .from(events)
    .where(
      and(isNull(events.fannedOutAt), sql`${events.createdAt} < now() - make_interval(secs => ${olderThanSeconds})`),
    )
    .orderBy(events.createdAt)
    .limit(limit);
}

/** Pending deliveries overdue by this long with no live lease (their job was lost with a worker). */
export async function staleDeliveries(db: Db, olderThanSeconds: number, limit: number) {
  return db
    .select({ schoolId: webhookDeliveries.schoolId, id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.status, 'pending'),
        sql`${webhookDeliveries.nextAttemptAt} < now() - make_interval(secs => ${olderThanSeconds})`,
        or(isNull(webhookDeliveries.leaseUntil), sql`${webhookDeliveries.leaseUntil} < now()`),
      ),
    )
    .orderBy(webhookDeliveries.nextAttemptAt)
    .limit(limit);
}
