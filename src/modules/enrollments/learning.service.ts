import type { Db } from '../../db/client.js';
import type { SchoolService } from '../schools/schools.service.js';
import type { UserService } from '../users/users.service.js';
import * as repo from './learning.repo.js';
import { dayIn, streaks } from './progress.service.js';

/** A student's learning days, streaks and achievements. */
export function createLearningService({
  db,
  now,
  users,
  schools,
}: {
  db: Db;
  now: () => Date;
  users: UserService;
  schools: SchoolService;
}) {
  /** 404 unless the id is a student of the school. */
  const student = (schoolId: string, id: string) => users.getVia(schoolId, id, 'student');

  return {
    async activity(schoolId: string, studentId: string) {
      const [, { data: school }] = await Promise.all([student(schoolId, studentId), schools.get(schoolId)]);
      const days = await repo.learningDaysOf(db, schoolId, studentId);
      return { ...streaks(days, dayIn(school.timezone, now())), days };
    },
    async achievements(schoolId: string, studentId: string) {
      await student(schoolId, studentId);
      const rows = await repo.achievementsOf(db, schoolId, studentId);
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
