import { eq, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../db/client.js';
import { schools } from '../../db/schema/index.js';

export type SchoolRow = typeof schools.$inferSelect;
/** What PATCH /school may change. */
export type SchoolPatch = Partial<
  Pick<
    typeof schools.$inferInsert,
    'name' | 'currency' | 'timezone' | 'customFields' | 'rateLimitPerMinute' | 'mediaQuotaBytes' | 'maxUploadBytes'
  >
>;

/** Creates a tenant: the new row's id is the school id. */
export async function insertSchool(db: DbOrTx, row: typeof schools.$inferInsert): Promise<SchoolRow> {
  const [created] = await db.insert(schools).values(row).returning();
  return created!;
}

export async function findSchool(db: DbOrTx, schoolId: string, forUpdate = false): Promise<SchoolRow | undefined> {
  const q = db.select().from(schools).where(eq(schools.id, schoolId));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

export async function updateSchool(db: DbOrTx, schoolId: string, patch: SchoolPatch): Promise<SchoolRow> {
  const [row] = await db
    .update(schools)
    .set({ ...patch, updatedAt: new Date(), version: sql`${schools.version} + 1` })
    .where(eq(schools.id, schoolId))
    .returning();
  return row!;
}

/**
 * Serialises first-start bootstrapping across servers (a transaction-scoped advisory lock): two
 * servers starting at once on an empty database must create one school, not two.
 */
export async function lockBootstrap(tx: Tx): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(7021848824)`);
}

/** Across schools by nature: whether this instance has any tenant yet. */
export async function countSchools(db: DbOrTx): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(schools);
  return row?.n ?? 0;
}
