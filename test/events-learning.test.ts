/**
 * The events of learning (API.md §2 Webhooks and events), read back through GET /events: each write
 * records exactly its events, in its own transaction, with the resource as GET returns it, the
 * changed fields' old values and the key as actor; a refused or rolled-back write and a write that
 * changes nothing record none; another school sees none of them.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { call, createKey, createSchool, setupApp } from './helpers.js';

type Ev = {
  id: string;
  type: string;
  actor: { type: string; id: string | null };
  data: { object: Record<string, unknown>; previousAttributes?: Record<string, unknown> };
};

/** The types this suite is about: other services' events (course.created …) are not counted here. */
const TYPES = new Set([
  'student.created',
  'student.updated',
  'student.deleted',
  'enrollment.created',
  'enrollment.deleted',
  'lesson.completed',
  'quiz.attempted',
  'course.completed',
  'certificate.issued',
  'achievement.unlocked',
]);

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);
/** The writer: a `*` key whose id every event's actor must name. */
const writer = await createKey(ctx, A.id, ['*']);
/** The reader: webhooks:read and students:read (emails shown). */
const reader = await createKey(ctx, A.id, ['webhooks:read', 'students:read']);
const readerB = await createKey(ctx, B.id, ['webhooks:read', 'students:read']);
/** webhooks:read alone: events, but no emails. */
const noEmails = await createKey(ctx, A.id, ['webhooks:read']);
const actor = { type: 'key', id: writer.id };

const req = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, key = writer.key) =>
  call(ctx.app, method, `/api/v1${url}`, { key, body });

/** Every event after `cursor`, following pages. */
async function eventsAfter(cursor: string | null, key = reader.key) {
  const out: Ev[] = [];
  let after = cursor;
  for (;;) {
    const res = await req(
      'GET',
      `/events?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`,
      undefined,
      key,
    );
    expect(res.statusCode).toBe(200);
    const page = res.json() as { data: Ev[]; pagination: { nextCursor: string | null; hasMore: boolean } };
    out.push(...page.data);
    after = page.pagination.nextCursor;
    if (!page.pagination.hasMore) return { events: out, cursor: after };
  }
}

let cursor: string | null = null;
/** The events of this suite's types recorded since the last call (oldest first). */
async function fresh(): Promise<Ev[]> {
  const { events, cursor: next } = await eventsAfter(cursor);
  cursor = next;
  return events.filter((e) => TYPES.has(e.type));
}
const types = (events: Ev[]) => events.map((e) => e.type).sort();
const one = (events: Ev[], type: string) => {
  const found = events.filter((e) => e.type === type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};

async function enrolled(lessons: Record<string, unknown>[]) {
  const course = await req('POST', '/courses', {
    title: `Course ${Math.random()}`,
    isFree: true,
    status: 'published',
    sections: [{ title: 'S1', lessons }],
  });
  expect(course.statusCode).toBe(201);
  const c = course.json();
  const student = (
    await req('POST', '/students', { name: 'Ada Lovelace', email: `s${Math.random()}@example.com` })
  ).json();
  const enrollment = (await req('POST', '/enrollments', { studentId: student.id, courseId: c.id })).json();
  const lessonIds: string[] = c.sections.flatMap((s: { lessons: { id: string }[] }) => s.lessons.map((l) => l.id));
  await fresh();
  return { course: c, student, enrollment, lessonIds };
}
const getEnrollment = async (id: string) => (await req('GET', `/enrollments/${id}`)).json();

const quiz = {
  questions: [
    {
      text: '2+2',
      options: [
        { text: '4', correct: true },
        { text: '5', correct: false },
      ],
    },
    {
      text: 'primes',
      options: [
        { text: '2', correct: true },
        { text: '3', correct: true },
      ],
    },
  ],
  passingScore: 100,
};

beforeEach(async () => {
  await fresh();
});

describe('progress events', () => {
  it('a completion records lesson.completed (the enrollment as GET returns it, what changed) and first_lesson', async () => {
    const { enrollment, lessonIds, student } = await enrolled([
      { title: 'One' },
      { title: 'Two', unlock: { type: 'sequential' } },
    ]);
    const before = await getEnrollment(enrollment.id);
    const res = await req('PATCH', `/enrollments/${enrollment.id}`, { lessonId: lessonIds[0], completed: true });
    expect(res.statusCode).toBe(200);
    const after = await getEnrollment(enrollment.id);

    const events = await fresh();
    expect(types(events)).toEqual(['achievement.unlocked', 'lesson.completed']);
    for (const e of events) expect(e.actor).toEqual(actor);
    const completed = one(events, 'lesson.completed');
    expect(completed.data.object).toEqual(after);
    // The completed lesson and the lesson it unlocked, as they were; the counters' old values.
    expect(completed.data.previousAttributes).toEqual({
      updatedAt: before.updatedAt,
      progress: {
        percent: 0,
        completedLessons: 0,
        lessons: [before.progress.lessons[0], before.progress.lessons[1]],
      },
    });
    expect(before.progress.lessons[1].locked).toBe(true);
    const achievement = one(events, 'achievement.unlocked');
    const listed = (await req('GET', `/students/${student.id}/achievements`)).json().data;
    expect(achievement.data.object).toEqual({ ...listed[0], studentId: student.id });
    expect(achievement.data.object).toMatchObject({ code: 'first_lesson', courseId: null });

    // The same completion again, more watch time, and a refused write: no event.
    expect(
      (await req('PATCH', `/enrollments/${enrollment.id}`, { lessonId: lessonIds[0], completed: true })).statusCode,
    ).toBe(200);
    expect(
      (
        await req('PATCH', `/enrollments/${enrollment.id}`, {
          lessonId: lessonIds[1],
          completed: false,
          watchedSeconds: 30,
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await req('PATCH', `/enrollments/${enrollment.id}`, { lessonId: 'les_nope', completed: true })).statusCode,
    ).toBe(400);
    expect(await fresh()).toEqual([]);

    // The last lesson: lesson.completed, course.completed, the certificate and course_completed.
    const done = await req('PATCH', `/enrollments/${enrollment.id}`, { lessonId: lessonIds[1], completed: true });
    expect(done.json().progress.percent).toBe(100);
    const final = await getEnrollment(enrollment.id);
    const last = await fresh();
    expect(types(last)).toEqual(['achievement.unlocked', 'certificate.issued', 'course.completed', 'lesson.completed']);
    expect(one(last, 'lesson.completed').data.object).toEqual(final);
    expect(one(last, 'course.completed').data.object).toEqual(final);
    expect(one(last, 'course.completed').data.previousAttributes).toBeUndefined();
    const certificate = one(last, 'certificate.issued').data.object;
    const got = await req('GET', `/certificates/${certificate.id}`);
    expect(got.statusCode).toBe(200);
    expect(certificate).toEqual(got.json());
    expect(one(last, 'achievement.unlocked').data.object).toMatchObject({
      code: 'course_completed',
      courseId: final.courseId,
      studentId: student.id,
    });
  });

  it('a quiz attempt records quiz.attempted (the attempt as the API returns it); only a pass completes', async () => {
    const { enrollment, lessonIds, student } = await enrolled([{ title: 'Quiz', type: 'quiz', content: quiz }]);
    const failed = await req('PATCH', `/enrollments/${enrollment.id}`, {
      lessonId: lessonIds[0],
      completed: true,
      answers: [[0], [0]],
    });
    expect(failed.json().lastAttempt).toMatchObject({ score: 50, passed: false });
    const events = await fresh();
    expect(types(events)).toEqual(['quiz.attempted']);
    const attempt = (await getEnrollment(enrollment.id)).quizAttempts[0];
    expect(events[0]!.data.object).toEqual({
      object: 'quiz_attempt',
      ...attempt,
      enrollmentId: enrollment.id,
      studentId: student.id,
      courseId: enrollment.courseId,
    });
    expect(events[0]!.data.object).toMatchObject({ score: 50, passed: false, answers: [[0], [0]] });
    expect(events[0]!.actor).toEqual(actor);

    const passed = await req('PATCH', `/enrollments/${enrollment.id}`, {
      lessonId: lessonIds[0],
      completed: true,
      answers: [[0], [0, 1]],
    });
    expect(passed.json().progress.percent).toBe(100);
    const all = await fresh();
    expect(types(all)).toEqual([
      'achievement.unlocked',
      'achievement.unlocked',
      'certificate.issued',
      'course.completed',
      'lesson.completed',
      'quiz.attempted',
    ]);
    expect(one(all, 'quiz.attempted').data.object).toMatchObject({ score: 100, passed: true });
    expect(one(all, 'lesson.completed').data.object).toEqual(await getEnrollment(enrollment.id));

    // A failed retake of a passed quiz is an attempt, not a completion.
    await req('PATCH', `/enrollments/${enrollment.id}`, {
      lessonId: lessonIds[0],
      completed: true,
      answers: [[1], []],
    });
    expect(types(await fresh())).toEqual(['quiz.attempted']);
  });

  it('concurrent writes: one event per attempt stored, one course.completed and one certificate', async () => {
    const { enrollment, lessonIds } = await enrolled([
      { title: 'Quiz', type: 'quiz', content: quiz },
      { title: 'One' },
      { title: 'Two' },
    ]);
    // Eight failed attempts at once: some lose the optimistic race and run again under the lock.
    const attempts = await Promise.all(
      Array.from({ length: 8 }, () =>
        req('PATCH', `/enrollments/${enrollment.id}`, { lessonId: lessonIds[0], completed: true, answers: [[1], []] }),
      ),
    );
    expect(attempts.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    const stored = (await getEnrollment(enrollment.id)).quizAttempts.map((a: { id: string }) => a.id).sort();
    const recorded = await fresh();
    expect(types(recorded)).toEqual(Array(8).fill('quiz.attempted'));
    expect(recorded.map((e) => e.data.object.id).sort()).toEqual(stored);

    // The quiz and the two lessons completed at once: each completion once, the course once.
    const done = await Promise.all([
      req('PATCH', `/enrollments/${enrollment.id}`, {
        lessonId: lessonIds[0],
        completed: true,
        answers: [[0], [0, 1]],
      }),
      req('PATCH', `/enrollments/${enrollment.id}`, { lessonId: lessonIds[1], completed: true }),
      req('PATCH', `/enrollments/${enrollment.id}`, { lessonId: lessonIds[2], completed: true }),
    ]);
    expect(done.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    const events = await fresh();
    expect(types(events)).toEqual([
      'achievement.unlocked',
      'achievement.unlocked',
      'certificate.issued',
      'course.completed',
      'lesson.completed',
      'lesson.completed',
      'lesson.completed',
      'quiz.attempted',
    ]);
    expect(one(events, 'course.completed').data.object).toEqual(await getEnrollment(enrollment.id));
  });

  it('a write rolled back records nothing: the event and the change commit together', async () => {
    const { enrollment, lessonIds } = await enrolled([
      { title: 'Quiz', type: 'quiz', content: quiz },
      { title: 'Two' },
    ]);
    // Any event insert fails now: the attempt (and the completion with it) must not be stored either.
    await ctx.database.pool.query(`
      CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
      CREATE TRIGGER refuse_event BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_event();`);
    try {
      const attempt = await req('PATCH', `/enrollments/${enrollment.id}`, {
        lessonId: lessonIds[0],
        completed: true,
        answers: [[0], [0]],
      });
      expect(attempt.statusCode).toBe(500);
      const completion = await req('PATCH', `/enrollments/${enrollment.id}`, {
        lessonId: lessonIds[1],
        completed: true,
      });
      expect(completion.statusCode).toBe(500);
    } finally {
      await ctx.database.pool.query('DROP TRIGGER refuse_event ON events; DROP FUNCTION refuse_event();');
    }
    const state = await getEnrollment(enrollment.id);
    expect(state.quizAttempts).toEqual([]);
    expect(state.progress.completedLessons).toBe(0);
    expect((await req('GET', `/certificates?studentId=${enrollment.studentId}`)).json().data).toEqual([]);
    expect(await fresh()).toEqual([]);
  });

  it('school B sees none of school A’s events', async () => {
    const { enrollment, lessonIds } = await enrolled([{ title: 'One' }]);
    await req('PATCH', `/enrollments/${enrollment.id}`, { lessonId: lessonIds[0], completed: true });
    const mine = await fresh();
    expect(mine.length).toBeGreaterThan(0);
    const { events } = await eventsAfter(null, readerB.key);
    expect(events).toEqual([]);
    for (const e of mine) {
      expect((await req('GET', `/events/${e.id}`, undefined, readerB.key)).statusCode).toBe(404);
      expect((await req('GET', `/events/${e.id}`, undefined, reader.key)).json()).toEqual(e);
    }
  });
});

describe('enrollment events', () => {
  it('POST /enrollments records enrollment.created; a refused one records nothing', async () => {
    const { course, student } = await enrolled([{ title: 'One' }]);
    const other = (await req('POST', '/students', { name: 'Grace', email: `g${Math.random()}@example.com` })).json();
    await fresh();
    const res = await req('POST', '/enrollments', { studentId: other.id, courseId: course.id });
    expect(res.statusCode).toBe(201);
    const events = await fresh();
    expect(types(events)).toEqual(['enrollment.created']);
    expect(events[0]!.data.object).toEqual(res.json());
    expect(events[0]!.actor).toEqual(actor);
    const listed = (await req('GET', `/enrollments?studentId=${other.id}`)).json().data;
    expect(listed).toEqual([res.json()]);

    // Already enrolled, and a draft course: refused, no event.
    expect((await req('POST', '/enrollments', { studentId: student.id, courseId: course.id })).statusCode).toBe(409);
    const draft = (await req('POST', '/courses', { title: `Draft ${Math.random()}` })).json();
    expect((await req('POST', '/enrollments', { studentId: other.id, courseId: draft.id })).statusCode).toBe(409);
    expect(await fresh()).toEqual([]);
  });

  it('POST /enrollments/bulk records one enrollment.created per enrollment it created', async () => {
    const { course, student } = await enrolled([{ title: 'One' }]);
    const s1 = (await req('POST', '/students', { name: 'S1', email: `b1${Math.random()}@example.com` })).json();
    const s2 = (await req('POST', '/students', { name: 'S2', email: `b2${Math.random()}@example.com` })).json();
    await fresh();
    const res = await req('POST', '/enrollments/bulk', {
      enrollments: [
        { studentId: s1.id, courseId: course.id },
        { email: s2.email, courseId: course.id },
        { studentId: s1.id, courseId: course.id },
        { studentId: student.id, courseId: course.id },
        { studentId: 'usr_nope', courseId: course.id },
      ],
    });
    expect(res.statusCode).toBe(200);
    const results = res.json().results as { status: string; enrollment?: Record<string, unknown> }[];
    expect(results.map((r) => r.status)).toEqual(['created', 'created', 'exists', 'exists', 'failed']);
    const events = await fresh();
    expect(types(events)).toEqual(['enrollment.created', 'enrollment.created']);
    const objects = events.map((e) => e.data.object).sort((a, b) => String(a.id).localeCompare(String(b.id)));
    const created = [results[0]!.enrollment!, results[1]!.enrollment!].sort((a, b) =>
      String(a.id).localeCompare(String(b.id)),
    );
    expect(objects).toEqual(created);
    for (const e of events) expect(e.actor).toEqual(actor);

    // The same request again creates nothing and records nothing.
    const again = await req('POST', '/enrollments/bulk', { enrollments: [{ studentId: s1.id, courseId: course.id }] });
    expect(again.json().results[0].status).toBe('exists');
    expect(await fresh()).toEqual([]);
  });

  it('DELETE /enrollments/{id} records enrollment.deleted with the enrollment as it was', async () => {
    const { enrollment } = await enrolled([{ title: 'One' }]);
    const got = await req('GET', `/enrollments/${enrollment.id}`);
    const stale = await call(ctx.app, 'DELETE', `/api/v1/enrollments/${enrollment.id}`, {
      key: writer.key,
      headers: { 'if-match': '"0"' },
    });
    expect(stale.statusCode).toBe(412);
    expect(await fresh()).toEqual([]);
    const res = await call(ctx.app, 'DELETE', `/api/v1/enrollments/${enrollment.id}`, {
      key: writer.key,
      headers: { 'if-match': got.headers.etag as string },
    });
    expect(res.statusCode).toBe(204);
    const events = await fresh();
    expect(types(events)).toEqual(['enrollment.deleted']);
    expect(events[0]!.data.object).toEqual(enrollment);
    expect(events[0]!.actor).toEqual(actor);
    expect((await req('DELETE', `/enrollments/${enrollment.id}`)).statusCode).toBe(404);
    expect(await fresh()).toEqual([]);
  });
});

describe('student events', () => {
  const email = () => `ev${Math.random().toString(36).slice(2)}@example.com`;

  it('POST /students and POST /users with role student record student.created; other roles record nothing', async () => {
    const res = await req('POST', '/students', { name: 'Jane', email: email(), bio: 'Hi' });
    expect(res.statusCode).toBe(201);
    const viaUsers = await req('POST', '/users', { name: 'Joe', email: email(), role: 'student' });
    expect(viaUsers.statusCode).toBe(201);
    expect((await req('POST', '/users', { name: 'Teacher', email: email(), role: 'instructor' })).statusCode).toBe(201);
    expect((await req('POST', '/users', { name: 'Bot', email: email(), role: 'bot' })).statusCode).toBe(201);
    const events = await fresh();
    expect(types(events)).toEqual(['student.created', 'student.created']);
    const byId = new Map(events.map((e) => [e.data.object.id, e]));
    for (const created of [res.json(), viaUsers.json()]) {
      const got = (await req('GET', `/students/${created.id}`)).json();
      expect(byId.get(created.id)!.data.object).toEqual(got);
      expect(byId.get(created.id)!.actor).toEqual(actor);
      expect(byId.get(created.id)!.data.previousAttributes).toBeUndefined();
    }
    // A duplicate email is refused: no event.
    expect((await req('POST', '/students', { name: 'Again', email: res.json().email })).statusCode).toBe(409);
    expect(await fresh()).toEqual([]);
  });

  it('emails in student events need students:read as well as webhooks:read', async () => {
    const res = await req('POST', '/students', { name: 'Private', email: email() });
    const student = res.json();
    await req('PATCH', `/students/${student.id}`, { email: email() });
    const full = (await fresh()).filter((e) => e.data.object.id === student.id);
    expect(types(full)).toEqual(['student.created', 'student.updated']);
    expect(full[0]!.data.object.email).toBe(student.email);
    expect(full[1]!.data.previousAttributes!.email).toBe(student.email);

    const { events } = await eventsAfter(null, noEmails.key);
    const hidden = events.filter((e) => e.data.object.id === student.id);
    expect(hidden).toHaveLength(2);
    expect(hidden[0]!.data.object).toEqual({ ...full[0]!.data.object, email: null });
    expect(hidden[1]!.data.object).toEqual({ ...full[1]!.data.object, email: null });
    expect(hidden[1]!.data.previousAttributes).toEqual({ ...full[1]!.data.previousAttributes, email: null });
    const one = await req('GET', `/events/${full[0]!.id}`, undefined, noEmails.key);
    expect(one.json().data.object.email).toBeNull();
    expect(JSON.stringify(events)).not.toContain(student.email);
    expect((await req('GET', `/events/${full[0]!.id}`, undefined, reader.key)).json().data.object.email).toBe(
      student.email,
    );
  });

  it('PATCH records student.updated with the changed fields; an unchanged or refused PATCH records nothing', async () => {
    const student = (await req('POST', '/students', { name: 'Before', email: email() })).json();
    const other = (await req('POST', '/students', { name: 'Other', email: email() })).json();
    await fresh();
    const res = await req('PATCH', `/students/${student.id}`, { name: 'After', bio: 'New bio' });
    expect(res.statusCode).toBe(200);
    const events = await fresh();
    expect(types(events)).toEqual(['student.updated']);
    expect(events[0]!.data.object).toEqual((await req('GET', `/students/${student.id}`)).json());
    expect(events[0]!.data.previousAttributes).toEqual({ name: 'Before', bio: null, updatedAt: student.updatedAt });
    expect(events[0]!.actor).toEqual(actor);

    // The same values again: nothing changed, nothing recorded. A taken email: refused, nothing recorded.
    expect((await req('PATCH', `/students/${student.id}`, { name: 'After', bio: 'New bio' })).statusCode).toBe(200);
    expect((await req('PATCH', `/students/${student.id}`, { email: other.email })).statusCode).toBe(409);
    expect(await fresh()).toEqual([]);

    // A new password changes no field the API shows, but it is a change of the student.
    const before = (await req('GET', `/students/${student.id}`)).json();
    expect((await req('PATCH', `/students/${student.id}`, { password: 'a new password' })).statusCode).toBe(200);
    const pw = await fresh();
    expect(types(pw)).toEqual(['student.updated']);
    expect(pw[0]!.data.previousAttributes).toEqual({ updatedAt: before.updatedAt });
    expect(JSON.stringify(pw)).not.toContain('a new password');
  });

  it('a role change to or from student is a student.updated; other users’ changes record nothing', async () => {
    const student = (await req('POST', '/students', { name: 'Becomes teacher', email: email() })).json();
    const teacher = (await req('POST', '/users', { name: 'Teacher', email: email(), role: 'instructor' })).json();
    await fresh();
    const promoted = await req('PATCH', `/users/${student.id}`, { role: 'instructor' });
    expect(promoted.statusCode).toBe(200);
    const events = await fresh();
    expect(types(events)).toEqual(['student.updated']);
    expect(events[0]!.data.object).toMatchObject({ object: 'student', id: student.id, role: 'instructor' });
    expect(events[0]!.data.previousAttributes).toMatchObject({ role: 'student' });

    expect((await req('PATCH', `/users/${teacher.id}`, { name: 'Renamed' })).statusCode).toBe(200);
    expect((await req('DELETE', `/users/${teacher.id}`)).statusCode).toBe(204);
    expect(await fresh()).toEqual([]);
  });

  it('DELETE records student.deleted with the student as they were; a failed delete records nothing', async () => {
    const student = (await req('POST', '/students', { name: 'Leaving', email: email() })).json();
    await fresh();
    const got = await req('GET', `/students/${student.id}`);
    const stale = await call(ctx.app, 'DELETE', `/api/v1/students/${student.id}`, {
      key: writer.key,
      headers: { 'if-match': '"999"' },
    });
    expect(stale.statusCode).toBe(412);
    expect(await fresh()).toEqual([]);
    expect((await req('DELETE', `/students/${student.id}`)).statusCode).toBe(204);
    const events = await fresh();
    expect(types(events)).toEqual(['student.deleted']);
    expect(events[0]!.data.object).toEqual(got.json());
    expect(events[0]!.actor).toEqual(actor);
    expect((await req('DELETE', `/students/${student.id}`)).statusCode).toBe(404);
    expect(await fresh()).toEqual([]);
  });
});
