/**
 * The /me routes (API.md §2 Learners) over HTTP on PostgreSQL: profile, self-enrolment, outline,
 * lessons (quiz answers never sent), progress through the PATCH /enrollments/{id} code, certificates,
 * and isolation between students and schools.
 */
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { enrollments, events, users } from '../src/db/schema/index.js';
import { call, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);

type Lesson = Record<string, unknown>;
const QUIZ = {
  questions: [
    {
      text: 'Two plus two?',
      options: [
        { text: 'Four', correct: true },
        { text: 'Five', correct: false },
      ],
    },
    {
      text: 'Pick the primes',
      options: [
        { text: 'Two', correct: true },
        { text: 'Three', correct: true },
        { text: 'Four', correct: false },
      ],
    },
  ],
  passingScore: 100,
};

async function student(key = A.key, name = 'Jane') {
  const res = await call(ctx.app, 'POST', '/api/v1/students', {
    key,
    body: { name, email: `${name.toLowerCase()}${Math.random().toString(36).slice(2)}@example.com` },
  });
  expect(res.statusCode).toBe(201);
  const id = res.json().id as string;
  const token = await call(ctx.app, 'POST', `/api/v1/students/${id}/tokens`, { key, body: {} });
  expect(token.statusCode).toBe(201);
  return { id, token: token.json().token as string };
}

async function course(
  sections: { title: string; status?: string; lessons: Lesson[] }[],
  extra: Record<string, unknown> = {},
  key = A.key,
) {
  const res = await call(ctx.app, 'POST', '/api/v1/courses', {
    key,
    body: { title: `Course ${Math.random()}`, isFree: true, status: 'published', sections, ...extra },
  });
  expect(res.statusCode).toBe(201);
  const c = res.json();
  const lessons = [
    ...c.sections.flatMap((s: { lessons: { id: string; title: string }[] }) => s.lessons),
    ...c.unsectionedLessons,
  ];
  return {
    id: c.id as string,
    sectionIds: c.sections.map((s: { id: string }) => s.id) as string[],
    lesson: (title: string) => lessons.find((l: { title: string }) => l.title === title)!.id as string,
  };
}

const as = (token: string) => ({
  get: (url: string) => call(ctx.app, 'GET', `/api/v1${url}`, { key: token }),
  post: (url: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(ctx.app, 'POST', `/api/v1${url}`, { key: token, body, headers }),
  patch: (url: string, body: unknown) => call(ctx.app, 'PATCH', `/api/v1${url}`, { key: token, body }),
});

const enrol = async (token: string, courseId: string) => {
  const res = await as(token).post('/me/enrollments', { courseId });
  expect(res.statusCode).toBe(201);
  return res.json();
};

const detailPaths = (res: { json(): { details?: { path: string }[] } }) =>
  (res.json().details ?? []).map((d) => d.path);

describe('GET and PATCH /me', () => {
  it('shows the student and changes name, avatarUrl and bio only', async () => {
    const s = await student();
    const me = as(s.token);
    const got = await me.get('/me');
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ object: 'student', id: s.id, name: 'Jane', avatarUrl: null, bio: null });
    expect(got.json()).not.toHaveProperty('role');

    const changed = await me.patch('/me', { name: 'Jane Doe', avatarUrl: 'https://img.example.com/j.png', bio: 'Hi' });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ name: 'Jane Doe', avatarUrl: 'https://img.example.com/j.png', bio: 'Hi' });
    const [row] = await ctx.database.db.select().from(users).where(eq(users.id, s.id));
    expect(row).toMatchObject({ name: 'Jane Doe', bio: 'Hi', role: 'student' });
    expect((await me.patch('/me', { bio: null })).json().bio).toBeNull();
  });

  it.each([
    [{}, ''],
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(256) }, 'name'],
    [{ bio: 'x'.repeat(2001) }, 'bio'],
    [{ avatarUrl: 'javascript:alert(1)' }, 'avatarUrl'],
    [{ email: 'new@example.com' }, 'email'],
    [{ password: 'longenough123' }, 'password'],
    [{ role: 'admin' }, 'role'],
    [{ externalId: 'x' }, 'externalId'],
  ])('PATCH /me refuses %j (400 at "%s"), changing nothing', async (body, path) => {
    const s = await student();
    const res = await as(s.token).patch('/me', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('validation_error');
    expect(detailPaths(res)).toContain(path);
    const [row] = await ctx.database.db.select().from(users).where(eq(users.id, s.id));
    expect(row).toMatchObject({ name: 'Jane', role: 'student', bio: null });
  });
});

describe('self-enrolment', () => {
  it('enrols in a published free course, once; the learner is the actor of the event', async () => {
    const s = await student();
    const c = await course([{ title: 'S', lessons: [{ title: 'L' }] }]);
    const res = await as(s.token).post('/me/enrollments', { courseId: c.id });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      object: 'enrollment',
      studentId: s.id,
      courseId: c.id,
      progress: { percent: 0, completedLessons: 0, totalLessons: 1 },
    });
    const rows = await ctx.database.db.select().from(enrollments).where(eq(enrollments.studentId, s.id));
    expect(rows).toHaveLength(1);
    const again = await as(s.token).post('/me/enrollments', { courseId: c.id });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe('already_enrolled');
    const [event] = await ctx.database.db
      .select()
      .from(events)
      .where(and(eq(events.schoolId, A.id), eq(events.type, 'enrollment.created')))
      .then((list) => list.filter((e) => JSON.stringify(e).includes(res.json().id)));
    expect(event).toMatchObject({ actorType: 'learner', actorId: s.id });
  });

  it('a paid course is 403 payment_required; draft, private, unknown and other schools’ courses are 404', async () => {
    const s = await student();
    const paid = await course([{ title: 'S', lessons: [{ title: 'L' }] }], { isFree: false, price: 4999 });
    const res = await as(s.token).post('/me/enrollments', { courseId: paid.id });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'forbidden', details: [{ path: 'courseId', code: 'payment_required' }] });
    const draft = await course([{ title: 'S', lessons: [{ title: 'L' }] }], { status: 'draft' });
    const secret = await course([{ title: 'S', lessons: [{ title: 'L' }] }], { privacy: 'private' });
    const elsewhere = await course([{ title: 'S', lessons: [{ title: 'L' }] }], {}, B.key);
    for (const id of [draft.id, secret.id, elsewhere.id, 'crs_unknown']) {
      const refused = await as(s.token).post('/me/enrollments', { courseId: id });
      expect([id, refused.statusCode]).toEqual([id, 404]);
    }
    expect(await ctx.database.db.select().from(enrollments).where(eq(enrollments.studentId, s.id))).toEqual([]);
  });

  it.each([
    [{}, 'courseId'],
    [{ courseId: '' }, 'courseId'],
    [{ courseId: 'x'.repeat(65) }, 'courseId'],
    [{ courseId: 42 }, 'courseId'],
    [{ courseId: 'crs_x', studentId: 'usr_other' }, 'studentId'],
  ])('POST /me/enrollments refuses %j (400 at %s)', async (body, path) => {
    const s = await student();
    const res = await as(s.token).post('/me/enrollments', body);
    expect(res.statusCode).toBe(400);
    expect(detailPaths(res)).toContain(path);
  });

  it('Idempotency-Key is per student: the same key from two students enrols both, no replay across', async () => {
    const c = await course([{ title: 'S', lessons: [{ title: 'L' }] }]);
    const s1 = await student();
    const s2 = await student(A.key, 'Other');
    const h = { 'idempotency-key': 'enrol-this-course' };
    const r1 = await as(s1.token).post('/me/enrollments', { courseId: c.id }, h);
    const r2 = await as(s2.token).post('/me/enrollments', { courseId: c.id }, h);
    expect([r1.statusCode, r2.statusCode]).toEqual([201, 201]);
    expect(r2.headers['idempotent-replayed']).toBeUndefined();
    expect(r2.json().studentId).toBe(s2.id);
    const replay = await as(s1.token).post('/me/enrollments', { courseId: c.id }, h);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().id).toBe(r1.json().id);
  });
});

describe('GET /me/enrollments', () => {
  it('lists only the student’s own, each with its progress percent', async () => {
    const s = await student();
    const other = await student(A.key, 'Other');
    const c1 = await course([{ title: 'S', lessons: [{ title: 'One' }, { title: 'Two' }] }]);
    const c2 = await course([{ title: 'S', lessons: [{ title: 'L' }] }]);
    await enrol(s.token, c1.id);
    await enrol(s.token, c2.id);
    await enrol(other.token, c1.id);
    const done = await as(s.token).post(`/me/courses/${c1.id}/lessons/${c1.lesson('One')}/progress`, {
      completed: true,
    });
    expect(done.statusCode).toBe(200);
    const res = await as(s.token).get('/me/enrollments');
    expect(res.statusCode).toBe(200);
    const list = res.json();
    expect(list.pagination.total).toBe(2);
    expect(list.data.every((e: { studentId: string }) => e.studentId === s.id)).toBe(true);
    const byCourse = Object.fromEntries(
      list.data.map((e: { courseId: string; progress: { percent: number } }) => [e.courseId, e.progress.percent]),
    );
    expect(byCourse).toEqual({ [c1.id]: 50, [c2.id]: 0 });
    expect((await as(s.token).get('/me/enrollments?limit=1')).json().data).toHaveLength(1);
  });

  it.each([['limit=0'], ['limit=101'], ['studentId=usr_x'], ['page=1&cursor=abc']])(
    'refuses ?%s with 400',
    async (q) => {
      const s = await student();
      const res = await as(s.token).get(`/me/enrollments?${q}`);
      expect(res.statusCode).toBe(400);
    },
  );
});

describe('GET /me/courses/{courseId}', () => {
  it('enrolled: the published outline with locked, unlocksAt and completed; drafts hidden', async () => {
    const s = await student();
    const c = await course([
      {
        title: 'Basics',
        lessons: [
          { title: 'Intro', isPreview: true },
          { title: 'Next', unlock: { type: 'sequential' } },
          { title: 'Later', unlock: { type: 'timed', afterDays: 3 } },
          { title: 'Hidden lesson', status: 'draft' },
        ],
      },
      { title: 'Hidden section', status: 'draft', lessons: [] },
    ]);
    const enrollment = await enrol(s.token, c.id);
    const res = await as(s.token).get(`/me/courses/${c.id}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ object: 'learner_course', id: c.id, enrolled: true, enrollmentId: enrollment.id });
    expect(body.sections.map((x: { title: string }) => x.title)).toEqual(['Basics']);
    const lessons = body.sections[0].lessons as {
      title: string;
      locked: boolean;
      unlocksAt: string | null;
      completed: boolean;
    }[];
    expect(lessons.map((l) => l.title)).toEqual(['Intro', 'Next', 'Later']);
    expect(lessons.map((l) => [l.locked, l.completed])).toEqual([
      [false, false],
      [true, false],
      [true, false],
    ]);
    expect(lessons[1]!.unlocksAt).toBeNull();
    const unlocksAt = Date.parse(lessons[2]!.unlocksAt!);
    expect(unlocksAt - Date.parse(enrollment.enrolledAt)).toBe(3 * 86_400_000);
    expect(JSON.stringify(body)).not.toContain('Hidden');

    await as(s.token).post(`/me/courses/${c.id}/lessons/${c.lesson('Intro')}/progress`, { completed: true });
    const after = (await as(s.token).get(`/me/courses/${c.id}`)).json().sections[0].lessons;
    expect(after.map((l: { locked: boolean; completed: boolean }) => [l.locked, l.completed])).toEqual([
      [false, true],
      [false, false],
      [true, false],
    ]);
    expect((await as(s.token).get(`/me/courses/${c.id}`)).json().progress.percent).toBe(33);
  });

  it('not enrolled: a published course shows only its preview lessons; drafts, private and unknown are 404', async () => {
    const s = await student();
    const c = await course([
      { title: 'Open', lessons: [{ title: 'Teaser', isPreview: true }, { title: 'Paid part' }] },
      { title: 'Closed', lessons: [{ title: 'More' }] },
    ]);
    const res = await as(s.token).get(`/me/courses/${c.id}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ enrolled: false, enrollmentId: null, progress: null });
    expect(body.sections.map((x: { title: string }) => x.title)).toEqual(['Open']);
    expect(body.sections[0].lessons.map((l: { title: string }) => l.title)).toEqual(['Teaser']);

    const draft = await course([{ title: 'S', lessons: [{ title: 'L', isPreview: true }] }], { status: 'draft' });
    const secret = await course([{ title: 'S', lessons: [{ title: 'L', isPreview: true }] }], { privacy: 'private' });
    const elsewhere = await course([{ title: 'S', lessons: [{ title: 'L', isPreview: true }] }], {}, B.key);
    for (const id of [draft.id, secret.id, elsewhere.id, 'crs_unknown']) {
      expect((await as(s.token).get(`/me/courses/${id}`)).statusCode).toBe(404);
      expect((await as(s.token).get(`/me/courses/${id}/lessons/les_x`)).statusCode).toBe(404);
    }
  });
});

describe('GET /me/courses/{courseId}/lessons/{lessonId}', () => {
  it('a text lesson with its content; preview lessons open to non-enrolled students, others 404', async () => {
    const s = await student();
    const c = await course([
      {
        title: 'S',
        lessons: [
          { title: 'Teaser', isPreview: true, contentMarkdown: '# Hello\n\nWelcome **in**.' },
          { title: 'Body', content: '<p>Members only</p>' },
          { title: 'Draft', status: 'draft', content: '<p>Not yet</p>' },
        ],
      },
    ]);
    const teaser = await as(s.token).get(`/me/courses/${c.id}/lessons/${c.lesson('Teaser')}`);
    expect(teaser.statusCode).toBe(200);
    expect(teaser.json()).toMatchObject({ object: 'lesson', title: 'Teaser', locked: false, quiz: null, media: null });
    expect(teaser.json().contentHtml).toContain('<strong>in</strong>');
    expect(teaser.json().content.type).toBe('doc');
    expect((await as(s.token).get(`/me/courses/${c.id}/lessons/${c.lesson('Body')}`)).statusCode).toBe(404);

    await enrol(s.token, c.id);
    const body = await as(s.token).get(`/me/courses/${c.id}/lessons/${c.lesson('Body')}`);
    expect(body.statusCode).toBe(200);
    expect(body.json().contentHtml).toContain('Members only');
    expect((await as(s.token).get(`/me/courses/${c.id}/lessons/${c.lesson('Draft')}`)).statusCode).toBe(404);
    // A lesson of another course, in the URL of this one.
    const other = await course([{ title: 'S', lessons: [{ title: 'Elsewhere', isPreview: true }] }]);
    expect((await as(s.token).get(`/me/courses/${c.id}/lessons/${other.lesson('Elsewhere')}`)).statusCode).toBe(404);
  });

  it('a quiz comes without its correct flags (nowhere in the body)', async () => {
    const s = await student();
    const c = await course([
      { title: 'S', lessons: [{ title: 'Quiz', type: 'quiz', content: QUIZ, isPreview: true }] },
    ]);
    for (const enrolled of [false, true]) {
      if (enrolled) await enrol(s.token, c.id);
      const res = await as(s.token).get(`/me/courses/${c.id}/lessons/${c.lesson('Quiz')}`);
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toMatch(/correct/i);
      expect(res.json().content).toBeNull();
      expect(res.json().quiz).toEqual({
        questions: [
          { text: 'Two plus two?', options: [{ text: 'Four' }, { text: 'Five' }] },
          { text: 'Pick the primes', options: [{ text: 'Two' }, { text: 'Three' }, { text: 'Four' }] },
        ],
        passingScore: 100,
      });
    }
  });

  it('a locked lesson is 409 lesson_locked, with unlocksAt when a time opens it', async () => {
    const s = await student();
    const c = await course([
      {
        title: 'S',
        lessons: [
          { title: 'First' },
          { title: 'Second', unlock: { type: 'sequential' } },
          { title: 'Dated', unlock: { type: 'date', at: '2099-01-01T00:00:00.000Z' } },
        ],
      },
    ]);
    await enrol(s.token, c.id);
    const seq = await as(s.token).get(`/me/courses/${c.id}/lessons/${c.lesson('Second')}`);
    expect(seq.statusCode).toBe(409);
    expect(seq.json()).toMatchObject({
      error: 'lesson_locked',
      details: [{ path: 'lessonId', code: 'lesson_locked' }],
    });
    expect(seq.json().details[0].unlocksAt).toBeUndefined();
    const dated = await as(s.token).get(`/me/courses/${c.id}/lessons/${c.lesson('Dated')}`);
    expect(dated.statusCode).toBe(409);
    expect(dated.json().details[0].unlocksAt).toBe('2099-01-01T00:00:00.000Z');
  });

  it('a media lesson carries a signed download URL that serves the file', async () => {
    const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const presigned = await call(ctx.app, 'POST', '/api/v1/media/presigned', {
      key: A.key,
      body: { fileName: 'notes.pdf', mimeType: 'application/pdf', size: PDF.length },
    });
    const { mediaId, upload } = presigned.json();
    const put = await call(ctx.app, 'PUT', new URL(upload.url).pathname, { headers: upload.headers, body: PDF });
    expect(put.statusCode).toBe(200);
    const s = await student();
    const c = await course([{ title: 'S', lessons: [{ title: 'Notes', type: 'pdf', media: { mediaId } }] }]);
    await enrol(s.token, c.id);
    const res = await as(s.token).get(`/me/courses/${c.id}/lessons/${c.lesson('Notes')}`);
    expect(res.statusCode).toBe(200);
    const media = res.json().media;
    expect(media).toMatchObject({ object: 'media', id: mediaId, mimeType: 'application/pdf', size: PDF.length });
    expect(Date.parse(media.urlExpiresAt)).toBeGreaterThan(Date.now());
    const file = await call(ctx.app, 'GET', new URL(media.url).pathname);
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(PDF)).toBe(true);
  });
});

describe('POST /me/courses/{courseId}/lessons/{lessonId}/progress', () => {
  it('locks exactly as PATCH /enrollments/{id}: same 409 for the same lesson, same unlock after completion', async () => {
    const s = await student();
    const c = await course([
      {
        title: 'S',
        lessons: [{ title: 'First' }, { title: 'Second', unlock: { type: 'sequential' } }, { title: 'Third' }],
      },
    ]);
    const enrollment = await enrol(s.token, c.id);
    const viaMe = await as(s.token).post(`/me/courses/${c.id}/lessons/${c.lesson('Second')}/progress`, {
      completed: true,
    });
    const viaPatch = await call(ctx.app, 'PATCH', `/api/v1/enrollments/${enrollment.id}`, {
      key: A.key,
      body: { lessonId: c.lesson('Second'), completed: true },
    });
    expect([viaMe.statusCode, viaPatch.statusCode]).toEqual([409, 409]);
    const strip = (b: { details: unknown }) => b.details;
    expect(strip(viaMe.json())).toEqual(strip(viaPatch.json()));

    const first = await as(s.token).post(`/me/courses/${c.id}/lessons/${c.lesson('First')}/progress`, {
      completed: true,
    });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      object: 'lesson_progress',
      enrollmentId: enrollment.id,
      lessonId: c.lesson('First'),
      completed: true,
      progress: { percent: 33, completedLessons: 1, totalLessons: 3 },
      quiz: null,
    });
    // The school sees the same state through GET /enrollments/{id}.
    const seen = await call(ctx.app, 'GET', `/api/v1/enrollments/${enrollment.id}`, { key: A.key });
    const second = seen.json().progress.lessons.find((l: { lessonId: string }) => l.lessonId === c.lesson('Second'));
    expect(second).toMatchObject({ locked: false, completed: false });
    expect(seen.json().progress.percent).toBe(33);
  });

  it('watch time and the video rule are the shared ones', async () => {
    const s = await student();
    const c = await course([
      {
        title: 'S',
        lessons: [
          {
            title: 'Video',
            type: 'video',
            videoUrl: 'https://youtube.com/watch?v=dQw4w9WgXcQ',
            duration: 100,
            completion: { type: 'video' },
          },
          { title: 'Nothing', completion: { type: 'none' } },
        ],
      },
    ]);
    await enrol(s.token, c.id);
    const url = `/me/courses/${c.id}/lessons/${c.lesson('Video')}/progress`;
    const early = await as(s.token).post(url, { completed: true, watchedSeconds: 50 });
    expect(early.statusCode).toBe(400);
    expect(detailPaths(early)).toEqual(['watchedSeconds']);
    const watched = await as(s.token).post(url, { watchedSeconds: 60 });
    expect(watched.json()).toMatchObject({ completed: false, watchedSeconds: 60 });
    const done = await as(s.token).post(url, { completed: true, watchedSeconds: 95 });
    expect(done.json()).toMatchObject({ completed: true, watchedSeconds: 95 });
    // A later watch-time update leaves out `completed`: the lesson stays completed.
    const more = await as(s.token).post(url, { watchedSeconds: 99 });
    expect(more.statusCode).toBe(200);
    expect(more.json()).toMatchObject({ completed: true, watchedSeconds: 99 });
    const outline = (await as(s.token).get(`/me/courses/${c.id}`)).json();
    const video = outline.sections[0].lessons.find((l: { id: string }) => l.id === c.lesson('Video'));
    expect(video.completed).toBe(true);
    // `completed: false` still reopens it.
    const reopened = await as(s.token).post(url, { completed: false });
    expect(reopened.json()).toMatchObject({ completed: false, watchedSeconds: 99 });
    const none = await as(s.token).post(`/me/courses/${c.id}/lessons/${c.lesson('Nothing')}/progress`, {
      completed: true,
    });
    expect(none.statusCode).toBe(400);
    expect(detailPaths(none)).toEqual(['completed']);
  });

  it('quiz answers: score, passed and per-question rightness; a pass completes the lesson', async () => {
    const s = await student();
    const c = await course([{ title: 'S', lessons: [{ title: 'Quiz', type: 'quiz', content: QUIZ }] }]);
    const enrollment = await enrol(s.token, c.id);
    const url = `/me/courses/${c.id}/lessons/${c.lesson('Quiz')}/progress`;
    const fail = await as(s.token).post(url, { answers: [[0], [0]] });
    expect(fail.statusCode).toBe(200);
    expect(fail.json()).toMatchObject({
      completed: false,
      quiz: {
        score: 50,
        passed: false,
        passingScore: 100,
        questions: [
          { index: 0, correct: true },
          { index: 1, correct: false },
        ],
      },
    });
    const pass = await as(s.token).post(url, { answers: [[0], [1, 0]] });
    expect(pass.json()).toMatchObject({
      completed: true,
      progress: { percent: 100, complete: true },
      quiz: { score: 100, passed: true, questions: [{ correct: true }, { correct: true }] },
    });
    expect(pass.json().quiz.attemptId).toMatch(/^qza_/);
    // Every attempt is stored, as with PATCH.
    const seen = await call(ctx.app, 'GET', `/api/v1/enrollments/${enrollment.id}`, { key: A.key });
    expect(seen.json().quizAttempts.map((a: { score: number }) => a.score)).toEqual([50, 100]);
    // answers with completed: false is the shared rule's 400.
    const contradictory = await as(s.token).post(url, { answers: [[0], [0]], completed: false });
    expect(contradictory.statusCode).toBe(400);
    expect(detailPaths(contradictory)).toEqual(['answers']);
  });

  it('completing the course issues a certificate the student lists and downloads; nobody else can', async () => {
    const s = await student();
    const other = await student(A.key, 'Other');
    const c = await course([{ title: 'S', lessons: [{ title: 'Only' }] }]);
    await enrol(s.token, c.id);
    const done = await as(s.token).post(`/me/courses/${c.id}/lessons/${c.lesson('Only')}/progress`, {
      completed: true,
    });
    expect(done.json().progress).toMatchObject({ percent: 100, complete: true });
    const list = await as(s.token).get('/me/certificates');
    expect(list.statusCode).toBe(200);
    expect(list.json().data).toHaveLength(1);
    const cert = list.json().data[0];
    expect(cert).toMatchObject({ object: 'certificate', studentId: s.id, courseId: c.id });
    const pdf = await as(s.token).get(`/me/certificates/${cert.id}/pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');

    expect((await as(other.token).get('/me/certificates')).json().data).toEqual([]);
    const stolen = await as(other.token).get(`/me/certificates/${cert.id}/pdf`);
    expect(stolen.statusCode).toBe(404);
    const b = await student(B.key, 'Bee');
    expect((await as(b.token).get(`/me/certificates/${cert.id}/pdf`)).statusCode).toBe(404);
    expect((await as(s.token).get('/me/certificates/crt_unknown/pdf')).statusCode).toBe(404);
    expect((await as(s.token).get('/me/certificates?limit=0')).statusCode).toBe(400);
  });

  it('not enrolled, another course’s lesson, another school: 404; nothing recorded', async () => {
    const s = await student();
    const c = await course([{ title: 'S', lessons: [{ title: 'Teaser', isPreview: true }] }]);
    const notEnrolled = await as(s.token).post(`/me/courses/${c.id}/lessons/${c.lesson('Teaser')}/progress`, {
      completed: true,
    });
    expect(notEnrolled.statusCode).toBe(404);
    await enrol(s.token, c.id);
    const other = await course([{ title: 'S', lessons: [{ title: 'X' }] }]);
    expect(
      (await as(s.token).post(`/me/courses/${c.id}/lessons/${other.lesson('X')}/progress`, { completed: true }))
        .statusCode,
    ).toBe(404);
    const inB = await course([{ title: 'S', lessons: [{ title: 'Y' }] }], {}, B.key);
    expect(
      (await as(s.token).post(`/me/courses/${inB.id}/lessons/${inB.lesson('Y')}/progress`, { completed: true }))
        .statusCode,
    ).toBe(404);
    expect((await as(s.token).get('/me/enrollments')).json().data[0].progress.percent).toBe(0);
  });

  it.each([
    [{}, ''],
    [{ completed: 'yes' }, 'completed'],
    [{ watchedSeconds: -1 }, 'watchedSeconds'],
    [{ watchedSeconds: 1.5 }, 'watchedSeconds'],
    [{ answers: 'all' }, 'answers'],
    [{ answers: [[-1]] }, 'answers.0.0'],
    [{ lessonId: 'les_x', completed: true }, 'lessonId'],
  ])('refuses %j (400 at "%s")', async (body, path) => {
    const s = await student();
    const c = await course([{ title: 'S', lessons: [{ title: 'L' }] }]);
    await enrol(s.token, c.id);
    const res = await as(s.token).post(`/me/courses/${c.id}/lessons/${c.lesson('L')}/progress`, body);
    expect(res.statusCode).toBe(400);
    expect(detailPaths(res)).toContain(path);
  });
});

describe('isolation', () => {
  it('a token never reads another student’s enrollment, nor any id of another school', async () => {
    const s = await student();
    const other = await student(A.key, 'Other');
    const c = await course([{ title: 'S', lessons: [{ title: 'Members', content: '<p>Secret</p>' }] }]);
    await enrol(other.token, c.id);
    // Enrolled other student does not make this one enrolled.
    const outline = await as(s.token).get(`/me/courses/${c.id}`);
    expect(outline.json()).toMatchObject({ enrolled: false, sections: [] });
    expect((await as(s.token).get(`/me/courses/${c.id}/lessons/${c.lesson('Members')}`)).statusCode).toBe(404);
    expect((await as(s.token).get('/me/enrollments')).json().data).toEqual([]);

    const b = await student(B.key, 'Bee');
    const bCourse = await course([{ title: 'S', lessons: [{ title: 'L', isPreview: true }] }], {}, B.key);
    await enrol(b.token, bCourse.id);
    expect((await as(s.token).get(`/me/courses/${bCourse.id}`)).statusCode).toBe(404);
    expect((await as(s.token).get(`/me/courses/${bCourse.id}/lessons/${bCourse.lesson('L')}`)).statusCode).toBe(404);
    expect((await as(b.token).get(`/me/courses/${c.id}`)).statusCode).toBe(404);
    expect((await as(b.token).post('/me/enrollments', { courseId: c.id })).statusCode).toBe(404);
    // School B's key cannot mint for A's student.
    expect((await call(ctx.app, 'POST', `/api/v1/students/${s.id}/tokens`, { key: B.key, body: {} })).statusCode).toBe(
      404,
    );
  });
});

describe('OpenAPI', () => {
  it('lists the learner operations under their own tag and security scheme', async () => {
    const doc = (await call(ctx.app, 'GET', '/api/v1/openapi.json')).json();
    expect(doc.components.securitySchemes.learnerToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    const meOps = Object.entries(doc.paths as Record<string, Record<string, { tags: string[]; security: unknown }>>)
      .filter(([path]) => path === '/api/v1/me' || path.startsWith('/api/v1/me/'))
      .flatMap(([, ops]) => Object.values(ops));
    expect(meOps).toHaveLength(9);
    for (const op of meOps) {
      expect(op.tags).toEqual(['Learners']);
      expect(op.security).toEqual([{ learnerToken: [] }]);
    }
    const mint = doc.paths['/api/v1/students/{id}/tokens'].post;
    expect(mint.tags).toEqual(['Learners']);
    expect(mint.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }, { sessionCookie: [] }]);
    expect(Object.keys(mint.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '404']));
    const lesson = doc.paths['/api/v1/me/courses/{courseId}/lessons/{lessonId}'].get;
    expect(Object.keys(lesson.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '404', '409']));
    expect(doc.paths['/api/v1/me/certificates/{id}/pdf'].get.responses['200'].content).toHaveProperty(
      'application/pdf',
    );
  });
});
