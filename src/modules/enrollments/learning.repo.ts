import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { achievements, learningDays } from '../../db/schema/index.js';

export type AchievementRow = typeof achievements.$inferSelect;

/**
 * Records `day` as a learning day of the student and returns, in the same statement, what the
 * achievement rules read: the student's other learning days and the codes already awarded.
 * (A statement does not see its own insert, so `days` may lack `day`; the caller adds it.)
 */
export async function recordLearningDay(
  db: DbOrTx,
  schoolId: string,
  studentId: string,
  day: string,
): Promise<{ days: string[]; codes: string[] }> {
  const result = await db.execute<{ days: string[]; codes: string[] }>(sql`
    WITH recorded AS (
      INSERT INTO ${learningDays} (school_id, student_id, day) VALUES (${schoolId}, ${studentId}, ${day})
      ON CONFLICT DO NOTHING
    )
    SELECT
      (SELECT coalesce(json_agg(${learningDays.day}::text), '[]') FROM ${learningDays}
        WHERE ${learningDays.schoolId} = ${schoolId} AND ${learningDays.studentId} = ${studentId}) AS days,
      (SELECT coalesce(json_agg(${achievements.code}), '[]') FROM ${achievements}
        WHERE ${achievements.schoolId} = ${schoolId} AND ${achievements.studentId} = ${studentId}) AS codes`);
  return result.rows[0]!;
}

/** Awards the achievements in one statement; one already held is left as it is. Returns those awarded now. */
export async function award(
  db: DbOrTx,
  schoolId: string,
  studentId: string,
  awards: { code: string; courseId: string | null }[],
): Promise<AchievementRow[]> {
  if (awards.length === 0) return [];
  return db
    .insert(achievements)
    .values(awards.map((a) => ({ schoolId, studentId, code: a.code, courseId: a.courseId })))
    .onConflictDoNothing()
    .returning();
}

/** The student's learning days, oldest first. */
export async function learningDaysOf(db: DbOrTx, schoolId: string, studentId: string): Promise<string[]> {
  const rows = await db
    .select({ day: learningDays.day })
    .from(learningDays)
    .where(and(eq(learningDays.schoolId, schoolId), eq(learningDays.studentId, studentId)))
    .orderBy(asc(learningDays.day));
  return rows.map((r) => r.day);
}

/** The student's achievements in the order they were awarded. */
export async function achievementsOf(db: DbOrTx, schoolId: string, studentId: string): Promise<AchievementRow[]> {
  return db
    .select()
    .from(achievements)
    .where(and(eq(achievements.schoolId, schoolId), eq(achievements.studentId, studentId)))
    .orderBy(asc(achievements.awardedAt));
}
