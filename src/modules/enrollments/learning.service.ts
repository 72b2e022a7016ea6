import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { achievements, learningDays, schools, users } from '../../db/schema/index.js';
import { notFound } from '../../lib/errors.js';
import { dayIn, streaks } from './progress.service.js';

/** A student's learning days, streaks and achievements. */
export function createLearningService({ db, now }: { db: Db; now: () => Date }) {
  async function student(schoolId: string, id: string) {
    const [row] = await db
      .select({ id: users.id, timezone: schools.timezone })
      .from(users)
      .innerJoin(schools, eq(schools.id, users.schoolId))
      .where(and(eq(users.schoolId, schoolId), eq(users.id, id), eq(users.role, 'student')));
    if (!row) throw notFound('Student');
    return row;
  }
  return {
    async activity(schoolId: string, studentId: string) {
      const s = await student(schoolId, studentId);
      const days = (
        await db
          .select({ day: learningDays.day })
          .from(learningDays)
          .where(eq(learningDays.studentId, s.id))
          .orderBy(asc(learningDays.day))
      ).map((d) => d.day);
      return { ...streaks(days, dayIn(s.timezone, now())), days };
    },
    async achievements(schoolId: string, studentId: string) {
      const s = await student(schoolId, studentId);
      const rows = await db
        .select()
        .from(achievements)
        .where(eq(achievements.studentId, s.id))
        .orderBy(asc(achievements.awardedAt));
      return {
        data: rows.map((a) => ({
          object: 'achievement' as const,
          code: a.code,
          courseId: a.courseId,
          awardedAt: a.awardedAt.toISOString(),
        })),
      };
    },
  };
}
export type LearningService = ReturnType<typeof createLearningService>;
