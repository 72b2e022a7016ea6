import { and, eq, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { events, webhooks } from '../../db/schema/index.js';

export type EventRow = typeof events.$inferSelect;

/** Where a page of events ends: the position after which the next page starts. */
export type EventPosition = { txId: string; id: string };

/** One event to insert: `data` is its JSON text (the resource may be JSON PostgreSQL built). */
export type EventInput = { id: string; type: string; dataJson: string; webhookId: string | null };
export type EventBatch = { apiVersion: string; actorType: EventRow['actorType']; actorId: string | null };

/** The named parameters of the insert statement (see insertEvents). */
const insert = {
  rows: sql.placeholder('rows'),
  schoolId: sql.placeholder('schoolId'),
  apiVersion: sql.placeholder('apiVersion'),
  actorType: sql.placeholder('actorType'),
  actorId: sql.placeholder('actorId'),
  fanOutTask: sql.placeholder('fanOutTask'),
};

/**
 * The insert as one prepared statement (planned once per connection: the CTEs and the queue's
 * function made planning cost more than the insert itself).
 */
const insertQuery = (db: DbOrTx) => {
  const ins = db
    .$with('ins', {
      id: sql<string>`id`.as('id'),
      txId: sql<string>`tx_id`.as('tx_id'),
      createdAt: sql<string>`created_at`.as('created_at'),
      fannedOutAt: sql<string | null>`fanned_out_at`.as('fanned_out_at'),
    })
    .as(
      sql`INSERT INTO ${events} (id, school_id, type, api_version, actor_type, actor_id, data, webhook_id, fanned_out_at)
          SELECT v.id, ${insert.schoolId}::text, v.type, ${insert.apiVersion}::text, ${insert.actorType}::text,
                 ${insert.actorId}::text, v.data, v.webhook_id,
                 CASE WHEN EXISTS (
                   SELECT 1 FROM ${webhooks} w
                    WHERE w.school_id = ${insert.schoolId}::text AND w.enabled
                      AND CASE WHEN v.webhook_id IS NULL THEN v.type = ANY(w.events) OR '*' = ANY(w.events)
                               ELSE w.id = v.webhook_id END
                 ) THEN NULL ELSE now() END
            FROM jsonb_to_recordset(${insert.rows}::jsonb) AS v(ord int, id text, type text, webhook_id text, data jsonb)
           ORDER BY v.ord
          RETURNING id, tx_id::text AS tx_id, to_json(created_at) AS created_at, to_json(fanned_out_at) AS fanned_out_at`,
    );
  const jobs = db.$with('jobs', { job: sql<unknown>`job`.as('job') }).as(
    sql`SELECT graphile_worker.add_job(
          identifier => ${insert.fanOutTask}::text,
          payload => json_build_object('schoolId', ${insert.schoolId}::text, 'eventIds', json_agg(ins.id ORDER BY ins.id)),
          max_attempts => 25
        ) AS job FROM ins WHERE ins.fanned_out_at IS NULL HAVING count(*) > 0`,
  );
  return db
    .with(ins, jobs)
    .select({
      id: ins.id,
      txId: ins.txId,
      createdAt: ins.createdAt,
      fannedOutAt: ins.fannedOutAt,
      jobs: sql<number>`(SELECT count(*) FROM jobs)`,
    })
    .from(ins)
    .prepare('events_insert');
};

/**
 * Inserts the school's events and, in the same statement, enqueues one fan-out job for those of them
 * that an enabled endpoint of the school is subscribed to (by type or `*`; webhook.test: its own
 * endpoint). Events no endpoint wants are written already fanned out: no job, and the sweep never
 * looks at them. One round trip whatever the number of events.
 *
 * Subscription check vs a concurrent endpoint change: the check sees the endpoints committed when
 * this statement started. An endpoint committed after that, while this transaction is still open,
 * does not get these events — an endpoint receives the events written after it was saved (the
 * events stay in GET /events). This statement is the last of its transaction (or one of its last few,
 * when a large batch is split), so the window is the time to COMMIT.
 */
export async function insertEvents(
  db: DbOrTx,
  schoolId: string,
  batch: EventBatch,
  rows: EventInput[],
  fanOutTask: string,
): Promise<{ id: string; txId: string; createdAt: Date; fannedOutAt: Date | null }[]> {
  // The rows travel as one JSON parameter (PostgreSQL unpacks it): `data` is spliced in as text, so
  // presented resources are never parsed and re-serialised here.
  const param = `[${rows
    .map(
      (r, i) =>
        `{"ord":${i},"id":${JSON.stringify(r.id)},"type":${JSON.stringify(r.type)},"webhook_id":${JSON.stringify(r.webhookId)},"data":${r.dataJson}}`,
    )
    .join(',')}]`;
  const out = await insertQuery(db).execute({
    rows: param,
    schoolId,
    apiVersion: batch.apiVersion,
    actorType: batch.actorType,
    actorId: batch.actorId,
    fanOutTask,
  });
  return out.map((r) => ({
    id: r.id,
    txId: String(r.txId),
    createdAt: new Date(r.createdAt),
    fannedOutAt: r.fannedOutAt ? new Date(r.fannedOutAt) : null,
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
