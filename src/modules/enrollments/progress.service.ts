import { randomBytes } from 'node:crypto';
import type { Db, Tx } from '../../db/client.js';
import type { QuizContent } from '../../db/schema/index.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { courseOrder, lessonStates } from '../../lib/unlock.js';
import type { CourseService } from '../courses/courses.service.js';
import type { EventService, RecordEvent } from '../events/events.service.js';
import type { SchoolService } from '../schools/schools.service.js';
import type { UserService } from '../users/users.service.js';
import * as certificatesRepo from './certificates.repo.js';
import type { CertificateService } from './certificates.service.js';
import { presentAttempt, presentDetailed } from './enrollment-json.js';
import * as enrollmentsRepo from './enrollments.repo.js';
import * as learningRepo from './learning.repo.js';
import * as repo from './progress.repo.js';

export type ProgressInput = {
  lessonId: string;
  /** Left out (the /me route): the lesson's completion stays as it is, e.g. a watch-time update. */
  completed?: boolean | undefined;
  watchedSeconds?: number | undefined;
  answers?: number[][] | undefined;
};

/** How many attempts per quiz lesson a response carries (the newest); every attempt stays stored. */
export const ATTEMPTS_PER_LESSON = 10;

/** A question counts only when exactly its correct options are chosen. */
export function scoreQuiz(quiz: { questions: { options: { correct: boolean }[] }[] }, answers: number[][]): number {
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

type Enrollment = enrollmentsRepo.EnrollmentRow;
type LessonProgress = { lessonId: string } & Record<string, unknown>;
type ProgressObject = { lessons: LessonProgress[] } & Record<string, unknown>;

/**
 * `previousAttributes.progress` of lesson.completed: the progress fields that changed, with their
 * old values, and in `lessons` the entries that changed (the completed lesson, lessons it
 * unlocked) as they were.
 */
export function progressChanges(before: ProgressObject, after: ProgressObject): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const key of Object.keys(before))
    if (key !== 'lessons' && before[key] !== after[key]) changed[key] = before[key];
  const old = new Map(before.lessons.map((l) => [l.lessonId, l]));
  const lessons = after.lessons.flatMap((l) => {
    const was = old.get(l.lessonId);
    return was && JSON.stringify(was) !== JSON.stringify(l) ? [was] : [];
  });
  if (lessons.length > 0) changed.lessons = lessons;
  return changed;
}
type Deps = {
  db: Db;
  now: () => Date;
  schools: SchoolService;
  users: UserService;
  courses: CourseService;
  certificates: CertificateService;
  events: EventService;
};
type EventInput = Omit<RecordEvent, 'schoolId'>;

/** The newest `ATTEMPTS_PER_LESSON` attempts of each lesson, oldest first (`attempts` is oldest first). */
function newestAttempts(attempts: repo.AttemptRow[]): repo.AttemptRow[] {
  const kept = new Map<string, number>();
  return [...attempts]
    .reverse()
    .filter((a) => {
      const n = (kept.get(a.lessonId) ?? 0) + 1;
      kept.set(a.lessonId, n);
      return n <= ATTEMPTS_PER_LESSON;
    })
    .reverse();
}

/** `409 lesson_locked`, with `unlocksAt` when a time opens the lesson (also the /me routes' answer). */
export const lockedError = (unlocksAt: Date | null) => {
  const when = unlocksAt?.toISOString();
  return new AppError(
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
};

/**
 * Progress of enrollments: lock rules (lib/unlock), completion rules, quiz attempts, and in the
 * same transaction the side effects — learning day, achievements, and at 100 % one certificate.
 * Writes to one enrollment are serialised by locking its row, so the completions of the last two
 * lessons cannot both miss (or both issue) the certificate.
 */
export function createProgressService({ db, now, schools, users, courses, certificates, events }: Deps) {
  /** The `progress` object of an enrollment. */
  function progressOf(enrollment: Enrollment, state: Pick<repo.LearnerState, 'sections' | 'lessons' | 'progress'>) {
    const byLesson = new Map(state.progress.map((r) => [r.lessonId, r]));
    const completed = new Set(state.progress.filter((r) => r.completedAt).map((r) => r.lessonId));
    const ordered = courseOrder(state.sections, state.lessons);
    const states = lessonStates({
      sections: state.sections,
      lessons: state.lessons,
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

  /**
   * A new completion: the learning day, the achievements it earns, and at 100 % the certificate.
   * Returns the events of what it really created (an achievement or certificate already held is none).
   */
  async function sideEffects(tx: Tx, enrollment: Enrollment, courseDone: boolean): Promise<EventInput[]> {
    const { schoolId, studentId, courseId } = enrollment;
    const school = await schools.read(tx, schoolId);
    const today = dayIn(school!.timezone, now());
    const { days, codes } = await learningRepo.recordLearningDay(tx, schoolId, studentId, today);
    const { currentStreak } = streaks([...days, today], today);
    const earned = [
      { code: 'first_lesson', courseId: null },
      ...STREAK_ACHIEVEMENTS.filter(([n]) => currentStreak >= n).map(([, code]) => ({ code, courseId: null })),
      ...(courseDone ? [{ code: 'course_completed', courseId }] : []),
    ];
    const held = new Set(codes);
    const awarded = await learningRepo.award(
      tx,
      schoolId,
      studentId,
      earned.filter((a) => !held.has(a.code)),
    );
    const out: EventInput[] = awarded.map((a) => ({
      type: 'achievement.unlocked',
      object: {
        object: 'achievement',
        studentId,
        code: a.code,
        courseId: a.courseId,
        awardedAt: a.awardedAt.toISOString(),
      },
    }));
    if (courseDone) {
      const student = await users.read(tx, schoolId, studentId);
      const course = await courses.read(tx, schoolId, courseId);
      const certificate = await certificatesRepo.insertCertificate(tx, schoolId, {
        id: newId('certificate'),
        studentId,
        courseId,
        code: randomBytes(10).toString('base64url'),
        studentName: student!.name,
        courseTitle: course!.title,
        schoolName: school!.name,
      });
      if (certificate) out.push({ type: 'certificate.issued', object: certificates.present(certificate) });
    }
    return out;
  }

  /**
   * The rules (lock, completion, quiz scoring) applied to what was read: the write to make, or
   * the error to answer. Pure, so the optimistic and the locked path decide alike.
   */
  function planWrite(state: repo.LearnerState & { enrollment: Enrollment }, input: ProgressInput) {
    // What a learner can take: published lessons outside draft sections.
    const takeable = courseOrder(state.sections, state.lessons);
    const lesson = takeable.find((l) => l.id === input.lessonId);
    if (!lesson)
      throw new AppError('validation_error', 'Not a published lesson of this course.', [
        { path: 'lessonId', message: 'Not a published lesson (in a published section) of this course.' },
      ]);
    const completedBefore = new Set(state.progress.filter((r) => r.completedAt).map((r) => r.lessonId));
    const lessonState = lessonStates({
      sections: state.sections,
      lessons: state.lessons,
      completed: completedBefore,
      enrolledAt: state.enrollment.createdAt,
      now: now(),
    }).get(lesson.id)!;
    if (lessonState.locked) throw lockedError(lessonState.unlocksAt);

    const previous = state.progress.find((r) => r.lessonId === lesson.id);
    const watched = Math.max(previous?.watchedSeconds ?? 0, input.watchedSeconds ?? 0);
    let completes = input.completed ?? Boolean(previous?.completedAt);
    let attempt: repo.ProgressWrite['attempt'];
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
        attempt = { id: newId('quizAttempt'), answers: input.answers, score, passed };
        // A failed attempt is stored; it leaves the lesson as it was (open, or completed by an earlier pass).
        completes = passed || Boolean(previous?.completedAt);
      }
    }
    const write: repo.ProgressWrite = {
      enrollmentId: state.enrollment.id,
      lessonId: lesson.id,
      completedAt: completes ? (previous?.completedAt ?? now()) : null,
      watchedSeconds: watched,
      attempt,
    };
    const progress = [
      ...state.progress.filter((r) => r.lessonId !== lesson.id),
      { lessonId: lesson.id, completedAt: write.completedAt, watchedSeconds: watched },
    ];
    const completedNow = new Set(progress.filter((r) => r.completedAt).map((r) => r.lessonId));
    return {
      write,
      progress,
      newCompletion: completes && !previous?.completedAt,
      courseDone: takeable.every((l) => completedNow.has(l.id)),
    };
  }

  /** The PATCH result from what was read plus what was written: nothing is read back. */
  function result(
    state: repo.LearnerState & { enrollment: Enrollment },
    plan: ReturnType<typeof planWrite>,
    written: NonNullable<Awaited<ReturnType<typeof repo.writeProgress>>>,
  ) {
    const enrollment = { ...state.enrollment, version: written.version, updatedAt: written.updatedAt };
    const a = plan.write.attempt;
    const attempt = a && { ...a, lessonId: plan.write.lessonId, createdAt: written.attemptCreatedAt! };
    return {
      enrollment,
      progress: progressOf(enrollment, { ...state, progress: plan.progress }),
      attempts: attempt ? newestAttempts([...state.attempts, attempt]) : state.attempts,
      attempt,
    };
  }

  /**
   * The events of a progress write, built from what was read and written: the quiz attempt, and on
   * a new completion the lesson (and at 100 % the course) completed, with the enrollment as
   * GET /enrollments/{id} returns it. More watch time or a repeated completion is no event.
   */
  function writeEvents(
    state: repo.LearnerState & { enrollment: Enrollment },
    plan: ReturnType<typeof planWrite>,
    written: NonNullable<Awaited<ReturnType<typeof repo.writeProgress>>>,
  ): EventInput[] {
    if (!plan.write.attempt && !plan.newCompletion) return [];
    const out: EventInput[] = [];
    const after = result(state, plan, written);
    const { id: enrollmentId, studentId, courseId } = state.enrollment;
    if (after.attempt) {
      const attempt = presentAttempt(after.attempt);
      out.push({
        type: 'quiz.attempted',
        object: { object: 'quiz_attempt', ...attempt, enrollmentId, studentId, courseId },
      });
    }
    if (plan.newCompletion) {
      const object = presentDetailed(after.enrollment, after);
      const previousAttributes = {
        updatedAt: state.enrollment.updatedAt.toISOString(),
        progress: progressChanges(progressOf(state.enrollment, state), after.progress),
      };
      out.push({ type: 'lesson.completed', object, previousAttributes });
      if (plan.courseDone) out.push({ type: 'course.completed', object });
    }
    return out;
  }

  /** One statement for all of a write's events; none when there are none. */
  const recordAll = (tx: Tx, schoolId: string, inputs: EventInput[]) =>
    events.recordMany(
      tx,
      inputs.map((input) => ({ schoolId, ...input })),
    );

  return {
    /** The enrollment with its progress and newest quiz attempts (GET /enrollments/{id}), in one query. */
    async view(schoolId: string, enrollmentId: string) {
      const state = await repo.learnerState(db, schoolId, enrollmentId, { attemptsPerLesson: ATTEMPTS_PER_LESSON });
      if (!state) throw notFound('Enrollment');
      return { enrollment: state.enrollment, progress: progressOf(state.enrollment, state), attempts: state.attempts };
    },

    /**
     * Records progress on one lesson (PATCH /enrollments/{id}). Most writes change one row and
     * have no side effects (more watch time, a repeated completion, a failed attempt): they are
     * written optimistically, in one statement that applies only if the enrollment's version is
     * still the one read. A new completion (side effects) and a write that lost that race run
     * again under the enrollment's row lock, which serialises them with every other write.
     */
    async record(schoolId: string, enrollmentId: string, input: ProgressInput) {
      const opts = { contentOf: input.lessonId, attemptsPerLesson: ATTEMPTS_PER_LESSON };
      const seen = await repo.learnerState(db, schoolId, enrollmentId, opts);
      if (!seen) throw notFound('Enrollment');
      const optimistic = planWrite(seen, input);
      if (!optimistic.newCompletion && !optimistic.write.attempt) {
        // Nothing an integration hears about: one statement, no transaction, no event.
        const written = await repo.writeProgress(db, schoolId, seen.enrollment.version, optimistic.write);
        if (written) return result(seen, optimistic, written);
      } else if (!optimistic.newCompletion) {
        // An attempt that completes nothing: the write and its quiz.attempted event commit together.
        const written = await db.transaction(async (tx) => {
          const w = await repo.writeProgress(tx, schoolId, seen.enrollment.version, optimistic.write);
          if (w) await recordAll(tx, schoolId, writeEvents(seen, optimistic, w));
          return w;
        });
        if (written) return result(seen, optimistic, written);
      }
      const { state, plan, written } = await db.transaction(async (tx) => {
        if (!(await enrollmentsRepo.lockEnrollment(tx, schoolId, enrollmentId))) throw notFound('Enrollment');
        // Read after the lock: a statement's snapshot predates any lock it waits for.
        const state = (await repo.learnerState(tx, schoolId, enrollmentId, opts))!;
        const plan = planWrite(state, input);
        const written = (await repo.writeProgress(tx, schoolId, state.enrollment.version, plan.write))!;
        const effects = plan.newCompletion ? await sideEffects(tx, state.enrollment, plan.courseDone) : [];
        await recordAll(tx, schoolId, [...writeEvents(state, plan, written), ...effects]);
        return { state, plan, written };
      });
      // Built after the commit: the lock is held only for the rules and the writes.
      return result(state, plan, written);
    },
  };
}
export type ProgressService = ReturnType<typeof createProgressService>;
