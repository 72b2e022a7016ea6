import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { users } from '../../db/schema/index.js';
import type { UserRole } from '../../lib/principal.js';

export type UserRow = typeof users.$inferSelect;

export async function insertUser(db: DbOrTx, row: typeof users.$inferInsert): Promise<UserRow> {
  const [created] = await db.insert(users).values(row).returning();
  return created!;
}

/** Users with this email (any school) holding one of the roles; emails compare case-insensitively. */
export async function findUsersByEmail(db: DbOrTx, email: string, roles: UserRole[]): Promise<UserRow[]> {
  return db
    .select()
    .from(users)
    .where(and(eq(sql`lower(${users.email})`, email.toLowerCase()), inArray(users.role, roles)));
}

export async function findUser(db: DbOrTx, schoolId: string, userId: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(and(eq(users.schoolId, schoolId), eq(users.id, userId)));
  return row;
}

export async function findUsersByIds(db: DbOrTx, schoolId: string, ids: string[]): Promise<UserRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(users).where(and(eq(users.schoolId, schoolId), inArray(users.id, ids)));
}
