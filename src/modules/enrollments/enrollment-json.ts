import type { EnrollmentRow } from './enrollments.repo.js';
import type { Enrollment } from './enrollments.schemas.js';
import type { AttemptRow } from './progress.repo.js';

/**
 * The API shapes of an enrollment, shared by the enrollments service (responses) and the progress
 * service (the payloads of the events it records): one presenter, so an event's object is exactly
 * what GET returns.
 */
export function presentEnrollment(row: EnrollmentRow): Enrollment {
  return {
    object: 'enrollment',
    id: row.id,
    studentId: row.studentId,
    courseId: row.courseId,
    enrolledAt: row.createdAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** One entry of `quizAttempts`. */
export function presentAttempt(a: AttemptRow) {
  return {
    id: a.id,
    lessonId: a.lessonId,
    answers: a.answers,
    score: a.score,
    passed: a.passed,
    createdAt: a.createdAt.toISOString(),
  };
}

/** The enrollment with its progress and its newest quiz attempts (GET /enrollments/{id}); after a PATCH with answers, that attempt. */
export function presentDetailed<P>(
  row: EnrollmentRow,
  view: { progress: P; attempts: AttemptRow[] },
  lastAttempt?: AttemptRow,
) {
  return {
    ...presentEnrollment(row),
    progress: view.progress,
    quizAttempts: view.attempts.map(presentAttempt),
    ...(lastAttempt
      ? {
          lastAttempt: {
            id: lastAttempt.id,
            lessonId: lastAttempt.lessonId,
            score: lastAttempt.score,
            passed: lastAttempt.passed,
            createdAt: lastAttempt.createdAt.toISOString(),
          },
        }
      : {}),
  };
}
