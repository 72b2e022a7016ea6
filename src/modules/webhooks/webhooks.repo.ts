import { and, asc, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { webhookDeliveries, webhooks } from '../../db/schema/index.js';

export type WebhookRow = typeof webhooks.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookPatch = Partial<
  Pick<
    typeof webhooks.$inferInsert,
    | 'url'
    | 'events'
    | 'description'
    | 'enabled'
    | 'secret'
    | 'previousSecret'
    | 'previousSecretExpiresAt'
    | 'failingSince'
  >
>;

export async function insertWebhook(
  db: DbOrTx,
  schoolId: string,
  row: Omit<typeof webhooks.$inferInsert, 'schoolId'>,
): Promise<WebhookRow> {
  const [created] = await db
    .insert(webhooks)
    .values({ ...row, schoolId })
    .returning();
  return created!;
}

export async function findWebhook(db: DbOrTx, schoolId: string, id: string, forUpdate = false) {
  const q = db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.schoolId, schoolId), eq(webhooks.id, id)));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

/** Oldest first, after the given id. */
export async function listWebhooks(db: DbOrTx, schoolId: string, q: { afterId: string | undefined; limit: number }) {
  return db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.schoolId, schoolId), q.afterId === undefined ? undefined : gt(webhooks.id, q.afterId)))
    .orderBy(asc(webhooks.id))
    .limit(q.limit);
}

/** A change the owner sees bumps the version (ETag); `quiet` is for bookkeeping (failure tracking). */
export async function updateWebhook(db: DbOrTx, schoolId: string, id: string, patch: WebhookPatch, quiet = false) {
  const [row] = await db
    .update(webhooks)
    .set(quiet ? patch : { ...patch, updatedAt: new Date(), version: sql`${webhooks.version} + 1` })
    .where(and(eq(webhooks.schoolId, schoolId), eq(webhooks.id, id)))
    .returning();
  return row;
}

export async function deleteWebhook(db: DbOrTx, schoolId: string, id: string): Promise<void> {
  await db.delete(webhooks).where(and(eq(webhooks.schoolId, schoolId), eq(webhooks.id, id)));
}

/** Enabled endpoints of the school subscribed to the type (or to `*`); only `onlyId` when given. */
export async function subscribedWebhooks(db: DbOrTx, schoolId: string, type: string, onlyId: string | null) {
  return db
    .select({ id: webhooks.id })
    .from(webhooks)
    .where(
      and(
        eq(webhooks.schoolId, schoolId),
        eq(webhooks.enabled, true),
        onlyId === null
          ? sql`(${type} = ANY(${webhooks.events}) OR '*' = ANY(${webhooks.events}))`
          : eq(webhooks.id, onlyId),
      ),
    );
}

/** A delivery of the event to the endpoint, unless one exists (a fan-out that runs twice adds none). */
export async function insertDelivery(
  db: DbOrTx,
  schoolId: string,
  row: Omit<typeof webhookDeliveries.$inferInsert, 'schoolId'>,
): Promise<DeliveryRow | undefined> {
  const [created] = await db
    .insert(webhookDeliveries)
    .values({ ...row, schoolId })
    .onConflictDoNothing({ target: [webhookDeliveries.webhookId, webhookDeliveries.eventId] })
    .returning();
  return created;
}

export async function findDelivery(db: DbOrTx, schoolId: string, webhookId: string, id: string, forUpdate = false) {
  const q = db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.schoolId, schoolId),
        eq(webhookDeliveries.webhookId, webhookId),
        eq(webhookDeliveries.id, id),
      ),
    );
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

/** Newest first, before the given id. */
export async function listDeliveries(
  db: DbOrTx,
  schoolId: string,
  webhookId: string,
  q: { beforeId: string | undefined; limit: number; status: DeliveryRow['status'] | undefined },
) {
  return db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.schoolId, schoolId),
        eq(webhookDeliveries.webhookId, webhookId),
        q.status === undefined ? undefined : eq(webhookDeliveries.status, q.status),
        q.beforeId === undefined ? undefined : lt(webhookDeliveries.id, q.beforeId),
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(q.limit);
}

/**
 * Takes a pending delivery for one attempt: counts the attempt and leases it until `leaseUntil`,
 * unless another worker holds an unexpired lease. Undefined: nothing to do now.
 */
export async function claimDelivery(db: DbOrTx, schoolId: string, id: string, now: Date, leaseUntil: Date) {
  const [row] = await db
    .update(webhookDeliveries)
    .set({ attempts: sql`${webhookDeliveries.attempts} + 1`, leaseUntil, lastAttemptAt: now, updatedAt: now })
    .where(
      and(
        eq(webhookDeliveries.schoolId, schoolId),
        eq(webhookDeliveries.id, id),
        eq(webhookDeliveries.status, 'pending'),
        or(isNull(webhookDeliveries.leaseUntil), lt(webhookDeliveries.leaseUntil, now)),
      ),
    )
    .returning();
  return row;
}

export async function updateDelivery(
  db: DbOrTx,
  schoolId: string,
  id: string,
  patch: Partial<
    Pick<DeliveryRow, 'status' | 'lastResponseStatus' | 'lastError' | 'nextAttemptAt' | 'leaseUntil' | 'updatedAt'>
  >,
): Promise<DeliveryRow> {
  const [row] = await db
    .update(webhookDeliveries)
    .set(patch)
    .where(and(eq(webhookDeliveries.schoolId, schoolId), eq(webhookDeliveries.id, id)))
    .returning();
  return row!;
}
