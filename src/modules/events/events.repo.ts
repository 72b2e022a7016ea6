import { and, eq, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { events, webhooks } from '../../db/schema/index.js';

export type EventRow = typeof events.$inferSelect;

/** Where a page of events ends: the position after which the next page starts. */
export type EventPosition = { txId: string; id: string };

/** One event to insert: `data` is its JSON text (the resource may be JSON PostgreSQL built). */
export type EventInput = { id: string; type: string; dataJson: string; webhookId: string | null };
export type EventBatch = { apiVersion: string; actorType: EventRow['actorType']; actorId: string | null };

/**
 * Inserts the school's events and, in the same statement, enqueues one fan-out job for those of them
 * that an enabled endpoint of the school is subscribed to (by type or `*`; webhook.test: its own
 * endpoint). Events no endpoint wants are written already fanned out: no job, and the sweep never
 * looks at them. One round trip whatever the number of events. Returns the rows when `returning`.
 *
 * Subscription check vs a concurrent endpoint change: the check sees the endpoints committed when
 * this statement started. An endpoint committed after that, while this transaction is still open,
 * does not get these events — an endpoint receives the events written after it was saved (the
 * events stay in GET /events). This statement is the last of its transaction, so the window is the
 * time to COMMIT.
 */
export async function insertEvents(
  db: DbOrTx,
  schoolId: string,
  batch: EventBatch,
  rows: EventInput[],
  opts: { returning: boolean; fanOutTask: string },
): Promise<EventRow[]> {
  // The rows travel as one JSON parameter (PostgreSQL unpacks it): `data` is spliced in as text, so
  // presented resources are never parsed and re-serialised here.
  const param = `[${rows
    .map(
      (r, i) =>
        `{"ord":${i},"id":${JSON.stringify(r.id)},"type":${JSON.stringify(r.type)},"webhook_id":${JSON.stringify(r.webhookId)},"data":${r.dataJson}}`,
    )
    .join(',')}]`;
  const { rows: out } = await db.execute<Record<string, unknown>>(sql`
    WITH v AS (
      SELECT * FROM jsonb_to_recordset(${param}::jsonb) AS v(ord int, id text, type text, webhook_id text, data jsonb)
    ), ins AS (
      INSERT INTO ${events} (id, school_id, type, api_version, actor_type, actor_id, data, webhook_id, fanned_out_at)
      SELECT v.id, ${schoolId}, v.type, ${batch.apiVersion}, ${batch.actorType}, ${batch.actorId}::text, v.data, v.webhook_id,
        CASE WHEN EXISTS (
          SELECT 1 FROM ${webhooks} w
           WHERE w.school_id = ${schoolId} AND w.enabled
             AND CASE WHEN v.webhook_id IS NULL THEN v.type = ANY(w.events) OR '*' = ANY(w.events)
                      ELSE w.id = v.webhook_id END
        ) THEN NULL ELSE now() END
        FROM v ORDER BY v.ord
      RETURNING *
    ), jobs AS (
      SELECT graphile_worker.add_job(
        identifier => ${opts.fanOutTask},
        payload => json_build_object('schoolId', ${schoolId}::text, 'eventIds', json_agg(ins.id ORDER BY ins.id)),
        max_attempts => 25
      ) FROM ins WHERE ins.fanned_out_at IS NULL HAVING count(*) > 0
    )
    ${
      opts.returning
        ? sql`SELECT ins.*, (SELECT count(*) FROM jobs) AS jobs FROM ins ORDER BY ins.id`
        : sql`SELECT (SELECT count(*) FROM jobs) AS jobs, (SELECT count(*) FROM ins) AS events`
    }`);
  if (!opts.returning) return [];
  return out.map((r) => ({
    id: r.id as string,
    schoolId: r.school_id as string,
    type: r.type as string,
    apiVersion: r.api_version as string,
    actorType: r.actor_type as EventRow['actorType'],
    actorId: r.actor_id as string | null,
    data: r.data as EventRow['data'],
    webhookId: r.webhook_id as string | null,
    txId: String(r.tx_id),
    fannedOutAt: r.fanned_out_at ? new Date(r.fanned_out_at as string) : null,
    createdAt: new Date(r.created_at as string),
  }));
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
