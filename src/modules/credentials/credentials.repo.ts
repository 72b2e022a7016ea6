import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { issuerKeys } from '../../db/schema/index.js';

export type IssuerKeyRow = typeof issuerKeys.$inferSelect;

export async function findIssuerKey(db: DbOrTx, schoolId: string): Promise<IssuerKeyRow | undefined> {
  const [row] = await db.select().from(issuerKeys).where(eq(issuerKeys.schoolId, schoolId));
  return row;
}

/** Stores the school's key unless it has one already: the unique index lets the first writer win. */
export async function insertIssuerKey(
  db: DbOrTx,
  schoolId: string,
  row: Omit<typeof issuerKeys.$inferInsert, 'schoolId' | 'createdAt'>,
): Promise<void> {
  await db
    .insert(issuerKeys)
    .values({ ...row, schoolId })
    .onConflictDoNothing({ target: issuerKeys.schoolId });
}
