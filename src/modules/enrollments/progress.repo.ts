import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import {
  type Completion,
  lessonProgress,
  lessons,
  type QuizContent,
  quizAttempts,
  type RichTextJson,
  sections,
} from '../../db/schema/index.js';
import type { CurriculumLesson, CurriculumSection } from '../../lib/unlock.js';

/** A lesson as the progress rules see it; `content` is loaded only for the lesson being recorded. */
export type RuleLesson = CurriculumLesson & {
  completion: Completion;
  duration: number | null;
  content: QuizContent | RichTextJson | null;
};
export type ProgressRow = { lessonId: string; completedAt: Date | null; watchedSeconds: number };
export type AttemptRow = {
  id: string;
  lessonId: string;
  answers: number[][];
  score: number;
  passed: boolean;
  createdAt: Date;
};
/** Everything the lock, completion and percent rules read about one enrollment. */
export type LearnerState = {
  sections: CurriculumSection[];
  lessons: RuleLesson[];
  progress: ProgressRow[];
  attempts: AttemptRow[];
};

type Json<T> = Omit<T, 'completedAt' | 'createdAt'> & { completedAt?: string | null; createdAt?: string };

/**
 * The curriculum of the enrollment's course with the learner's rows, in one statement. The
 * sections and lessons tables belong to the courses module: they are read here because the lock
 * rules are a function of them and of the progress rows together, and one query for all of it is
 * what keeps a progress write to a few round trips. Quiz attempts are the last `attemptsPerLesson`
 * of each lesson (the response is bounded); every attempt stays stored.
 */
export async function learnerState(
  db: DbOrTx,
  schoolId: string,
  enrollment: { id: string; courseId: string },
  opts: { contentOf?: string; attemptsPerLesson: number },
): Promise<LearnerState> {
  const result = await db.execute<{
    sections: CurriculumSection[];
    lessons: RuleLesson[];
    progress: Json<ProgressRow>[];
    attempts: Json<AttemptRow>[];
  }>(sql`
    SELECT
      (SELECT coalesce(json_agg(json_build_object(
          'id', ${sections.id}, 'position', ${sections.position}, 'drip', ${sections.drip},
          'prerequisites', ${sections.prerequisites})), '[]')
         FROM ${sections}
        WHERE ${sections.schoolId} = ${schoolId} AND ${sections.courseId} = ${enrollment.courseId}) AS sections,
      (SELECT coalesce(json_agg(json_build_object(
          'id', ${lessons.id}, 'sectionId', ${lessons.sectionId}, 'position', ${lessons.position},
          'status', ${lessons.status}, 'unlock', ${lessons.unlock}, 'completion', ${lessons.completion},
          'duration', ${lessons.duration},
          'content', CASE WHEN ${lessons.id} = ${opts.contentOf ?? null} THEN ${lessons.content} END)
          ORDER BY ${lessons.position}), '[]')
         FROM ${lessons}
        WHERE ${lessons.schoolId} = ${schoolId} AND ${lessons.courseId} = ${enrollment.courseId}) AS lessons,
      (SELECT coalesce(json_agg(json_build_object(
          'lessonId', ${lessonProgress.lessonId}, 'completedAt', ${lessonProgress.completedAt},
          'watchedSeconds', ${lessonProgress.watchedSeconds})), '[]')
         FROM ${lessonProgress}
        WHERE ${lessonProgress.schoolId} = ${schoolId} AND ${lessonProgress.enrollmentId} = ${enrollment.id}) AS progress,
      (SELECT coalesce(json_agg(json_build_object(
          'id', a.id, 'lessonId', a.lesson_id, 'answers', a.answers, 'score', a.score, 'passed', a.passed,
          'createdAt', a.created_at) ORDER BY a.created_at, a.id), '[]')
         FROM (SELECT *, row_number() OVER (PARTITION BY ${quizAttempts.lessonId}
                                            ORDER BY ${quizAttempts.createdAt} DESC, ${quizAttempts.id} DESC) AS n
                 FROM ${quizAttempts}
                WHERE ${quizAttempts.schoolId} = ${schoolId} AND ${quizAttempts.enrollmentId} = ${enrollment.id}) a
        WHERE a.n <= ${opts.attemptsPerLesson}) AS attempts`);
  const row = result.rows[0]!;
  return {
    sections: row.sections,
    lessons: row.lessons,
    progress: row.progress.map((p) => ({ ...p, completedAt: p.completedAt ? new Date(p.completedAt) : null })),
    attempts: row.attempts.map((a) => ({ ...a, createdAt: new Date(a.createdAt!) })),
  };
}

/** Inserts or updates the learner's row for one lesson (an update stays inside the school). */
export async function saveProgress(
  db: DbOrTx,
  schoolId: string,
  row: { enrollmentId: string; lessonId: string; completedAt: Date | null; watchedSeconds: number },
): Promise<void> {
  await db
    .insert(lessonProgress)
    .values({ ...row, schoolId })
    .onConflictDoUpdate({
      target: [lessonProgress.enrollmentId, lessonProgress.lessonId],
      set: { completedAt: row.completedAt, watchedSeconds: row.watchedSeconds, updatedAt: sql`now()` },
      setWhere: sql`${lessonProgress.schoolId} = ${schoolId}`,
    });
}

export async function insertAttempt(
  db: DbOrTx,
  schoolId: string,
  row: { id: string; enrollmentId: string; lessonId: string; answers: number[][]; score: number; passed: boolean },
): Promise<AttemptRow> {
  const [created] = await db
    .insert(quizAttempts)
    .values({ ...row, schoolId })
    .returning({
      id: quizAttempts.id,
      lessonId: quizAttempts.lessonId,
      answers: quizAttempts.answers,
      score: quizAttempts.score,
      passed: quizAttempts.passed,
      createdAt: quizAttempts.createdAt,
    });
  return created!;
}
