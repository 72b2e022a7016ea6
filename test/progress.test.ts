/** Progress, lock and completion rules, quizzes, streaks, achievements and certificates over HTTP. */
import { execFileSync } from 'node:child_process';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { certificates } from '../src/db/schema/index.js';
import { call, createSchool, listen, setupApp, tally } from './helpers.js';

/** The text of a PDF as poppler's pdftotext extracts it (the fonts are embedded subsets). */
function pdfText(pdf: Buffer): string {
  return execFileSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: pdf, encoding: 'utf8' });
}

let clock = new Date('2026-03-02T10:00:00Z');
const ctx = await setupApp({ now: () => clock });
const A = await createSchool(ctx);
const B = await createSchool(ctx);
const post = (url: string, body: unknown, key = A.key) => call(ctx.app, 'POST', url, { key, body });

async function enrolled(lessons: Record<string, unknown>[], sections?: Record<string, unknown>[]) {
  const course = await post('/api/v1/courses', {
    title: `Course ${Math.random()}`,
    isFree: true,
    status: 'published',
    sections: sections ?? [{ title: 'S1', lessons }],
  });
  expect(course.statusCode).toBe(201);
  const c = course.json();
  const student = (
    await post('/api/v1/students', {
      name: `Ada Lovelace ${Math.random().toString(36).slice(2, 6)}`,
      email: `s${Math.random()}@example.com`,
    })
  ).json();
  const enrollment = (await post('/api/v1/enrollments', { studentId: student.id, courseId: c.id })).json();
  const lessonIds = c.sections.flatMap((s: { lessons: { id: string }[] }) => s.lessons.map((l) => l.id));
  return { course: c, student, enrollment, lessonIds };
}
const progress = (id: string, body: unknown, key = A.key) =>
  call(ctx.app, 'PATCH', `/api/v1/enrollments/${id}`, { key, body });

describe('the Blohko flow', () => {
  it('register, enrol, complete every lesson → 100 %, certificate, PDF, public verification', async () => {
    const { student, enrollment, lessonIds, course } = await enrolled([
      { title: 'One' },
      { title: 'Two' },
      { title: 'Draft', status: 'draft' },
    ]);
    const start = (await call(ctx.app, 'GET', `/api/v1/enrollments/${enrollment.id}`, { key: A.key })).json();
    expect(start.progress).toMatchObject({ percent: 0, completedLessons: 0, totalLessons: 2 });
    expect(start.progress.lessons.map((l: { locked: boolean }) => l.locked)).toEqual([false, false]);

    expect((await progress(enrollment.id, { lessonId: lessonIds[0], completed: true })).json().progress).toMatchObject({
      percent: 50,
      completedLessons: 1,
    });
    const done = await progress(enrollment.id, { lessonId: lessonIds[1], completed: true });
    expect(done.json().progress).toMatchObject({ percent: 100, completedLessons: 2, totalLessons: 2 });

    const certs = (await call(ctx.app, 'GET', `/api/v1/certificates?studentId=${student.id}`, { key: A.key })).json()
      .data;
    expect(certs).toHaveLength(1);
    expect(certs[0]).toMatchObject({
      object: 'certificate',
      studentName: student.name,
      courseTitle: course.title,
      courseId: course.id,
    });
    expect(certs[0].verifyUrl).toMatch(new RegExp(`/api/v1/verify/${certs[0].code}$`));

    const pdf = await call(ctx.app, 'GET', `/api/v1/certificates/${certs[0].id}/pdf`, { key: A.key });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 4).toString()).toBe('%PDF');
    expect(pdfText(pdf.rawPayload)).toContain(student.name);

    const verify = await call(ctx.app, 'GET', `/api/v1/verify/${certs[0].code}`);
    expect(verify.statusCode).toBe(200);
    expect(verify.json()).toEqual({
      valid: true,
      code: certs[0].code,
      studentName: student.name,
      courseTitle: course.title,
      schoolName: expect.any(String),
      issuedAt: expect.any(String),
      revokedAt: null,
      reason: null,
    });
    expect(verify.body).not.toContain(student.email);
    expect((await call(ctx.app, 'GET', '/api/v1/verify/nope')).statusCode).toBe(404);

    const ach = (await call(ctx.app, 'GET', `/api/v1/students/${student.id}/achievements`, { key: A.key }))
      .json()
      .data.map((a: { code: string }) => a.code);
    expect(ach.sort()).toEqual(['course_completed', 'first_lesson']);
  });
});

describe('lock rules', () => {
  it('sequential lessons and timed unlocks are enforced with unlocksAt', async () => {
    clock = new Date('2026-03-02T10:00:00Z');
    const { enrollment, lessonIds } = await enrolled([
      { title: 'First' },
      { title: 'Then', unlock: { type: 'sequential' } },
      { title: 'Later', unlock: { type: 'timed', afterDays: 3 } },
    ]);
    const seq = await progress(enrollment.id, { lessonId: lessonIds[1], completed: true });
    expect(seq.statusCode).toBe(409);
    expect(seq.json()).toMatchObject({
      error: 'lesson_locked',
      details: [{ path: 'lessonId', code: 'lesson_locked' }],
    });
    const timed = await progress(enrollment.id, { lessonId: lessonIds[2], completed: true });
    expect(timed.statusCode).toBe(409);
    expect(timed.json().details[0].unlocksAt).toBe(
      new Date(Date.parse(enrollment.enrolledAt) + 3 * 86_400_000).toISOString(),
    );
    await progress(enrollment.id, { lessonId: lessonIds[0], completed: true });
    expect((await progress(enrollment.id, { lessonId: lessonIds[1], completed: true })).statusCode).toBe(200);
    clock = new Date(Date.parse(enrollment.enrolledAt) + 3 * 86_400_000 + 1000);
    expect((await progress(enrollment.id, { lessonId: lessonIds[2], completed: true })).statusCode).toBe(200);
    clock = new Date('2026-03-02T10:00:00Z');
  });
});

describe('completion rules', () => {
  it('none cannot be completed; video needs 90 % watched', async () => {
    const { enrollment, lessonIds } = await enrolled([
      { title: 'Read only', completion: { type: 'none' } },
      {
        title: 'Watch',
        type: 'video',
        videoUrl: 'https://youtu.be/dQw4w9WgXcQ',
        duration: 100,
        completion: { type: 'video' },
      },
    ]);
    const none = await progress(enrollment.id, { lessonId: lessonIds[0], completed: true });
    expect(none.statusCode).toBe(400);
    expect(none.json().details[0].path).toBe('completed');
    const short = await progress(enrollment.id, { lessonId: lessonIds[1], completed: true, watchedSeconds: 80 });
    expect(short.statusCode).toBe(400);
    expect(short.json().details[0].path).toBe('watchedSeconds');
    const ok = await progress(enrollment.id, { lessonId: lessonIds[1], completed: true, watchedSeconds: 90 });
    expect(ok.json().progress.lessons[1]).toMatchObject({ completed: true, watchedSeconds: 90 });
  });

  it('quiz: exact-set scoring, every attempt stored, only a passing one completes', async () => {
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
            { text: '4', correct: false },
          ],
        },
      ],
      passingScore: 100,
    };
    const { enrollment, lessonIds } = await enrolled([{ title: 'Quiz', type: 'quiz', content: quiz }]);
    const partial = await progress(enrollment.id, { lessonId: lessonIds[0], completed: true, answers: [[0], [0]] });
    expect(partial.statusCode).toBe(200);
    expect(partial.json().lastAttempt).toMatchObject({ score: 50, passed: false });
    expect(partial.json().progress.lessons[0].completed).toBe(false);
    const missing = await progress(enrollment.id, { lessonId: lessonIds[0], completed: true });
    expect(missing.json().details[0].path).toBe('answers');
    const pass = await progress(enrollment.id, { lessonId: lessonIds[0], completed: true, answers: [[0], [1, 0]] });
    expect(pass.json().lastAttempt).toMatchObject({ score: 100, passed: true });
    expect(pass.json().progress.percent).toBe(100);
    expect(pass.json().quizAttempts.map((a: { score: number }) => a.score)).toEqual([50, 100]);
  });

  it("a draft section's lessons do not count, so its students can reach 100 %", async () => {
    const { enrollment, lessonIds, course } = await enrolled([{ title: 'Open' }]);
    const draft = await call(ctx.app, 'POST', `/api/v1/courses/${course.id}/sections`, {
      key: A.key,
      body: { title: 'Coming soon', status: 'draft' },
    });
    expect(draft.statusCode).toBe(201);
    const hidden = await call(ctx.app, 'POST', `/api/v1/courses/${course.id}/sections/${draft.json().id}/lessons`, {
      key: A.key,
      body: { title: 'Not yet' },
    });
    expect(hidden.statusCode).toBe(201);
    const done = await progress(enrollment.id, { lessonId: lessonIds[0], completed: true });
    expect(done.json().progress).toMatchObject({ percent: 100, completedLessons: 1, totalLessons: 1 });
    const refused = await progress(enrollment.id, { lessonId: hidden.json().id, completed: true });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().details[0].path).toBe('lessonId');
  });

  it('a draft lesson or a lesson of another course is refused', async () => {
    const { enrollment } = await enrolled([{ title: 'L' }]);
    const other = await enrolled([{ title: 'Other' }]);
    const res = await progress(enrollment.id, { lessonId: other.lessonIds[0], completed: true });
    expect(res.statusCode).toBe(400);
    expect(res.json().details[0].path).toBe('lessonId');
  });
});

describe('streaks and isolation', () => {
  it('learning days in the school time zone make streaks; streak_3 is awarded once', async () => {
    const { enrollment, lessonIds, student } = await enrolled([
      { title: 'a' },
      { title: 'b' },
      { title: 'c' },
      { title: 'd' },
    ]);
    for (const [i, day] of ['2026-04-01', '2026-04-02', '2026-04-03'].entries()) {
      clock = new Date(`${day}T12:00:00Z`);
      expect((await progress(enrollment.id, { lessonId: lessonIds[i], completed: true })).statusCode).toBe(200);
    }
    const activity = (await call(ctx.app, 'GET', `/api/v1/students/${student.id}/activity`, { key: A.key })).json();
    expect(activity).toEqual({ currentStreak: 3, longestStreak: 3, days: ['2026-04-01', '2026-04-02', '2026-04-03'] });
    const codes = (await call(ctx.app, 'GET', `/api/v1/students/${student.id}/achievements`, { key: A.key }))
      .json()
      .data.map((a: { code: string }) => a.code);
    expect(codes.filter((c: string) => c === 'streak_3')).toHaveLength(1);
    clock = new Date('2026-03-02T10:00:00Z');
  });

  it("school B cannot read or write school A's enrollments, certificates or activity", async () => {
    const { enrollment, lessonIds, student } = await enrolled([{ title: 'x' }]);
    await progress(enrollment.id, { lessonId: lessonIds[0], completed: true });
    const [cert] = await ctx.database.db.select().from(certificates).where(eq(certificates.studentId, student.id));
    expect((await progress(enrollment.id, { lessonId: lessonIds[0], completed: false }, B.key)).statusCode).toBe(404);
    for (const url of [
      `/api/v1/enrollments/${enrollment.id}`,
      `/api/v1/certificates/${cert!.id}`,
      `/api/v1/certificates/${cert!.id}/pdf`,
      `/api/v1/students/${student.id}/activity`,
      `/api/v1/students/${student.id}/achievements`,
    ]) {
      expect((await call(ctx.app, 'GET', url, { key: B.key })).statusCode, url).toBe(404);
    }
    expect((await call(ctx.app, 'GET', '/api/v1/certificates?limit=100', { key: B.key })).json().data).toEqual([]);
  });
});

describe('concurrency', () => {
  it('completing the last two lessons at once issues exactly one certificate', async () => {
    const base = await listen(ctx.app);
    for (let round = 0; round < 3; round++) {
      const { enrollment, lessonIds, student } = await enrolled([{ title: 'a' }, { title: 'b' }]);
      const statuses = await Promise.all(
        lessonIds.map((lessonId: string) =>
          fetch(`${base}/api/v1/enrollments/${enrollment.id}`, {
            method: 'PATCH',
            headers: { authorization: `Bearer ${A.key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ lessonId, completed: true }),
          }).then((r) => r.status),
        ),
      );
      expect(tally(statuses)).toEqual({ 200: 2 });
      expect(
        await ctx.database.db.select().from(certificates).where(eq(certificates.studentId, student.id)),
      ).toHaveLength(1);
    }
  });
});

describe('review follow-ups', () => {
  it('percent rounds down; 100 only when every lesson is done', async () => {
    const { enrollment, lessonIds } = await enrolled([{ title: 'a' }, { title: 'b' }, { title: 'c' }]);
    await progress(enrollment.id, { lessonId: lessonIds[0], completed: true });
    const two = await progress(enrollment.id, { lessonId: lessonIds[1], completed: true });
    expect(two.json().progress).toMatchObject({ percent: 66, complete: false });
  });

  it('a failed retake keeps a passed quiz completed; answers need completed: true', async () => {
    const quiz = {
      questions: [
        {
          text: 'q',
          options: [
            { text: 'a', correct: true },
            { text: 'b', correct: false },
          ],
        },
      ],
      passingScore: 100,
    };
    const { enrollment, lessonIds } = await enrolled([
      { title: 'Q', type: 'quiz', content: quiz },
      { title: 'Next', unlock: { type: 'sequential' } },
    ]);
    await progress(enrollment.id, { lessonId: lessonIds[0], completed: true, answers: [[0]] });
    const retake = await progress(enrollment.id, { lessonId: lessonIds[0], completed: true, answers: [[1]] });
    expect(retake.json().lastAttempt).toMatchObject({ passed: false });
    expect(retake.json().progress.lessons[0].completed).toBe(true);
    expect(retake.json().progress.lessons[1].locked).toBe(false);
    const noComplete = await progress(enrollment.id, { lessonId: lessonIds[0], completed: false, answers: [[0]] });
    expect(noComplete.statusCode).toBe(400);
    expect(noComplete.json().details[0].path).toBe('answers');
  });

  it('completed: false reopens a lesson; watchedSeconds only grows; the certificate stays', async () => {
    const { enrollment, lessonIds, student } = await enrolled([{ title: 'only' }]);
    await progress(enrollment.id, { lessonId: lessonIds[0], completed: true, watchedSeconds: 50 });
    const reopened = await progress(enrollment.id, { lessonId: lessonIds[0], completed: false, watchedSeconds: 10 });
    expect(reopened.json().progress.lessons[0]).toMatchObject({ completed: false, watchedSeconds: 50 });
    expect(
      await ctx.database.db.select().from(certificates).where(eq(certificates.studentId, student.id)),
    ).toHaveLength(1);
  });

  it('a school in another time zone counts its own calendar days', async () => {
    const { student, enrollment, lessonIds } = await enrolled([{ title: 'a' }, { title: 'b' }]);
    await call(ctx.app, 'PATCH', '/api/v1/school', { key: A.key, body: { timezone: 'Pacific/Auckland' } });
    try {
      clock = new Date('2026-05-01T11:30:00Z'); // 23:30 in Auckland (UTC+12)
      await progress(enrollment.id, { lessonId: lessonIds[0], completed: true });
      clock = new Date('2026-05-01T12:30:00Z'); // 00:30 the next day in Auckland
      await progress(enrollment.id, { lessonId: lessonIds[1], completed: true });
      const activity = (await call(ctx.app, 'GET', `/api/v1/students/${student.id}/activity`, { key: A.key })).json();
      expect(activity.days).toEqual(['2026-05-01', '2026-05-02']);
    } finally {
      await call(ctx.app, 'PATCH', '/api/v1/school', { key: A.key, body: { timezone: 'UTC' } });
      clock = new Date('2026-03-02T10:00:00Z');
    }
  });

  it('section drip and prerequisites are enforced over HTTP', async () => {
    const { enrollment, course } = await enrolled(
      [],
      [
        { title: 'First', lessons: [{ title: 'f1' }] },
        { title: 'Dripped', drip: { type: 'days', days: 5 }, lessons: [{ title: 'd1' }] },
      ],
    );
    const [first, dripped] = course.sections;
    const drip = await progress(enrollment.id, { lessonId: dripped.lessons[0].id, completed: true });
    expect(drip.statusCode).toBe(409);
    expect(drip.json().details[0].unlocksAt).toBeDefined();
    await call(ctx.app, 'PATCH', `/api/v1/courses/${course.id}/sections/${dripped.id}`, {
      key: A.key,
      body: { drip: { type: 'none' }, prerequisites: [first.id] },
    });
    const prereq = await progress(enrollment.id, { lessonId: dripped.lessons[0].id, completed: true });
    expect(prereq.statusCode).toBe(409);
    expect(prereq.json().details[0].unlocksAt).toBeUndefined();
    await progress(enrollment.id, { lessonId: first.lessons[0].id, completed: true });
    expect((await progress(enrollment.id, { lessonId: dripped.lessons[0].id, completed: true })).statusCode).toBe(200);
  });
});

describe('deleting a student and long streaks', () => {
  it('streak_7 after seven days in a row', async () => {
    const { enrollment, lessonIds, student } = await enrolled(
      Array.from({ length: 7 }, (_, i) => ({ title: `d${i}` })),
    );
    for (let i = 0; i < 7; i++) {
      clock = new Date(Date.UTC(2026, 5, 1 + i, 12));
      await progress(enrollment.id, { lessonId: lessonIds[i], completed: true });
    }
    const codes = (await call(ctx.app, 'GET', `/api/v1/students/${student.id}/achievements`, { key: A.key }))
      .json()
      .data.map((a: { code: string }) => a.code);
    expect(codes).toEqual(expect.arrayContaining(['first_lesson', 'streak_3', 'streak_7', 'course_completed']));
    expect(codes).not.toContain('streak_30');
    clock = new Date('2026-03-02T10:00:00Z');
  });

  it('deleting a student removes their progress and activity but keeps their certificate verifiable', async () => {
    const { enrollment, lessonIds, student } = await enrolled([{ title: 'only' }]);
    await progress(enrollment.id, { lessonId: lessonIds[0], completed: true });
    const [cert] = await ctx.database.db.select().from(certificates).where(eq(certificates.studentId, student.id));
    expect((await call(ctx.app, 'DELETE', `/api/v1/students/${student.id}`, { key: A.key })).statusCode).toBe(204);
    expect((await call(ctx.app, 'GET', `/api/v1/enrollments/${enrollment.id}`, { key: A.key })).statusCode).toBe(404);
    expect((await call(ctx.app, 'GET', `/api/v1/students/${student.id}/activity`, { key: A.key })).statusCode).toBe(
      404,
    );
    const verify = await call(ctx.app, 'GET', `/api/v1/verify/${cert!.code}`);
    expect(verify.json()).toMatchObject({ valid: true, studentName: student.name });
    expect(
      (await call(ctx.app, 'GET', `/api/v1/certificates/${cert!.id}`, { key: A.key })).json().studentId,
    ).toBeNull();
  });
});

describe('bounded responses', () => {
  it('quizAttempts carries the newest 10 attempts of each quiz lesson; every attempt stays stored', async () => {
    const question = (text: string) => ({
      text,
      options: [
        { text: 'yes', correct: true },
        { text: 'no', correct: false },
      ],
    });
    const quiz = { questions: [question('q1'), question('q2'), question('q3'), question('q4')], passingScore: 100 };
    const { enrollment, lessonIds } = await enrolled([
      { title: 'Quiz one', type: 'quiz', content: quiz },
      { title: 'Quiz two', type: 'quiz', content: quiz },
    ]);
    // 12 failed attempts at quiz one, scored 0, 25, 50, 75, 0, 25, … (how many of the 4 are right).
    const scores: number[] = [];
    let last: Record<string, unknown> = {};
    for (let i = 0; i < 12; i++) {
      const right = i % 4;
      const answers = [0, 1, 2, 3].map((q) => (q < right ? [0] : [1]));
      const res = await progress(enrollment.id, { lessonId: lessonIds[0], completed: true, answers });
      expect(res.statusCode).toBe(200);
      scores.push(right * 25);
      last = res.json();
    }
    await progress(enrollment.id, { lessonId: lessonIds[1], completed: true, answers: [[0], [0], [0], [0]] });
    type Attempt = { lessonId: string; score: number; createdAt: string };
    const newest = scores.slice(-10);
    expect((last.quizAttempts as Attempt[]).map((a) => a.score)).toEqual(newest);
    expect(last.lastAttempt).toMatchObject({ lessonId: lessonIds[0], score: scores[11], passed: false });

    const got = (await call(ctx.app, 'GET', `/api/v1/enrollments/${enrollment.id}`, { key: A.key })).json();
    const ofLesson = (id: string) => (got.quizAttempts as Attempt[]).filter((a) => a.lessonId === id);
    expect(ofLesson(lessonIds[0]).map((a) => a.score)).toEqual(newest);
    expect(ofLesson(lessonIds[1]).map((a) => a.score)).toEqual([100]);
    expect(got.quizAttempts).toHaveLength(11);
    const times = (got.quizAttempts as Attempt[]).map((a) => a.createdAt);
    expect(times).toEqual([...times].sort());

    const { rows } = await ctx.database.pool.query(
      'SELECT count(*)::int AS n FROM quiz_attempts WHERE enrollment_id = $1',
      [enrollment.id],
    );
    expect(rows[0].n).toBe(13);
  });

  it('the cap is documented on the quizAttempts field of the OpenAPI document', async () => {
    const doc = (await call(ctx.app, 'GET', '/api/v1/openapi.json')).json();
    const field = doc.components.schemas.EnrollmentWithProgress.properties.quizAttempts;
    expect(field.description).toMatch(/newest 10 attempts of each/);
  });
});

describe('concurrent writes without side effects (optimistic path)', () => {
  it('20 concurrent writes to one enrollment all apply: watch time is the largest, every attempt is stored', async () => {
    const quiz = {
      questions: [
        {
          text: 'q',
          options: [
            { text: 'yes', correct: true },
            { text: 'no', correct: false },
          ],
        },
      ],
      passingScore: 100,
    };
    const { enrollment, lessonIds } = await enrolled([
      { title: 'Video', type: 'video', videoUrl: 'https://youtu.be/dQw4w9WgXcQ', duration: 1000 },
      { title: 'Quiz', type: 'quiz', content: quiz },
    ]);
    const base = await listen(ctx.app);
    const patch = (body: unknown) =>
      fetch(`${base}/api/v1/enrollments/${enrollment.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${A.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.status);
    const statuses = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) =>
        patch({ lessonId: lessonIds[0], completed: false, watchedSeconds: i * 10 }),
      ),
      ...Array.from({ length: 10 }, () => patch({ lessonId: lessonIds[1], completed: true, answers: [[1]] })),
    ]);
    expect(tally(statuses)).toEqual({ 200: 20 });
    const got = await call(ctx.app, 'GET', `/api/v1/enrollments/${enrollment.id}`, { key: A.key });
    expect(got.json().progress.lessons[0]).toMatchObject({ watchedSeconds: 90, completed: false });
    expect(got.json().quizAttempts).toHaveLength(10);
    // Each write bumped the enrollment's version once (its ETag changes with its progress).
    expect(got.headers.etag).toBe(`"${enrollment.id}.21"`);
    const { rows } = await ctx.database.pool.query(
      'SELECT count(*)::int AS n FROM quiz_attempts WHERE enrollment_id = $1',
      [enrollment.id],
    );
    expect(rows[0].n).toBe(10);
  });
});
