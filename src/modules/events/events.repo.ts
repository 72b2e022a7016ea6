import { and, eq, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { events } from '../../db/schema/index.js';

export type EventRow = typeof events.$inferSelect;
export type NewEvent = Omit<typeof events.$inferInsert, 'schoolId' | 'txId' | 'fannedOutAt'>;

/** Where a page of events ends: the position after which the next page starts. */
export type EventPosition = { txId: string; id: string };

export async function insertEvent(db: DbOrTx, schoolId: string, row: NewEvent): Promise<EventRow> {
  const [created] = await db
    .insert(events)
    .values({ ...row, schoolId })
    .returning();
  return created!;
}

/** An event of the school within the retention window. */
export async function findEvent(db: DbOrTx, schoolId: string, id: string, retentionDays: number) {
  const [row] = await db
    .select()
    .from(events)
    .where(
      and(
        eq(events.schoolId, schoolId),
        eq(events.id, id),
        sql`${events.createdAt} > now() - make_interval(days => ${retentionDays})`,
      ),
    );
  return row;
}

/**
 * Oldest first by (transaction, id), after `after`. Only events of transactions that ended before
 * every transaction still running are listed: a transaction that commits late cannot add an event
 * behind a position a client has already read past.
 */
export async function listEvents(
  db: DbOrTx,
  schoolId: string,
  q: { type: string | undefined; after: EventPosition | undefined; limit: number; retentionDays: number },
): Promise<EventRow[]> {
  return db
    .select()
    .from(events)
    .where(
      and(
        eq(events.schoolId, schoolId),
        q.type === undefined ? undefined : eq(events.type, q.type),
        sql`${events.txId} < pg_snapshot_xmin(pg_current_snapshot())`,
        sql`${events.createdAt} > now() - make_interval(days => ${q.retentionDays})`,
        q.after === undefined
          ? undefined
          : sql`(${events.txId}, ${events.id}) > (${q.after.txId}::xid8, ${q.after.id})`,
      ),
    )
    .orderBy(events.txId, events.id)
    .limit(q.limit);
}

/** The event, locked, if its deliveries have not been created yet. */
export async function lockEventForFanOut(db: DbOrTx, schoolId: string, id: string) {
  const [row] = await db
    .select()
    .from(events)
    .where(and(eq(events.schoolId, schoolId), eq(events.id, id), isNull(events.fannedOutAt)))
    .for('update');
  return row;
}

export async function markFannedOut(db: DbOrTx, schoolId: string, id: string): Promise<void> {
  await db
    .update(events)
    .set({ fannedOutAt: sql`now()` })
    .where(and(eq(events.schoolId, schoolId), eq(events.id, id)));
}
