import { eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { schools } from '../../db/schema/index.js';

export type SchoolRow = typeof schools.$inferSelect;

export async function insertSchool(db: DbOrTx, row: typeof schools.$inferInsert): Promise<SchoolRow> {
  const [created] = await db.insert(schools).values(row).returning();
  return created!;
}

export async function findSchool(db: DbOrTx, schoolId: string, forUpdate = false): Promise<SchoolRow | undefined> {
  const q = db.select().from(schools).where(eq(schools.id, schoolId));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

export async function updateSchool(
  db: DbOrTx,
  schoolId: string,
  patch: Partial<typeof schools.$inferInsert>,
): Promise<SchoolRow> {
  const [row] = await db
    .update(schools)
    .set({ ...patch, updatedAt: new Date(), version: sql`${schools.version} + 1` })
    .where(eq(schools.id, schoolId))
    .returning();
  return row!;
}

export async function countSchools(db: DbOrTx): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(schools);
  return row?.n ?? 0;
}
