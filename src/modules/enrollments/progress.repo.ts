import { and, eq, sql } from 'drizzle-orm';
import { builtOncePer, type DbOrTx } from '../../db/client.js';
import {
  type Completion,
  enrollments,
  lessonProgress,
  lessons,
  type QuizContent,
  quizAttempts,
  type RichTextJson,
  sections,
} from '../../db/schema/index.js';
import type { CurriculumLesson, CurriculumSection } from '../../lib/unlock.js';
import type { EnrollmentRow } from './enrollments.repo.js';

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
 * A column of the enrollment row the sub-selects correlate with. Spelled out: in a single-table
 * select Drizzle writes columns unqualified, which inside a sub-select would name its own table.
 */
const enrollmentColumn = (column: 'id' | 'school_id' | 'course_id') => sql.raw(`"enrollments"."${column}"`);

const param = {
  schoolId: sql.placeholder('schoolId'),
  enrollmentId: sql.placeholder('enrollmentId'),
  contentOf: sql.placeholder('contentOf'),
  attemptsPerLesson: sql.placeholder('attemptsPerLesson'),
};

/**
 * The enrollment with the curriculum of its course and the learner's rows, in one statement.
 * The sections and lessons tables belong to the courses module: they are read here because the
 * lock rules are a function of them and of the progress rows together, and one query for all of
 * it keeps a progress write to a few round trips. Quiz attempts are the last `attemptsPerLesson`
 * of each lesson (the response is bounded); every attempt stays stored. A named (prepared)
 * statement: PostgreSQL parses and plans it once per connection instead of on every request.
 */
const learnerStateQuery = builtOncePer((db) =>
  db
    .select({
      enrollment: enrollments,
      sections: sql<CurriculumSection[]>`(SELECT coalesce(json_agg(json_build_object(
          'id', ${sections.id}, 'position', ${sections.position}, 'status', ${sections.status}, 'drip', ${sections.drip},
          'prerequisites', ${sections.prerequisites})), '[]')
         FROM ${sections}
        WHERE ${sections.schoolId} = ${enrollmentColumn('school_id')} AND ${sections.courseId} = ${enrollmentColumn('course_id')})`,
      lessons: sql<RuleLesson[]>`(SELECT coalesce(json_agg(json_build_object(
          'id', ${lessons.id}, 'sectionId', ${lessons.sectionId}, 'position', ${lessons.position},
          'status', ${lessons.status}, 'unlock', ${lessons.unlock}, 'completion', ${lessons.completion},
          'duration', ${lessons.duration},
          'content', CASE WHEN ${lessons.id} = ${param.contentOf} THEN ${lessons.content} END)
          ORDER BY ${lessons.position}), '[]')
         FROM ${lessons}
        WHERE ${lessons.schoolId} = ${enrollmentColumn('school_id')} AND ${lessons.courseId} = ${enrollmentColumn('course_id')})`,
      progress: sql<Json<ProgressRow>[]>`(SELECT coalesce(json_agg(json_build_object(
          'lessonId', ${lessonProgress.lessonId}, 'completedAt', ${lessonProgress.completedAt},
          'watchedSeconds', ${lessonProgress.watchedSeconds})), '[]')
         FROM ${lessonProgress}
        WHERE ${lessonProgress.schoolId} = ${enrollmentColumn('school_id')} AND ${lessonProgress.enrollmentId} = ${enrollmentColumn('id')})`,
      attempts: sql<Json<AttemptRow>[]>`(SELECT coalesce(json_agg(json_build_object(
          'id', a.id, 'lessonId', a.lesson_id, 'answers', a.answers, 'score', a.score, 'passed', a.passed,
          'createdAt', a.created_at) ORDER BY a.created_at, a.id), '[]')
         FROM (SELECT *, row_number() OVER (PARTITION BY ${quizAttempts.lessonId}
                                            ORDER BY ${quizAttempts.createdAt} DESC, ${quizAttempts.id} DESC) AS n
                 FROM ${quizAttempts}
                WHERE ${quizAttempts.schoolId} = ${enrollmentColumn('school_id')}
                  AND ${quizAttempts.enrollmentId} = ${enrollmentColumn('id')}) a
        WHERE a.n <= ${param.attemptsPerLesson})`,
    })
    .from(enrollments)
    .where(and(eq(enrollments.schoolId, param.schoolId), eq(enrollments.id, param.enrollmentId)))
    .prepare('enrollment_learner_state'),
);

export async function learnerState(
  db: DbOrTx,
  schoolId: string,
  enrollmentId: string,
  opts: { contentOf?: string; attemptsPerLesson: number },
): Promise<(LearnerState & { enrollment: EnrollmentRow }) | undefined> {
  const [row] = await learnerStateQuery(db).execute({
    schoolId,
    enrollmentId,
    contentOf: opts.contentOf ?? null,
    attemptsPerLesson: opts.attemptsPerLesson,
  });
  if (!row) return undefined;
  return {
    enrollment: row.enrollment,
    sections: row.sections,
    lessons: row.lessons,
    progress: row.progress.map((p) => ({ ...p, completedAt: p.completedAt ? new Date(p.completedAt) : null })),
    attempts: row.attempts.map((a) => ({ ...a, createdAt: new Date(a.createdAt!) })),
  };
}

/** One progress write: the learner's row for a lesson, and the quiz attempt that came with it. */
export type ProgressWrite = {
  enrollmentId: string;
  lessonId: string;
  completedAt: Date | null;
  watchedSeconds: number;
  attempt?: { id: string; answers: number[][]; score: number; passed: boolean } | undefined;
};

const write = {
  schoolId: sql.placeholder('schoolId'),
  enrollmentId: sql.placeholder('enrollmentId'),
  version: sql.placeholder('version'),
  lessonId: sql.placeholder('lessonId'),
  completedAt: sql.placeholder('completedAt'),
  watchedSeconds: sql.placeholder('watchedSeconds'),
  attemptId: sql.placeholder('attemptId'),
  answers: sql.placeholder('answers'),
  score: sql.placeholder('score'),
  passed: sql.placeholder('passed'),
};

/** The write as one prepared statement: three data-modifying CTEs (PostgreSQL allows them only at the top). */
const writeQuery = builtOncePer((db) => {
  const bumped = db
    .$with('bumped', {
      id: sql<string>`id`.as('id'),
      version: sql<number>`version`.as('version'),
      updatedAt: sql<string>`updated_at`.as('updated_at'),
    })
    .as(
      sql`UPDATE ${enrollments} SET version = version + 1, updated_at = now()
           WHERE school_id = ${write.schoolId} AND id = ${write.enrollmentId} AND version = ${write.version}
          RETURNING id, version, updated_at`,
    );
  const attempt = db.$with('attempt', { createdAt: sql<string>`created_at`.as('created_at') }).as(
    sql`INSERT INTO ${quizAttempts} (id, school_id, enrollment_id, lesson_id, answers, score, passed)
        SELECT ${write.attemptId}, ${write.schoolId}, id, ${write.lessonId}, ${write.answers}::jsonb,
               ${write.score}::int, ${write.passed}::boolean
          FROM bumped WHERE ${write.attemptId}::text IS NOT NULL
        RETURNING created_at`,
  );
  const saved = db.$with('saved', { lessonId: sql<string>`lesson_id`.as('lesson_id') }).as(
    sql`INSERT INTO ${lessonProgress} (school_id, enrollment_id, lesson_id, completed_at, watched_seconds)
        SELECT ${write.schoolId}, id, ${write.lessonId}, ${write.completedAt}::timestamptz, ${write.watchedSeconds}::int
          FROM bumped
        ON CONFLICT (enrollment_id, lesson_id) DO UPDATE
          SET completed_at = excluded.completed_at, watched_seconds = excluded.watched_seconds, updated_at = now()
          WHERE ${lessonProgress}.school_id = excluded.school_id
        RETURNING lesson_id`,
  );
  return db
    .with(bumped, attempt, saved)
    .select({
      version: bumped.version,
      updatedAt: sql<string>`to_json(${bumped.updatedAt})`,
      attemptCreatedAt: sql<string | null>`(SELECT to_json(${attempt.createdAt}) FROM ${attempt})`,
    })
    .from(bumped)
    .prepare('enrollment_progress_write');
});

/**
 * Writes the learner's row for one lesson (and the quiz attempt) in one statement, only if the
 * enrollment is still at `version`, and bumps that version (its ETag: the progress is part of
 * the enrollment). Returns undefined, having written nothing, when another write came first.
 * The row update stays inside the school.
 */
export async function writeProgress(
  db: DbOrTx,
  schoolId: string,
  version: number,
  row: ProgressWrite,
): Promise<{ version: number; updatedAt: Date; attemptCreatedAt: Date | null } | undefined> {
  const a = row.attempt;
  const [written] = await writeQuery(db).execute({
    schoolId,
    enrollmentId: row.enrollmentId,
    version,
    lessonId: row.lessonId,
    completedAt: row.completedAt,
    watchedSeconds: row.watchedSeconds,
    attemptId: a?.id ?? null,
    answers: a ? JSON.stringify(a.answers) : null,
    score: a?.score ?? null,
    passed: a?.passed ?? null,
  });
  if (!written) return undefined;
  return {
    version: Number(written.version),
    updatedAt: new Date(written.updatedAt),
    attemptCreatedAt: written.attemptCreatedAt ? new Date(written.attemptCreatedAt) : null,
  };
}
