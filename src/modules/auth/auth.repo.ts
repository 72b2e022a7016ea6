import { and, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { schools, sessions, users } from '../../db/schema/index.js';

export async function insertSession(
  db: DbOrTx,
  schoolId: string,
  row: Omit<typeof sessions.$inferInsert, 'schoolId'>,
): Promise<void> {
  await db.insert(sessions).values({ ...row, schoolId });
}

/**
 * A live session of an owner or admin, with its user and the school's rate limit: neither idle past
 * its `expires_at` nor older than `ttlHours` (the operator may have shortened it). Not scoped by
 * school: the token is what tells which school the request is for.
 */
export async function findLiveSession(db: DbOrTx, tokenHash: string, ttlHours: number) {
  const [row] = await db
    .select({ session: sessions, user: users, rateLimitPerMinute: schools.rateLimitPerMinute })
    .from(sessions)
    .innerJoin(users, and(eq(users.id, sessions.userId), eq(users.schoolId, sessions.schoolId)))
    .innerJoin(schools, eq(schools.id, sessions.schoolId))
    .where(
      and(
        eq(sessions.tokenHash, tokenHash),
        gt(sessions.expiresAt, sql`now()`),
        gt(sessions.createdAt, sql`now() - make_interval(hours => ${ttlHours})`),
        inArray(users.role, ['owner', 'admin']),
      ),
    );
  return row;
}

/**
 * A session in use lives on: it now ends `idleMinutes` from now, but never later than `ttlHours`
 * after it began. Returns the new end (undefined when the session is gone).
 */
export async function slideSession(
  db: DbOrTx,
  schoolId: string,
  sessionId: string,
  idleMinutes: number,
  ttlHours: number,
): Promise<Date | undefined> {
  const [row] = await db
    .update(sessions)
    .set({
      expiresAt: sql`least(now() + make_interval(mins => ${idleMinutes}), ${sessions.createdAt} + make_interval(hours => ${ttlHours}))`,
    })
    .where(and(eq(sessions.schoolId, schoolId), eq(sessions.id, sessionId), gt(sessions.expiresAt, sql`now()`)))
    .returning({ expiresAt: sessions.expiresAt });
  return row?.expiresAt;
}

/** Logout: the token alone names the session (the route runs without a principal). */
export async function deleteSession(db: DbOrTx, tokenHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}

/** A purge across schools: expired sessions are nobody's. */
export async function deleteExpiredSessions(db: DbOrTx): Promise<void> {
  await db.delete(sessions).where(lt(sessions.expiresAt, sql`now()`));
}
