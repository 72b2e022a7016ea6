/** The enrollments module's repos are scoped by school in every statement; the school_id backfill of migration 0008. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createDb } from '../src/db/client.js';
import { enrollments, lessonProgress } from '../src/db/schema/index.js';
import * as enrollmentsRepo from '../src/modules/enrollments/enrollments.repo.js';
import * as progressRepo from '../src/modules/enrollments/progress.repo.js';
import { databaseUrl } from './global-setup.js';
import { call, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);
const db = ctx.database.db;

async function enrolledInA() {
  const post = (url: string, body: unknown) => call(ctx.app, 'POST', url, { key: A.key, body });
  const course = (
    await post('/api/v1/courses', {
      title: `Course ${Math.random()}`,
      isFree: true,
      status: 'published',
      sections: [{ title: 'S1', lessons: [{ title: 'One' }, { title: 'Two' }] }],
    })
  ).json();
  const student = (await post('/api/v1/students', { name: 'Ada', email: `s${Math.random()}@example.com` })).json();
  const enrollment = (await post('/api/v1/enrollments', { studentId: student.id, courseId: course.id })).json();
  const lessonId: string = course.sections[0].lessons[0].id;
  const done = await call(ctx.app, 'PATCH', `/api/v1/enrollments/${enrollment.id}`, {
    key: A.key,
    body: { lessonId, completed: true, watchedSeconds: 40 },
  });
  expect(done.statusCode).toBe(200);
  return { enrollmentId: enrollment.id as string, courseId: course.id as string, lessonId };
}

describe("a repo call with school B's id never touches school A's rows", () => {
  it('deleteEnrollment with the wrong school deletes nothing', async () => {
    const { enrollmentId } = await enrolledInA();
    expect(await enrollmentsRepo.deleteEnrollment(db, B.id, enrollmentId)).toBe(false);
    expect(await db.select().from(enrollments).where(eq(enrollments.id, enrollmentId))).toHaveLength(1);
    expect(await db.select().from(lessonProgress).where(eq(lessonProgress.enrollmentId, enrollmentId))).toHaveLength(1);
    // The right school deletes it, with its progress.
    expect(await enrollmentsRepo.deleteEnrollment(db, A.id, enrollmentId)).toBe(true);
    expect(await db.select().from(lessonProgress).where(eq(lessonProgress.enrollmentId, enrollmentId))).toEqual([]);
  });

  it('writeProgress with the wrong school (or a stale version) writes nothing', async () => {
    const { enrollmentId, lessonId } = await enrolledInA();
    const where = and(eq(lessonProgress.enrollmentId, enrollmentId), eq(lessonProgress.lessonId, lessonId));
    const [before] = await db.select().from(lessonProgress).where(where);
    const [enrollment] = await db.select().from(enrollments).where(eq(enrollments.id, enrollmentId));
    const write = { enrollmentId, lessonId, completedAt: null, watchedSeconds: 999 };
    expect(await progressRepo.writeProgress(db, B.id, enrollment!.version, write)).toBeUndefined();
    expect(await progressRepo.writeProgress(db, A.id, enrollment!.version - 1, write)).toBeUndefined();
    const [after] = await db.select().from(lessonProgress).where(where);
    expect(after).toEqual(before);
    expect(after).toMatchObject({ schoolId: A.id, watchedSeconds: 40 });
    expect(after!.completedAt).not.toBeNull();
    expect((await db.select().from(enrollments).where(eq(enrollments.id, enrollmentId)))[0]).toEqual(enrollment);
    // The right school at the current version writes, and bumps the version.
    const written = await progressRepo.writeProgress(db, A.id, enrollment!.version, write);
    expect(written?.version).toBe(enrollment!.version + 1);
    expect((await db.select().from(lessonProgress).where(where))[0]).toMatchObject({ watchedSeconds: 999 });
  });

  it('reads with the wrong school find nothing', async () => {
    const { enrollmentId, courseId } = await enrolledInA();
    expect(await enrollmentsRepo.findEnrollment(db, B.id, enrollmentId)).toBeUndefined();
    expect(await db.transaction((tx) => enrollmentsRepo.lockEnrollment(tx, B.id, enrollmentId))).toBeUndefined();
    expect(await progressRepo.learnerState(db, B.id, enrollmentId, { attemptsPerLesson: 10 })).toBeUndefined();
    const own = await progressRepo.learnerState(db, A.id, enrollmentId, { attemptsPerLesson: 10 });
    expect(own?.enrollment.courseId).toBe(courseId);
    expect(own?.lessons).toHaveLength(2);
    expect(own?.progress).toHaveLength(1);
  });
});

describe('migration 0008 (school_id on the progress tables)', () => {
  it('fills school_id from the enrollment or the student, then makes it required', async () => {
    const { adminUrl } = inject('testDb');
    const name = `mig_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const database = createDb(databaseUrl(adminUrl, name), 2);
    const source = path.join(import.meta.dirname, '..', 'src', 'db', 'migrations');
    const before = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-mig-'));
    try {
      // The migrations up to 0007, then data as it was, then the rest.
      await fs.cp(source, before, { recursive: true });
      const journalPath = path.join(before, 'meta', '_journal.json');
      const journal = JSON.parse(await fs.readFile(journalPath, 'utf8')) as { entries: { tag: string }[] };
      const upTo = journal.entries.findIndex((e) => e.tag.startsWith('0008_'));
      journal.entries = journal.entries.slice(0, upTo);
      await fs.writeFile(journalPath, JSON.stringify(journal));
      await migrate(database.db, { migrationsFolder: before });

      const q = (text: string) => database.pool.query(text);
      await q(`INSERT INTO schools (id, name) VALUES ('sch_1', 'One'), ('sch_2', 'Two')`);
      await q(`INSERT INTO users (id, school_id, email, name, role) VALUES
                 ('usr_1', 'sch_1', 'a@example.com', 'A', 'student'), ('usr_2', 'sch_2', 'b@example.com', 'B', 'student')`);
      await q(
        `INSERT INTO courses (id, school_id, title, slug) VALUES ('crs_1', 'sch_1', 'C1', 'c1'), ('crs_2', 'sch_2', 'C2', 'c2')`,
      );
      await q(`INSERT INTO lessons (id, school_id, course_id, position, title) VALUES
                 ('les_1', 'sch_1', 'crs_1', 0, 'L1'), ('les_2', 'sch_2', 'crs_2', 0, 'L2')`);
      await q(`INSERT INTO enrollments (id, school_id, student_id, course_id) VALUES
                 ('enr_1', 'sch_1', 'usr_1', 'crs_1'), ('enr_2', 'sch_2', 'usr_2', 'crs_2')`);
      await q(`INSERT INTO lesson_progress (enrollment_id, lesson_id, completed_at) VALUES
                 ('enr_1', 'les_1', now()), ('enr_2', 'les_2', now())`);
      await q(`INSERT INTO quiz_attempts (id, enrollment_id, lesson_id, answers, score, passed) VALUES
                 ('qat_1', 'enr_1', 'les_1', '[]', 0, false), ('qat_2', 'enr_2', 'les_2', '[]', 0, false)`);
      await q(`INSERT INTO learning_days (student_id, day) VALUES ('usr_1', '2026-03-01'), ('usr_2', '2026-03-01')`);
      await q(
        `INSERT INTO achievements (student_id, code) VALUES ('usr_1', 'first_lesson'), ('usr_2', 'first_lesson')`,
      );

      await migrate(database.db, { migrationsFolder: source });

      for (const [table, owner] of [
        ['lesson_progress', 'enrollment_id'],
        ['quiz_attempts', 'enrollment_id'],
        ['learning_days', 'student_id'],
        ['achievements', 'student_id'],
      ] as const) {
        const { rows } = await q(`SELECT ${owner} AS owner, school_id FROM ${table} ORDER BY ${owner}`);
        expect(rows, table).toEqual([
          { owner: owner === 'student_id' ? 'usr_1' : 'enr_1', school_id: 'sch_1' },
          { owner: owner === 'student_id' ? 'usr_2' : 'enr_2', school_id: 'sch_2' },
        ]);
        await expect(q(`UPDATE ${table} SET school_id = NULL`), table).rejects.toThrow(/null value/);
      }
      // Deleting a school deletes its rows in the four tables.
      await q(`DELETE FROM schools WHERE id = 'sch_2'`);
      const { rows } = await q(`SELECT
          (SELECT count(*) FROM lesson_progress) + (SELECT count(*) FROM quiz_attempts)
          + (SELECT count(*) FROM learning_days) + (SELECT count(*) FROM achievements) AS n`);
      expect(rows[0].n).toBe(4);
    } finally {
      await database.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      await fs.rm(before, { recursive: true, force: true });
    }
  });
});
