import { randomBytes } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '../../db/client.js';
import {
  achievements,
  certificates,
  courses,
  enrollments,
  learningDays,
  lessonProgress,
  lessons,
  quizAttempts,
  schools,
  sections,
  users,
} from '../../db/schema/index.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { type CurriculumLesson, type CurriculumSection, courseOrder, lessonStates } from '../../lib/unlock.js';

export type ProgressInput = {
  lessonId: string;
  completed: boolean;
  watchedSeconds?: number | undefined;
  answers?: number[][] | undefined;
};

type LessonRow = typeof lessons.$inferSelect;
type QuizContent = { questions: { options: { correct: boolean }[] }[]; passingScore: number };

/** A question counts only when exactly its correct options are chosen. */
export function scoreQuiz(quiz: QuizContent, answers: number[][]): number {
  if (quiz.questions.length === 0) return 0;
  const right = quiz.questions.filter((q, i) => {
    const chosen = new Set(answers[i] ?? []);
    const correct = new Set(q.options.flatMap((o, j) => (o.correct ? [j] : [])));
    return chosen.size === correct.size && [...correct].every((j) => chosen.has(j));
  }).length;
  return Math.round((right / quiz.questions.length) * 100);
}

/** The calendar day of `now` in the school's time zone (YYYY-MM-DD). */
export function dayIn(timeZone: string, now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** Current streak (consecutive days ending today or yesterday) and longest streak, from sorted days. */
export function streaks(days: string[], today: string): { currentStreak: number; longestStreak: number } {
  const dayNumber = (d: string) => Math.round(Date.parse(`${d}T00:00:00Z`) / 86_400_000);
  const nums = [...new Set(days.map(dayNumber))].sort((a, b) => a - b);
  let longest = 0;
  let run = 0;
  for (let i = 0; i < nums.length; i++) {
    run = i > 0 && nums[i] === nums[i - 1]! + 1 ? run + 1 : 1;
    longest = Math.max(longest, run);
  }
  const last = nums[nums.length - 1];
  const t = dayNumber(today);
  const current = last !== undefined && (last === t || last === t - 1) ? run : 0;
  return { currentStreak: current, longestStreak: longest };
}

const STREAK_ACHIEVEMENTS: [number, string][] = [
  [3, 'streak_3'],
  [7, 'streak_7'],
  [30, 'streak_30'],
];

/**
 * Progress of enrollments: lock rules (lib/unlock), completion rules, quiz attempts, and in the
 * same transaction the side effects — learning day, achievements, and at 100 % one certificate.
 * Writes to one enrollment are serialised by locking its row, so the completions of the last two
 * lessons cannot both miss (or both issue) the certificate.
 */
export function createProgressService({ db, now, publicUrl }: { db: Db; now: () => Date; publicUrl: string }) {
  async function curriculum(tx: DbOrTx, courseId: string) {
    const [secs, less] = await Promise.all([
      tx.select().from(sections).where(eq(sections.courseId, courseId)),
      tx.select().from(lessons).where(eq(lessons.courseId, courseId)).orderBy(asc(lessons.position)),
    ]);
    return { sections: secs as CurriculumSection[], lessonRows: less, lessons: less as unknown as CurriculumLesson[] };
  }

  /** The `progress` object of an enrollment (from the curriculum and rows when the caller has them). */
  async function progressOf(
    tx: DbOrTx,
    enrollment: typeof enrollments.$inferSelect,
    loaded?: {
      sections: CurriculumSection[];
      lessons: CurriculumLesson[];
      rows: (typeof lessonProgress.$inferSelect)[];
    },
  ) {
    const [{ sections: secs, lessons: less }, rows] = loaded
      ? [loaded, loaded.rows]
      : await Promise.all([
          curriculum(tx, enrollment.courseId),
          tx.select().from(lessonProgress).where(eq(lessonProgress.enrollmentId, enrollment.id)),
        ]);
    const byLesson = new Map(rows.map((r) => [r.lessonId, r]));
    const completed = new Set(rows.filter((r) => r.completedAt).map((r) => r.lessonId));
    const ordered = courseOrder(secs, less);
    const states = lessonStates({
      sections: secs,
      lessons: less,
      completed,
      enrolledAt: enrollment.createdAt,
      now: now(),
    });
    const done = ordered.filter((l) => completed.has(l.id)).length;
    return {
      // Rounded down: 100 means every lesson is done (199 of 200 is 99, not 100).
      percent: ordered.length ? Math.floor((done / ordered.length) * 100) : 0,
      complete: ordered.length > 0 && done === ordered.length,
      completedLessons: done,
      totalLessons: ordered.length,
      lessons: ordered.map((l) => ({
        lessonId: l.id,
        completed: completed.has(l.id),
        completedAt: byLesson.get(l.id)?.completedAt?.toISOString() ?? null,
        watchedSeconds: byLesson.get(l.id)?.watchedSeconds ?? 0,
        locked: states.get(l.id)!.locked,
        unlocksAt: states.get(l.id)!.unlocksAt?.toISOString() ?? null,
      })),
    };
  }

  async function sideEffects(
    tx: Tx,
    enrollment: typeof enrollments.$inferSelect,
    firstCompletion: boolean,
    courseDone: boolean,
  ) {
    const [school] = await tx.select().from(schools).where(eq(schools.id, enrollment.schoolId));
    const today = dayIn(school!.timezone, now());
    await tx.insert(learningDays).values({ studentId: enrollment.studentId, day: today }).onConflictDoNothing();
    const award = (code: string, courseId: string | null = null) =>
      tx.insert(achievements).values({ studentId: enrollment.studentId, code, courseId }).onConflictDoNothing();
    if (firstCompletion) await award('first_lesson');
    const days = (
      await tx
        .select({ day: learningDays.day })
        .from(learningDays)
        .where(eq(learningDays.studentId, enrollment.studentId))
    ).map((d) => d.day);
    const { currentStreak } = streaks(days, today);
    for (const [n, code] of STREAK_ACHIEVEMENTS) if (currentStreak >= n) await award(code);
    if (courseDone) {
      await award('course_completed', enrollment.courseId);
      const [student] = await tx.select().from(users).where(eq(users.id, enrollment.studentId));
      const [course] = await tx.select().from(courses).where(eq(courses.id, enrollment.courseId));
      await tx
        .insert(certificates)
        .values({
          id: newId('certificate'),
          schoolId: enrollment.schoolId,
          studentId: enrollment.studentId,
          courseId: enrollment.courseId,
          code: randomBytes(10).toString('base64url'),
          studentName: student!.name,
          courseTitle: course!.title,
          schoolName: school!.name,
        })
        .onConflictDoNothing({ target: [certificates.studentId, certificates.courseId] });
    }
  }

  return {
    progressOf,

    /** Records progress on one lesson (PATCH /enrollments/{id}). */
    async record(schoolId: string, enrollmentId: string, input: ProgressInput) {
      return db.transaction(async (tx) => {
        const [enrollment] = await tx
          .select()
          .from(enrollments)
          .where(and(eq(enrollments.schoolId, schoolId), eq(enrollments.id, enrollmentId)))
          .for('update');
        if (!enrollment) throw notFound('Enrollment');
        const { sections: secs, lessons: less, lessonRows } = await curriculum(tx, enrollment.courseId);
        const lesson = lessonRows.find((l) => l.id === input.lessonId && l.status === 'published') as
          | LessonRow
          | undefined;
        if (!lesson)
          throw new AppError('validation_error', 'Not a published lesson of this course.', [
            { path: 'lessonId', message: 'Not a published lesson of this course.' },
          ]);

        const rows = await tx.select().from(lessonProgress).where(eq(lessonProgress.enrollmentId, enrollment.id));
        const completedBefore = new Set(rows.filter((r) => r.completedAt).map((r) => r.lessonId));
        const state = lessonStates({
          sections: secs,
          lessons: less,
          completed: completedBefore,
          enrolledAt: enrollment.createdAt,
          now: now(),
        }).get(lesson.id)!;
        if (state.locked) {
          const when = state.unlocksAt?.toISOString();
          throw new AppError(
            'lesson_locked',
            when ? `This lesson unlocks at ${when}.` : 'This lesson is locked until earlier lessons are completed.',
            [
              {
                path: 'lessonId',
                message: when ? `Unlocks at ${when}.` : 'Complete the lessons before it first.',
                code: 'lesson_locked',
                ...(when ? { unlocksAt: when } : {}),
              },
            ],
          );
        }

        const previous = rows.find((r) => r.lessonId === lesson.id);
        const watched = Math.max(previous?.watchedSeconds ?? 0, input.watchedSeconds ?? 0);
        let completes = input.completed;
        let attempt: { id: string; score: number; passed: boolean } | undefined;
        if (input.answers && !input.completed) {
          throw new AppError('validation_error', 'Answers are an attempt: send them with completed: true.', [
            { path: 'answers', message: 'Only with completed: true.' },
          ]);
        }
        if (input.completed) {
          const rule = lesson.completion.type;
          if (rule === 'none')
            throw new AppError('validation_error', 'This lesson has no completion.', [
              { path: 'completed', message: 'This lesson cannot be completed.' },
            ]);
          if (rule === 'video' && lesson.duration && watched < 0.9 * lesson.duration) {
            throw new AppError(
              'validation_error',
              `Watch at least 90 % of the video first (${Math.ceil(0.9 * lesson.duration)} of ${lesson.duration} s).`,
              [{ path: 'watchedSeconds', message: `At least ${Math.ceil(0.9 * lesson.duration)}.` }],
            );
          }
          if (rule === 'quiz') {
            if (!input.answers)
              throw new AppError('validation_error', 'A quiz is completed by its answers.', [
                { path: 'answers', message: 'Required' },
              ]);
            const quiz = lesson.content as QuizContent;
            const score = scoreQuiz(quiz, input.answers);
            const passed = score >= quiz.passingScore;
            const [row] = await tx
              .insert(quizAttempts)
              .values({
                id: newId('quizAttempt'),
                enrollmentId: enrollment.id,
                lessonId: lesson.id,
                answers: input.answers,
                score,
                passed,
              })
              .returning();
            attempt = { id: row!.id, score, passed };
            // A failed attempt is stored; it leaves the lesson as it was (open, or completed by an earlier pass).
            completes = passed || Boolean(previous?.completedAt);
          }
        }
        const completedAt = completes ? (previous?.completedAt ?? now()) : null;
        const [saved] = await tx
          .insert(lessonProgress)
          .values({ enrollmentId: enrollment.id, lessonId: lesson.id, completedAt, watchedSeconds: watched })
          .onConflictDoUpdate({
            target: [lessonProgress.enrollmentId, lessonProgress.lessonId],
            set: { completedAt, watchedSeconds: watched, updatedAt: sql`now()` },
          })
          .returning();
        // Progress from what is loaded already, with this lesson's new row.
        const rowsNow = [...rows.filter((r) => r.lessonId !== lesson.id), saved!];
        const progress = await progressOf(tx, enrollment, { sections: secs, lessons: less, rows: rowsNow });
        if (completes && !previous?.completedAt) {
          const anyBefore = await tx
            .select({ n: sql<number>`count(*)::int` })
            .from(lessonProgress)
            .innerJoin(enrollments, eq(enrollments.id, lessonProgress.enrollmentId))
            .where(
              and(eq(enrollments.studentId, enrollment.studentId), sql`${lessonProgress.completedAt} IS NOT NULL`),
            );
          await sideEffects(tx, enrollment, (anyBefore[0]?.n ?? 0) === 1, progress.complete);
        }
        return { enrollment, progress, attempt };
      });
    },

    async attempts(enrollmentId: string, lessonIds?: string[]) {
      return db
        .select()
        .from(quizAttempts)
        .where(
          lessonIds
            ? and(eq(quizAttempts.enrollmentId, enrollmentId), inArray(quizAttempts.lessonId, lessonIds))
            : eq(quizAttempts.enrollmentId, enrollmentId),
        )
        .orderBy(asc(quizAttempts.createdAt));
    },

    verifyUrl: (code: string) => `${publicUrl}/api/v1/verify/${code}`,
  };
}
export type ProgressService = ReturnType<typeof createProgressService>;
