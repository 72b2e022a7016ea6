/** Sections, lessons and payment plans: every rule, dense positions under concurrency. */

import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { lessons, sections } from '../src/db/schema/index.js';
import { call, createSchool, listen, setupApp, tally } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const key = A.key;
const post = (url: string, body: unknown) => call(ctx.app, 'POST', url, { key, body });
const patch = (url: string, body: unknown) => call(ctx.app, 'PATCH', url, { key, body });
const get = (url: string) => call(ctx.app, 'GET', url, { key });
const paths = (res: { json(): { details: { path: string }[] } }) =>
  res
    .json()
    .details.map((d) => d.path)
    .sort();

async function newCourse(body: Record<string, unknown> = {}) {
  const res = await post('/api/v1/courses', { title: `Course ${Math.random()}`, ...body });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; sections: { id: string; lessons: { id: string }[] }[] };
}
const lessonPositions = async (courseId: string, sectionId: string | null) =>
  (await ctx.database.db.select().from(lessons).where(eq(lessons.courseId, courseId)).orderBy(asc(lessons.position)))
    .filter((l) => l.sectionId === sectionId)
    .map((l) => l.position);

describe('sections', () => {
  it('create appends or inserts, keeps positions dense, titles unique (409 duplicate_title)', async () => {
    const c = await newCourse();
    const s1 = (await post(`/api/v1/courses/${c.id}/sections`, { title: 'One' })).json();
    const s2 = (
      await post(`/api/v1/courses/${c.id}/sections`, { title: 'Two', drip: { type: 'days', days: 7 } })
    ).json();
    const s0 = (await post(`/api/v1/courses/${c.id}/sections`, { title: 'Zero', order: 1 })).json();
    expect([s1.position, s2.position, s0.position]).toEqual([1, 2, 1]);
    const list = (await get(`/api/v1/courses/${c.id}/sections`)).json().data;
    expect(list.map((s: { title: string; position: number }) => [s.title, s.position])).toEqual([
      ['Zero', 1],
      ['One', 2],
      ['Two', 3],
    ]);
    expect(list[2].drip).toEqual({ type: 'days', days: 7 });
    const dup = await post(`/api/v1/courses/${c.id}/sections`, { title: 'one' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toBe('duplicate_title');
    const dupPatch = await patch(`/api/v1/courses/${c.id}/sections/${s2.id}`, { title: 'ONE' });
    expect(dupPatch.statusCode).toBe(409);
  });

  it.each([
    [{ title: 'x', drip: { type: 'days' } }, ['drip.days']],
    [{ title: 'x', drip: { type: 'date', date: 'tomorrow' } }, ['drip.date']],
    [{ title: 'x', drip: { type: 'weekly' } }, ['drip.type']],
    [{ title: 'x', position: 0 }, ['position']],
    [{ title: 'x', status: 'hidden' }, ['status']],
    [{ title: 'x', posterImageUrl: 'javascript:alert(1)' }, ['posterImageUrl']],
    [{ title: 'x', prerequisites: ['sec_nope'] }, ['prerequisites.0']],
    [{ title: '' }, ['title']],
    [{ title: 'x', courseId: 'crs_other' }, ['courseId']],
  ])('%j → 400 at %j', async (body, expected) => {
    const c = await newCourse();
    const res = await post(`/api/v1/courses/${c.id}/sections`, body);
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toEqual(expected);
  });

  it('prerequisites: other sections of the course, no cycles', async () => {
    const c = await newCourse({ sections: [{ title: 'A' }, { title: 'B' }, { title: 'C' }] });
    const [a, b, cc] = c.sections.map((s) => s.id) as [string, string, string];
    expect((await patch(`/api/v1/courses/${c.id}/sections/${b}`, { prerequisites: [a] })).statusCode).toBe(200);
    expect((await patch(`/api/v1/courses/${c.id}/sections/${cc}`, { prerequisites: [b] })).statusCode).toBe(200);
    const cycle = await patch(`/api/v1/courses/${c.id}/sections/${a}`, { prerequisites: [cc] });
    expect(cycle.statusCode).toBe(400);
    expect(cycle.json().details[0].message).toMatch(/cycle/);
    const self = await patch(`/api/v1/courses/${c.id}/sections/${a}`, { prerequisites: [a] });
    expect(paths(self)).toContain('prerequisites.0');
    const other = await newCourse({ sections: [{ title: 'Elsewhere' }] });
    const foreign = await patch(`/api/v1/courses/${c.id}/sections/${a}`, { prerequisites: [other.sections[0]!.id] });
    expect(foreign.statusCode).toBe(400);
    // Deleting a prerequisite removes it from the sections that named it.
    await call(ctx.app, 'DELETE', `/api/v1/courses/${c.id}/sections/${a}`, { key });
    expect((await get(`/api/v1/courses/${c.id}/sections/${b}`)).json()).toMatchObject({
      prerequisites: [],
      position: 1,
    });
  });

  it('reorder must be an exact permutation', async () => {
    const c = await newCourse({ sections: [{ title: 'A' }, { title: 'B' }, { title: 'C' }] });
    const [a, b, cc] = c.sections.map((s) => s.id) as [string, string, string];
    for (const [ids, expected] of [
      [[a, b], ['sectionIds']],
      [[a, b, cc, a], ['sectionIds.3']],
      [
        [a, b, 'sec_x'],
        ['sectionIds', 'sectionIds.2'],
      ],
    ] as const) {
      const res = await post(`/api/v1/courses/${c.id}/sections/reorder`, { sectionIds: ids });
      expect(res.statusCode).toBe(400);
      expect(paths(res)).toEqual(expected);
    }
    const ok = await post(`/api/v1/courses/${c.id}/sections/reorder`, { sectionIds: [cc, a, b] });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().data.map((s: { id: string }) => s.id)).toEqual([cc, a, b]);
    const moved = await patch(`/api/v1/courses/${c.id}/sections/${b}`, { position: 1 });
    expect(moved.json().position).toBe(1);
    const order = (
      await ctx.database.db.select().from(sections).where(eq(sections.courseId, c.id)).orderBy(asc(sections.position))
    ).map((s) => [s.id, s.position]);
    expect(order).toEqual([
      [b, 1],
      [cc, 2],
      [a, 3],
    ]);
  });

  it('delete removes its lessons and closes the gap', async () => {
    const c = await newCourse({
      sections: [{ title: 'A', lessons: [{ title: 'a1' }, { title: 'a2' }] }, { title: 'B' }],
    });
    const del = await call(ctx.app, 'DELETE', `/api/v1/courses/${c.id}/sections/${c.sections[0]!.id}`, { key });
    expect(del.statusCode).toBe(204);
    expect(await ctx.database.db.select().from(lessons).where(eq(lessons.courseId, c.id))).toHaveLength(0);
    expect(
      (await get(`/api/v1/courses/${c.id}`))
        .json()
        .sections.map((s: { title: string; position: number }) => [s.title, s.position]),
    ).toEqual([['B', 1]]);
  });
});

describe('lessons', () => {
  it('flat and nested routes, positions dense after insert, move and delete', async () => {
    const c = await newCourse({ sections: [{ title: 'S1' }, { title: 'S2' }] });
    const [s1, s2] = c.sections.map((s) => s.id) as [string, string];
    const l1 = (await post(`/api/v1/courses/${c.id}/sections/${s1}/lessons`, { title: 'L1' })).json();
    const l2 = (await post(`/api/v1/courses/${c.id}/lessons`, { title: 'L2', sectionId: s1 })).json();
    const l0 = (await post(`/api/v1/courses/${c.id}/lessons`, { title: 'L0', sectionId: s1, position: 1 })).json();
    const u1 = (await post(`/api/v1/courses/${c.id}/lessons`, { title: 'Loose' })).json();
    expect([l1.position, l2.position, l0.position, u1.position, u1.sectionId]).toEqual([1, 2, 1, 1, null]);
    expect(await lessonPositions(c.id, s1)).toEqual([1, 2, 3]);

    const moved = await post(`/api/v1/courses/${c.id}/lessons/${l1.id}/move`, { sectionId: s2, position: 1 });
    expect(moved.json()).toMatchObject({ sectionId: s2, position: 1 });
    expect(await lessonPositions(c.id, s1)).toEqual([1, 2]);
    const toLoose = await post(`/api/v1/courses/${c.id}/lessons/${l0.id}/move`, { sectionId: null, position: 1 });
    expect(toLoose.json()).toMatchObject({ sectionId: null, position: 1 });
    expect(await lessonPositions(c.id, null)).toEqual([1, 2]);
    const within = await post(`/api/v1/courses/${c.id}/lessons/${u1.id}/move`, { sectionId: null, position: 99 });
    expect(within.json().position).toBe(2);

    // Nested routes only see their section's lessons.
    expect((await get(`/api/v1/courses/${c.id}/sections/${s2}/lessons/${l2.id}`)).statusCode).toBe(404);
    expect((await get(`/api/v1/courses/${c.id}/sections/${s1}/lessons/${l2.id}`)).statusCode).toBe(200);
    expect(
      (await get(`/api/v1/courses/${c.id}/sections/${s1}/lessons`)).json().data.map((l: { title: string }) => l.title),
    ).toEqual(['L2']);
    const del = await call(ctx.app, 'DELETE', `/api/v1/courses/${c.id}/lessons/${l0.id}`, { key });
    expect(del.statusCode).toBe(204);
    expect(await lessonPositions(c.id, null)).toEqual([1]);
    const byPatch = await patch(`/api/v1/courses/${c.id}/lessons/${l2.id}`, { sectionId: s2 });
    expect(byPatch.json()).toMatchObject({ sectionId: s2, position: 2 });
    expect(await lessonPositions(c.id, s1)).toEqual([]);
  });

  it.each([
    [{ title: 'x', type: 'scorm' }, 'not_supported', ['type']],
    [{ title: 'x', type: 'lecture' }, 'validation_error', ['type']],
    [{ title: 't'.repeat(201) }, 'validation_error', ['title']],
    [{ title: 'x', summary: 's'.repeat(5001) }, 'validation_error', ['summary']],
    [{ title: 'x', duration: -1 }, 'validation_error', ['duration']],
    [{ title: 'x', unlock: { type: 'timed' } }, 'validation_error', ['unlock.afterDays']],
    [{ title: 'x', unlock: { type: 'date' } }, 'validation_error', ['unlock.at']],
    [{ title: 'x', unlock: { type: 'sometimes' } }, 'validation_error', ['unlock.type']],
    [{ title: 'x', completion: { type: 'video' } }, 'validation_error', ['completion.type']],
    [
      { title: 'x', type: 'video', videoUrl: 'https://youtu.be/dQw4w9WgXcQ', completion: { type: 'quiz' } },
      'validation_error',
      ['completion.type'],
    ],
    [{ title: 'x', type: 'video' }, 'validation_error', ['videoUrl']],
    [{ title: 'x', videoUrl: 'https://youtu.be/dQw4w9WgXcQ', type: 'text' }, 'validation_error', ['videoUrl']],
    [{ title: 'x', type: 'video', videoUrl: 'https://example.com/page' }, 'invalid_video_url', ['videoUrl']],
    [{ title: 'x', type: 'audio' }, 'validation_error', ['media']],
    [{ title: 'x', media: { mediaId: 'med_1' } }, 'validation_error', ['media']],
    [{ title: 'x', instructorId: 'usr_nobody' }, 'validation_error', ['instructorId']],
    [{ title: 'x', sectionId: 'sec_nope' }, 'validation_error', ['sectionId']],
    [{ title: 'x', thumbnailUrl: 'https://x/a.png', removeThumbnail: true }, 'validation_error', ['removeThumbnail']],
    [
      {
        title: 'x',
        content: {
          type: 'doc',
          content: [{ type: 'heading', attrs: { level: 5 }, content: [{ type: 'text', text: 'h' }] }],
        },
      },
      'validation_error',
      ['content.content.0.attrs.level'],
    ],
    [{ title: 'x', content: '<p>a</p>', contentMarkdown: '# a' }, 'validation_error', ['contentMarkdown']],
    [{ title: 'x', order: 2, position: 3 }, 'validation_error', ['order']],
  ])('%j → %s at %j', async (body, code, expected) => {
    const c = await newCourse();
    const res = await post(`/api/v1/courses/${c.id}/lessons`, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe(code);
    expect(paths(res)).toEqual(expected);
  });

  it('quiz content is validated: ≥ 2 options, ≥ 1 correct, passingScore 0–100', async () => {
    const c = await newCourse();
    const quiz = (questions: unknown, passingScore: unknown = 70) =>
      post(`/api/v1/courses/${c.id}/lessons`, { title: 'Q', type: 'quiz', content: { questions, passingScore } });
    const ok = await quiz([
      {
        text: '2+2?',
        options: [
          { text: '4', correct: true },
          { text: '5', correct: false },
        ],
      },
    ]);
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ type: 'quiz', completion: { type: 'quiz' }, content: { passingScore: 70 } });
    const one = await quiz([{ text: 'q', options: [{ text: 'a', correct: true }] }]);
    expect(paths(one)).toEqual(['content.questions.0.options']);
    const none = await quiz([
      {
        text: 'q',
        options: [
          { text: 'a', correct: false },
          { text: 'b', correct: false },
        ],
      },
    ]);
    expect(paths(none)).toEqual(['content.questions.0.options']);
    const score = await quiz(
      [
        {
          text: 'q',
          options: [
            { text: 'a', correct: true },
            { text: 'b', correct: false },
          ],
        },
      ],
      101,
    );
    expect(paths(score)).toEqual(['content.passingScore']);
    const missing = await post(`/api/v1/courses/${c.id}/lessons`, { title: 'Q', type: 'quiz' });
    expect(missing.statusCode).toBe(400);
  });

  it('instructor, externalId, Markdown content, thumbnails', async () => {
    const c = await newCourse();
    const teacher = await ctx.services.users.create({
      schoolId: A.id,
      email: `t${Date.now()}@example.com`,
      name: 'Teach',
      role: 'instructor',
    });
    const student = await ctx.services.users.create({
      schoolId: A.id,
      email: `s${Date.now()}@example.com`,
      name: 'Stu',
      role: 'student',
    });
    const l = await post(`/api/v1/courses/${c.id}/lessons`, {
      title: 'MD',
      contentMarkdown: '# Title\n\n- one\n- **two**',
      instructorId: teacher.id,
      externalId: 'L-1',
      thumbnailUrl: 'http://cdn.example.com/t.png',
    });
    expect(l.statusCode).toBe(201);
    expect(l.json()).toMatchObject({
      instructorId: teacher.id,
      externalId: 'L-1',
      thumbnailUrl: 'http://cdn.example.com/t.png',
    });
    expect(l.json().contentHtml).toContain('<h1>Title</h1>');
    const dupExt = await post(`/api/v1/courses/${c.id}/lessons`, { title: 'Other', externalId: 'L-1' });
    expect(dupExt.statusCode).toBe(409);
    expect(dupExt.json().error).toBe('duplicate_external_id');
    const asStudent = await patch(`/api/v1/courses/${c.id}/lessons/${l.json().id}`, { instructorId: student.id });
    expect(paths(asStudent)).toEqual(['instructorId']);
    const removed = await patch(`/api/v1/courses/${c.id}/lessons/${l.json().id}`, { removeThumbnail: true });
    expect(removed.json().thumbnailUrl).toBeNull();
    const inc = (await get(`/api/v1/courses/${c.id}?include=instructors`)).json();
    expect(inc.instructors).toEqual([expect.objectContaining({ id: teacher.id, name: 'Teach' })]);
  });
});

describe('payment plans', () => {
  it('first plan is default; one active per type; subscriptions monthly and yearly; archive rules', async () => {
    const c = await newCourse();
    const url = `/api/v1/courses/${c.id}/payment-plans`;
    const once = await post(url, { name: 'Once', type: 'one_time', amount: 4999 });
    expect(once.json()).toMatchObject({ isDefault: true, currency: 'USD', amount: 4999, status: 'active' });
    const again = await post(url, { name: 'Again', type: 'one_time', amount: 10 });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe('conflict');
    const monthly = await post(url, {
      name: 'Monthly',
      type: 'subscription',
      amount: 999,
      interval: 'month',
      currency: 'eur',
    });
    expect(monthly.json()).toMatchObject({ isDefault: false, currency: 'EUR', interval: 'month' });
    expect((await post(url, { name: 'Yearly', type: 'subscription', amount: 9999, interval: 'year' })).statusCode).toBe(
      201,
    );
    expect(
      (await post(url, { name: 'Monthly 2', type: 'subscription', amount: 5, interval: 'month' })).statusCode,
    ).toBe(409);
    const inst = await post(url, { name: '3x', type: 'installments', amount: 2000, installments: { count: 3 } });
    expect(inst.json().installments).toEqual({ count: 3 });

    const archiveDefault = await call(ctx.app, 'DELETE', `${url}/${once.json().id}`, { key });
    expect(archiveDefault.statusCode).toBe(409);
    const makeDefault = await post(`${url}/${monthly.json().id}/default`, {});
    expect(makeDefault.json().isDefault).toBe(true);
    const archived = await call(ctx.app, 'DELETE', `${url}/${once.json().id}`, { key });
    expect(archived.json().status).toBe('archived');
    expect((await post(`${url}/${once.json().id}/default`, {})).statusCode).toBe(409);
    // Archived frees the type for a new active plan; the row is kept.
    expect((await post(url, { name: 'Once again', type: 'one_time', amount: 10 })).statusCode).toBe(201);
    expect((await get(url)).json().data).toHaveLength(5);
    const course = (await get(`/api/v1/courses/${c.id}`)).json();
    expect(course).toMatchObject({
      price: 999,
      isFree: false,
      currency: 'EUR',
      defaultPaymentPlanId: monthly.json().id,
    });
  });

  it.each([
    [{ name: 'F', type: 'free', amount: 5 }, ['amount']],
    [{ name: 'P', type: 'one_time', amount: 0 }, ['amount']],
    [{ name: 'P', type: 'one_time' }, ['amount']],
    [{ name: 'S', type: 'subscription', amount: 5 }, ['interval']],
    [{ name: 'O', type: 'one_time', amount: 5, interval: 'month' }, ['interval']],
    [{ name: 'I', type: 'installments', amount: 5 }, ['installments']],
    [{ name: 'I', type: 'installments', amount: 5, installments: { count: 1 } }, ['installments.count']],
    [{ name: 'X', type: 'lifetime', amount: 5 }, ['type']],
    [{ name: 'C', type: 'one_time', amount: 5, currency: 'EURO' }, ['currency']],
    [{ type: 'free' }, ['name']],
  ])('%j → 400 at %j', async (body, expected) => {
    const c = await newCourse();
    const res = await post(`/api/v1/courses/${c.id}/payment-plans`, body);
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toEqual(expected);
  });
});

describe('concurrency (real connections)', () => {
  const send = async (base: string, method: string, url: string, body: unknown) =>
    fetch(base + url, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as Record<string, unknown>,
    }));

  it('20 concurrent lesson creates and moves leave dense positions and no 500', async () => {
    const base = await listen(ctx.app);
    const c = await newCourse({ sections: [{ title: 'S1' }, { title: 'S2' }] });
    const [s1, s2] = c.sections.map((s) => s.id) as [string, string];
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(base, 'POST', `/api/v1/courses/${c.id}/lessons`, { title: `L${i}`, sectionId: s1, position: 1 }),
      ),
    );
    expect(tally(created.map((r) => r.status))).toEqual({ 201: 20 });
    expect(await lessonPositions(c.id, s1)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const moves = await Promise.all(
      created.map((r, i) =>
        send(base, 'POST', `/api/v1/courses/${c.id}/lessons/${r.body.id as string}/move`, {
          sectionId: i % 2 ? s2 : null,
          position: 1,
        }),
      ),
    );
    expect(tally(moves.map((r) => r.status))).toEqual({ 200: 20 });
    expect(await lessonPositions(c.id, s1)).toEqual([]);
    expect(await lessonPositions(c.id, s2)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(await lessonPositions(c.id, null)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('concurrent section creates, course creates with one title, and default plans stay consistent', async () => {
    const base = await listen(ctx.app);
    const c = await newCourse();
    const secs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(base, 'POST', `/api/v1/courses/${c.id}/sections`, { title: `S${i}` })),
    );
    expect(tally(secs.map((r) => r.status))).toEqual({ 201: 20 });
    const positions = (await ctx.database.db.select().from(sections).where(eq(sections.courseId, c.id)))
      .map((s) => s.position)
      .sort((a, b) => a - b);
    expect(positions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

    const sameTitle = await Promise.all(
      Array.from({ length: 20 }, () => send(base, 'POST', '/api/v1/courses', { title: 'Race Course' })),
    );
    expect(tally(sameTitle.map((r) => r.status))).toEqual({ 201: 20 });
    expect(new Set(sameTitle.map((r) => r.body.slug)).size).toBe(20);

    const d = await newCourse();
    const plans = await Promise.all(
      ['free', 'one_time', 'subscription', 'installments'].flatMap((type) =>
        Array.from({ length: 5 }, () =>
          send(base, 'POST', `/api/v1/courses/${d.id}/payment-plans`, {
            name: type,
            type,
            amount: type === 'free' ? 0 : 100,
            ...(type === 'subscription' ? { interval: 'month' } : {}),
            ...(type === 'installments' ? { installments: { count: 2 } } : {}),
          }),
        ),
      ),
    );
    expect(tally(plans.map((r) => r.status))).toEqual({ 201: 4, 409: 16 });
    const list = (await get(`/api/v1/courses/${d.id}/payment-plans`)).json().data as { isDefault: boolean }[];
    expect(list.filter((p) => p.isDefault)).toHaveLength(1);
  });
});

describe('review follow-ups', () => {
  it('PATCH applies the type rules to the merged lesson', async () => {
    const c = await newCourse();
    const text = (await post(`/api/v1/courses/${c.id}/lessons`, { title: 'T' })).json();
    const toAudio = await patch(`/api/v1/courses/${c.id}/lessons/${text.id}`, { type: 'audio' });
    expect(toAudio.statusCode).toBe(400);
    expect(paths(toAudio)).toEqual(['media']);
    const toVideo = await patch(`/api/v1/courses/${c.id}/lessons/${text.id}`, { type: 'video' });
    expect(paths(toVideo)).toEqual(['videoUrl']);
    const video = (
      await post(`/api/v1/courses/${c.id}/lessons`, {
        title: 'V',
        type: 'video',
        videoUrl: 'https://vimeo.com/76979871',
      })
    ).json();
    const toText = await patch(`/api/v1/courses/${c.id}/lessons/${video.id}`, { type: 'text' });
    expect(toText.json()).toMatchObject({ type: 'text', videoUrl: null, videoMeta: null });
  });

  it('moving to a section of another course is refused', async () => {
    const c = await newCourse({ sections: [{ title: 'Mine' }] });
    const other = await newCourse({ sections: [{ title: 'Theirs' }] });
    const l = (await post(`/api/v1/courses/${c.id}/lessons`, { title: 'L' })).json();
    const res = await post(`/api/v1/courses/${c.id}/lessons/${l.id}/move`, { sectionId: other.sections[0]!.id });
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toEqual(['sectionId']);
    const byPatch = await patch(`/api/v1/courses/${c.id}/lessons/${l.id}`, { sectionId: other.sections[0]!.id });
    expect(paths(byPatch)).toEqual(['sectionId']);
  });

  it('plan PATCH rules', async () => {
    const c = await newCourse();
    const url = `/api/v1/courses/${c.id}/payment-plans`;
    const monthly = (await post(url, { name: 'M', type: 'subscription', amount: 5, interval: 'month' })).json();
    const yearly = (await post(url, { name: 'Y', type: 'subscription', amount: 50, interval: 'year' })).json();
    const once = (await post(url, { name: 'O', type: 'one_time', amount: 5 })).json();
    expect((await patch(`${url}/${yearly.id}`, { interval: 'month' })).statusCode).toBe(409);
    expect(paths(await patch(`${url}/${once.id}`, { installments: { count: 3 } }))).toEqual(['installments']);
    expect(paths(await patch(`${url}/${once.id}`, { amount: 0 }))).toEqual(['amount']);
    expect(paths(await patch(`${url}/${once.id}`, { type: 'free' }))).toEqual(['type']);
    const ok = await patch(`${url}/${monthly.id}`, { amount: 7, name: 'Monthly' });
    expect(ok.json()).toMatchObject({ amount: 7, name: 'Monthly' });
  });

  it('ETags of sections and plans change when their documents change', async () => {
    const c = await newCourse({ sections: [{ title: 'S' }] });
    const s = c.sections[0]!.id;
    const before = (await get(`/api/v1/courses/${c.id}/sections/${s}`)).headers.etag;
    await post(`/api/v1/courses/${c.id}/sections/${s}/lessons`, { title: 'New' });
    const after = await get(`/api/v1/courses/${c.id}/sections/${s}`);
    expect(after.headers.etag).not.toBe(before);
    expect(after.json().lessons).toHaveLength(1);
    const url = `/api/v1/courses/${c.id}/payment-plans`;
    const first = (await post(url, { name: 'F', type: 'free' })).json();
    const second = (await post(url, { name: 'P', type: 'one_time', amount: 9 })).json();
    const firstTag = (await get(`${url}/${first.id}`)).headers.etag;
    await post(`${url}/${second.id}/default`, {});
    const firstNow = await get(`${url}/${first.id}`);
    expect(firstNow.json().isDefault).toBe(false);
    expect(firstNow.headers.etag).not.toBe(firstTag);
  });

  it('lists of a course’s parts have the standard shape', async () => {
    const c = await newCourse({ sections: [{ title: 'S', lessons: [{ title: 'L' }] }] });
    for (const part of ['sections', 'lessons', 'payment-plans']) {
      const body = (await get(`/api/v1/courses/${c.id}/${part}`)).json();
      expect(body.pagination).toMatchObject({ page: 1, hasMore: false, nextCursor: null, total: body.data.length });
    }
  });
});
