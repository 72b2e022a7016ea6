import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { learnerTokens, schools, users } from '../../db/schema/index.js';

export type LearnerTokenRow = typeof learnerTokens.$inferSelect;

export async function insertLearnerToken(
  db: DbOrTx,
  schoolId: string,
  row: Omit<typeof learnerTokens.$inferInsert, 'schoolId'>,
): Promise<LearnerTokenRow> {
  const [created] = await db
    .insert(learnerTokens)
    .values({ ...row, schoolId })
    .returning();
  return created!;
}

/**
 * The one query of learner authentication: the token row, its school's rate limit and its
 * student's current role. Not scoped by school: the token is what tells which school it is for.
 * The joins keep it one indexed look-up (token_hash is unique).
 */
export async function findLearnerTokenByHash(db: DbOrTx, tokenHash: string) {
  const [row] = await db
    .select({ token: learnerTokens, rateLimitPerMinute: schools.rateLimitPerMinute, role: users.role })
    .from(learnerTokens)
    .innerJoin(schools, eq(schools.id, learnerTokens.schoolId))
    .innerJoin(users, and(eq(users.id, learnerTokens.studentId), eq(users.schoolId, learnerTokens.schoolId)))
    .where(eq(learnerTokens.tokenHash, tokenHash));
  return row;
}

/** Revokes every live token of the student; returns how many were live. */
export async function revokeStudentTokens(db: DbOrTx, schoolId: string, studentId: string): Promise<number> {
  const rows = await db
    .update(learnerTokens)
    .set({ revokedAt: sql`now()`, updatedAt: new Date(), version: sql`${learnerTokens.version} + 1` })
    .where(
      and(
        eq(learnerTokens.schoolId, schoolId),
        eq(learnerTokens.studentId, studentId),
        isNull(learnerTokens.revokedAt),
      ),
    )
    .returning({ id: learnerTokens.id });
  return rows.length;
}

/** Tokens of the student that expired before `before`: nothing can use them, so they are not kept. */
export async function deleteExpiredTokens(db: DbOrTx, schoolId: string, studentId: string, before: Date) {
  await db
    .delete(learnerTokens)
    .where(
      and(
        eq(learnerTokens.schoolId, schoolId),
        eq(learnerTokens.studentId, studentId),
        lt(learnerTokens.expiresAt, before),
      ),
    );
}
