import type { Db } from '../../db/client.js';
import { cursorValue } from '../../db/keyset.js';
import { AppError, notFound } from '../../lib/errors.js';
import { assertIfMatch, etagOf } from '../../lib/etag.js';
import { newId } from '../../lib/ids.js';
import { paginate, toListRequest } from '../../lib/pagination.js';
import type { EventService } from '../events/events.service.js';
import { presentEnrollment as present, presentDetailed } from './enrollment-json.js';
import * as repo from './enrollments.repo.js';
import type { BulkEnrollment, CreateEnrollment, Enrollment } from './enrollments.schemas.js';
import type { AttemptRow } from './progress.repo.js';
import type { ProgressInput, ProgressService } from './progress.service.js';

type ProgressView = Awaited<ReturnType<ProgressService['view']>>['progress'];

const problem = (error: AppError['code'], path: string, message: string) =>
  new AppError(error, message, [{ path, message }]);

/** Enrollments: a student of the school in a published course of the school, once. */
export function createEnrollmentService({
  db,
  progress,
  events,
}: {
  db: Db;
  progress: ProgressService;
  events: EventService;
}) {
  function detailed(
    row: repo.EnrollmentRow,
    view: { progress: ProgressView; attempts: AttemptRow[] },
    lastAttempt?: AttemptRow,
  ) {
    return presentDetailed(row, view, lastAttempt);
  }

  return {
    /** The unique (student, course) index decides races: exactly one concurrent request wins. */
    async create(schoolId: string, input: CreateEnrollment) {
      const [student] = await repo.studentsOf(db, schoolId, { ids: [input.studentId], emails: [] });
      if (student?.role !== 'student')
        throw problem('validation_error', 'studentId', 'No such student in this school.');
      return db.transaction(async (tx) => {
        // FOR SHARE: the course cannot be unpublished between this check and the insert.
        const [course] = await repo.coursesOf(tx, schoolId, [input.courseId], true);
        if (!course) throw problem('validation_error', 'courseId', 'No such course in this school.');
        if (course.status !== 'published')
          throw problem('conflict', 'courseId', 'Students can enrol only in a published course.');
        const row = await repo.insertEnrollment(tx, schoolId, {
          id: newId('enrollment'),
          studentId: student.id,
          courseId: course.id,
        });
        const data = present(row);
        await events.record(tx, { schoolId, type: 'enrollment.created', object: data });
        return { data, etag: etagOf(row) };
      });
    },

    /**
     * Up to 1000 at once, each reported on its own (`created`, `exists` or `failed`): a bad item
     * does not stop the others. Students by id or email; all looked up and inserted in bulk.
     */
    async bulk(schoolId: string, input: BulkEnrollment) {
      const items = input.enrollments;
      const students = await repo.studentsOf(db, schoolId, {
        ids: items.flatMap((i) => (i.studentId ? [i.studentId] : [])),
        emails: items.flatMap((i) => (i.email ? [i.email] : [])),
      });
      const byId = new Map(students.filter((s) => s.role === 'student').map((s) => [s.id, s]));
      const byEmail = new Map(students.filter((s) => s.role === 'student').map((s) => [s.email.toLowerCase(), s]));
      const courses = new Map(
        (await repo.coursesOf(db, schoolId, [...new Set(items.map((i) => i.courseId))])).map((c) => [c.id, c]),
      );

      type Result = {
        index: number;
        status: 'created' | 'exists' | 'failed';
        enrollment?: Enrollment;
        error?: { error: string; message: string };
      };
      const results: Result[] = [];
      const wanted: { index: number; studentId: string; courseId: string }[] = [];
      items.forEach((item, index) => {
        const student = item.studentId ? byId.get(item.studentId) : byEmail.get(item.email!.toLowerCase());
        const course = courses.get(item.courseId);
        if (!student)
          results.push({
            index,
            status: 'failed',
            error: { error: 'validation_error', message: 'No such student in this school.' },
          });
        else if (!course)
          results.push({
            index,
            status: 'failed',
            error: { error: 'validation_error', message: 'No such course in this school.' },
          });
        else if (course.status !== 'published')
          results.push({
            index,
            status: 'failed',
            error: { error: 'conflict', message: 'The course is not published.' },
          });
        else wanted.push({ index, studentId: student.id, courseId: course.id });
      });

      const unique = [...new Map(wanted.map((w) => [`${w.studentId}:${w.courseId}`, w])).values()];
      // The rows and their enrollment.created events (one per row created) commit together.
      const created = await db.transaction(async (tx) => {
        const rows = await repo.insertMissing(
          tx,
          schoolId,
          unique.map((w) => ({ id: newId('enrollment'), studentId: w.studentId, courseId: w.courseId })),
        );
        // Events of enrollments carry the enrollment as GET /enrollments lists it (without progress).
        await events.recordMany(
          tx,
          rows.map((row) => ({ schoolId, type: 'enrollment.created', object: present(row) })),
        );
        return rows;
      });
      const createdKeys = new Set(created.map((c) => `${c.studentId}:${c.courseId}`));
      const all = new Map((await repo.findPairs(db, schoolId, wanted)).map((e) => [`${e.studentId}:${e.courseId}`, e]));
      const reported = new Set<string>();
      for (const w of wanted) {
        const key = `${w.studentId}:${w.courseId}`;
        const row = all.get(key);
        if (!row) {
          // Removed by a concurrent request between the insert and this read.
          results.push({
            index: w.index,
            status: 'failed',
            error: { error: 'conflict', message: 'The enrollment was removed concurrently; retry.' },
          });
          continue;
        }
        const first = createdKeys.has(key) && !reported.has(key);
        reported.add(key);
        results.push({ index: w.index, status: first ? 'created' : 'exists', enrollment: present(row) });
      }
      return { results: results.sort((a, b) => a.index - b.index) };
    },

    async get(schoolId: string, id: string) {
      const view = await progress.view(schoolId, id);
      return { data: detailed(view.enrollment, view), etag: etagOf(view.enrollment) };
    },

    /** PATCH: progress on one lesson, with its rules and side effects (progress.service). */
    async record(schoolId: string, id: string, input: ProgressInput) {
      const { enrollment, attempt, ...view } = await progress.record(schoolId, id, input);
      return detailed(enrollment, view, attempt);
    },

    async list(
      schoolId: string,
      query: Parameters<typeof toListRequest>[0] & { studentId?: string | undefined; courseId?: string | undefined },
    ) {
      const req = toListRequest(query, ['createdAt'], '-createdAt');
      const { rows, total } = await repo.listEnrollments(
        db,
        schoolId,
        { studentId: query.studentId, courseId: query.courseId },
        req,
      );
      const { items, pagination } = paginate(rows, req, total, (r) => cursorValue(r.createdAt));
      return { data: items.map(present), pagination };
    },

    /** Removes the enrollment (and, once progress exists, its progress). */
    async delete(schoolId: string, id: string, ifMatch?: string) {
      await db.transaction(async (tx) => {
        // Locked: the version checked and the enrollment the event shows are the ones deleted.
        const row = await repo.lockEnrollment(tx, schoolId, id);
        if (!row) throw notFound('Enrollment');
        assertIfMatch(ifMatch, row);
        if (!(await repo.deleteEnrollment(tx, schoolId, id))) throw notFound('Enrollment');
        await events.record(tx, { schoolId, type: 'enrollment.deleted', object: present(row) });
      });
    },
  };
}
export type EnrollmentService = ReturnType<typeof createEnrollmentService>;
