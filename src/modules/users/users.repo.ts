import { and, eq, ilike, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { listPage, type SortColumns } from '../../db/keyset.js';
import { sessions, users } from '../../db/schema/index.js';
import type { ListRequest } from '../../lib/pagination.js';
import type { UserRole } from '../../lib/principal.js';

export type UserRow = typeof users.$inferSelect;
/** What an update may change (never the id or the school). */
export type UserPatch = Partial<
  Pick<typeof users.$inferInsert, 'email' | 'name' | 'role' | 'passwordHash' | 'avatarUrl' | 'bio' | 'externalId'>
>;

export async function insertUser(
  db: DbOrTx,
  schoolId: string,
  row: Omit<typeof users.$inferInsert, 'schoolId'>,
): Promise<UserRow> {
  const [created] = await db
    .insert(users)
    .values({ ...row, schoolId })
    .returning();
  return created!;
}

/**
 * Users with this email (any school) holding one of the roles; emails compare case-insensitively.
 * Across schools by nature: login finds the school from the email (and asks when it is several).
 */
export async function findUsersByEmail(db: DbOrTx, email: string, roles: UserRole[]): Promise<UserRow[]> {
  return db
    .select()
    .from(users)
    .where(and(eq(sql`lower(${users.email})`, email.toLowerCase()), inArray(users.role, roles)));
}

export async function findUser(db: DbOrTx, schoolId: string, userId: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.schoolId, schoolId), eq(users.id, userId)));
  return row;
}

export async function findUsersByIds(db: DbOrTx, schoolId: string, ids: string[]): Promise<UserRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(users)
    .where(and(eq(users.schoolId, schoolId), inArray(users.id, ids)));
}

export const USER_SORTS: SortColumns = {
  createdAt: { column: users.createdAt, kind: 'date' },
  name: { column: users.name, kind: 'string' },
  email: { column: users.email, kind: 'string' },
};

export async function listUsers(
  db: DbOrTx,
  schoolId: string,
  filter: { search?: string | undefined; roles?: UserRole[] | undefined },
  req: ListRequest,
) {
  const conditions: SQL[] = [eq(users.schoolId, schoolId)];
  if (filter.roles) conditions.push(inArray(users.role, filter.roles));
  if (filter.search) {
    const like = `%${filter.search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    conditions.push(or(ilike(users.name, like), ilike(users.email, like))!);
  }
  const scope = and(...conditions)!;
  return listPage(db, users, scope, req, USER_SORTS, users.id);
}

export async function updateUser(db: DbOrTx, schoolId: string, userId: string, patch: UserPatch): Promise<UserRow> {
  const [row] = await db
    .update(users)
    .set({ ...patch, updatedAt: new Date(), version: sql`${users.version} + 1` })
    .where(and(eq(users.schoolId, schoolId), eq(users.id, userId)))
    .returning();
  return row!;
}

export async function deleteUser(db: DbOrTx, schoolId: string, userId: string): Promise<void> {
  await db.delete(users).where(and(eq(users.schoolId, schoolId), eq(users.id, userId)));
}

export async function findUserForUpdate(db: DbOrTx, schoolId: string, userId: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.schoolId, schoolId), eq(users.id, userId)))
    .for('update');
  return row;
}

/** Ends every login session of a user (their email, password or role changed). */
export async function deleteUserSessions(db: DbOrTx, schoolId: string, userId: string): Promise<void> {
  await db.delete(sessions).where(and(eq(sessions.schoolId, schoolId), eq(sessions.userId, userId)));
}
