/**
 * School isolation and scopes over the whole route table: school B's key gets 404 on every id of
 * school A (and nothing of A changes); a courses:read key cannot write; a students key cannot read.
 */
import { describe, expect, it } from 'vitest';
import { call, createKey, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);

// School A's resources.
const cat = (await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, body: { name: 'A cat' } })).json();
const course = (
  await call(ctx.app, 'POST', '/api/v1/courses', {
    key: A.key,
    body: {
      title: 'A course',
      isFree: true,
      categoryId: cat.id,
      sections: [{ title: 'A sec', lessons: [{ title: 'A lesson' }] }],
    },
  })
).json();
const sec = course.sections[0].id as string;
const les = course.sections[0].lessons[0].id as string;
const plan = course.defaultPaymentPlanId as string;
const c = course.id as string;
const stu = (
  await call(ctx.app, 'POST', '/api/v1/students', {
    key: A.key,
    body: { name: 'A student', email: 'a-student@example.com' },
  })
).json().id as string;
const pub = (
  await call(ctx.app, 'POST', '/api/v1/courses', {
    key: A.key,
    body: {
      title: 'A published',
      isFree: true,
      status: 'published',
      sections: [{ title: 'S', lessons: [{ title: 'L' }] }],
    },
  })
).json().id as string;
const enr = (
  await call(ctx.app, 'POST', '/api/v1/enrollments', { key: A.key, body: { studentId: stu, courseId: pub } })
).json().id as string;
const pubLesson = (await call(ctx.app, 'GET', `/api/v1/courses/${pub}`, { key: A.key })).json().sections[0].lessons[0]
  .id as string;
await call(ctx.app, 'PATCH', `/api/v1/enrollments/${enr}`, {
  key: A.key,
  body: { lessonId: pubLesson, completed: true },
});
const crt = (await call(ctx.app, 'GET', `/api/v1/certificates?studentId=${stu}`, { key: A.key })).json().data[0]
  .id as string;
const com = (
  await call(ctx.app, 'POST', '/api/v1/communities', { key: A.key, body: { name: 'A community', slug: 'a-community' } })
).json().id as string;
await call(ctx.app, 'POST', `/api/v1/communities/${com}/members`, { key: A.key, body: { userId: stu } });
const thr = (
  await call(ctx.app, 'POST', `/api/v1/communities/${com}/threads`, {
    key: A.key,
    body: { title: 'T', content: 'x', userId: stu },
  })
).json().id as string;
const cmt = (
  await call(ctx.app, 'POST', `/api/v1/communities/${com}/threads/${thr}/comments`, {
    key: A.key,
    body: { content: 'x', userId: stu },
  })
).json().id as string;
const med = (
  await call(ctx.app, 'POST', '/api/v1/media/presigned', {
    key: A.key,
    body: { fileName: 'a.pdf', mimeType: 'application/pdf', size: 10 },
  })
).json().mediaId as string;

const whk = (
  await call(ctx.app, 'POST', '/api/v1/webhooks', {
    key: A.key,
    body: { url: 'https://example.com/hook', events: ['*'] },
  })
).json().id as string;
const evt = (await call(ctx.app, 'POST', `/api/v1/webhooks/${whk}/test`, { key: A.key })).json().id as string;
// No workers run here: the fan-out job's work is done directly to get a delivery id.
await ctx.services.webhooks.fanOut(A.id, evt);
const dlv = (await call(ctx.app, 'GET', `/api/v1/webhooks/${whk}/deliveries`, { key: A.key })).json().data[0]
  .id as string;

type Route = [method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, write?: boolean];
/** Every route that takes an id of school A. */
const ROUTES: Route[] = [
  ['GET', `/api/v1/categories/${cat.id}`],
  ['PATCH', `/api/v1/categories/${cat.id}`, { name: 'x' }, true],
  ['DELETE', `/api/v1/categories/${cat.id}`, undefined, true],
  ['GET', `/api/v1/courses/${c}`],
  ['GET', `/api/v1/courses/${c}/export`],
  ['PATCH', `/api/v1/courses/${c}`, { title: 'x' }, true],
  ['DELETE', `/api/v1/courses/${c}`, undefined, true],
  ['POST', `/api/v1/courses/${c}/publish`, {}, true],
  ['DELETE', `/api/v1/courses/${c}/publish`, undefined, true],
  ['POST', `/api/v1/courses/${c}/duplicate`, {}, true],
  ['GET', `/api/v1/courses/${c}/sections`],
  ['POST', `/api/v1/courses/${c}/sections`, { title: 'x' }, true],
  ['POST', `/api/v1/courses/${c}/sections/reorder`, { sectionIds: [sec] }, true],
  ['GET', `/api/v1/courses/${c}/sections/${sec}`],
  ['PATCH', `/api/v1/courses/${c}/sections/${sec}`, { title: 'x' }, true],
  ['DELETE', `/api/v1/courses/${c}/sections/${sec}`, undefined, true],
  ['GET', `/api/v1/courses/${c}/lessons`],
  ['POST', `/api/v1/courses/${c}/lessons`, { title: 'x' }, true],
  ['GET', `/api/v1/courses/${c}/lessons/${les}`],
  ['PATCH', `/api/v1/courses/${c}/lessons/${les}`, { title: 'x' }, true],
  ['DELETE', `/api/v1/courses/${c}/lessons/${les}`, undefined, true],
  ['POST', `/api/v1/courses/${c}/lessons/${les}/move`, { sectionId: null }, true],
  ['GET', `/api/v1/courses/${c}/sections/${sec}/lessons`],
  ['POST', `/api/v1/courses/${c}/sections/${sec}/lessons`, { title: 'x' }, true],
  ['GET', `/api/v1/courses/${c}/sections/${sec}/lessons/${les}`],
  ['PATCH', `/api/v1/courses/${c}/sections/${sec}/lessons/${les}`, { title: 'x' }, true],
  ['DELETE', `/api/v1/courses/${c}/sections/${sec}/lessons/${les}`, undefined, true],
  ['GET', `/api/v1/courses/${c}/payment-plans`],
  ['POST', `/api/v1/courses/${c}/payment-plans`, { name: 'x', type: 'one_time', amount: 5 }, true],
  ['GET', `/api/v1/courses/${c}/payment-plans/${plan}`],
  ['PATCH', `/api/v1/courses/${c}/payment-plans/${plan}`, { name: 'x' }, true],
  ['DELETE', `/api/v1/courses/${c}/payment-plans/${plan}`, undefined, true],
  ['POST', `/api/v1/courses/${c}/payment-plans/${plan}/default`, {}, true],
  ['GET', `/api/v1/media/${med}`],
  ['POST', `/api/v1/media/${med}/complete`, {}, true],
  ['DELETE', `/api/v1/media/${med}`, undefined, true],
  ['GET', `/api/v1/students/${stu}`],
  ['POST', `/api/v1/students/${stu}/tokens`, {}, true],
  ['DELETE', `/api/v1/students/${stu}/tokens`, undefined, true],
  ['PATCH', `/api/v1/students/${stu}`, { name: 'x' }, true],
  ['DELETE', `/api/v1/students/${stu}`, undefined, true],
  ['GET', `/api/v1/users/${stu}`],
  ['PATCH', `/api/v1/users/${stu}`, { name: 'x' }, true],
  ['DELETE', `/api/v1/users/${stu}`, undefined, true],
  ['GET', `/api/v1/enrollments/${enr}`],
  ['PATCH', `/api/v1/enrollments/${enr}`, { lessonId: pubLesson, completed: false }, true],
  ['DELETE', `/api/v1/enrollments/${enr}`, undefined, true],
  ['GET', `/api/v1/certificates/${crt}`],
  ['GET', `/api/v1/certificates/${crt}/pdf`],
  ['GET', `/api/v1/certificates/${crt}/credential`],
  ['POST', `/api/v1/certificates/${crt}/revoke`, { reason: 'x' }, true],
  ['GET', `/api/v1/students/${stu}/activity`],
  ['GET', `/api/v1/students/${stu}/achievements`],
  ['GET', `/api/v1/communities/${com}`],
  ['PATCH', `/api/v1/communities/${com}`, { name: 'x' }, true],
  ['DELETE', `/api/v1/communities/${com}`, undefined, true],
  ['GET', `/api/v1/communities/${com}/members`],
  ['POST', `/api/v1/communities/${com}/members`, { userId: stu }, true],
  ['DELETE', `/api/v1/communities/${com}/members?userId=${stu}`, undefined, true],
  ['GET', `/api/v1/communities/${com}/threads`],
  ['POST', `/api/v1/communities/${com}/threads`, { title: 'x', content: 'x', userId: stu }, true],
  ['GET', `/api/v1/communities/${com}/threads/${thr}`],
  ['PATCH', `/api/v1/communities/${com}/threads/${thr}`, { title: 'x' }, true],
  ['DELETE', `/api/v1/communities/${com}/threads/${thr}`, undefined, true],
  ['GET', `/api/v1/communities/${com}/threads/${thr}/comments`],
  ['POST', `/api/v1/communities/${com}/threads/${thr}/comments`, { content: 'x', userId: stu }, true],
  ['PATCH', `/api/v1/communities/${com}/threads/${thr}/comments/${cmt}`, { content: 'x' }, true],
  ['DELETE', `/api/v1/communities/${com}/threads/${thr}/comments/${cmt}`, undefined, true],
  ['GET', `/api/v1/communities/${com}/media`],
  [
    'POST',
    `/api/v1/communities/${com}/media`,
    { type: 'file', title: 'f', url: 'https://x.example/f', fileName: 'f', fileSize: 1, userId: stu },
    true,
  ],
  ['GET', `/api/v1/events/${evt}`],
  ['GET', `/api/v1/webhooks/${whk}`],
  ['PATCH', `/api/v1/webhooks/${whk}`, { enabled: false }, true],
  ['DELETE', `/api/v1/webhooks/${whk}`, undefined, true],
  ['POST', `/api/v1/webhooks/${whk}/rotate-secret`, undefined, true],
  ['POST', `/api/v1/webhooks/${whk}/test`, undefined, true],
  ['GET', `/api/v1/webhooks/${whk}/deliveries`],
  ['POST', `/api/v1/webhooks/${whk}/deliveries/${dlv}/retry`, undefined, true],
];
/** The catalogue routes (categories, courses and their parts) use the courses scopes. */
const CATALOGUE = ROUTES.filter(([, url]) => /^\/api\/v1\/(courses|categories)/.test(url));

describe('school isolation', () => {
  it('the table covers every route that takes an id (checked against the OpenAPI document)', async () => {
    const doc = (await call(ctx.app, 'GET', '/api/v1/openapi.json')).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const covered = new Set(
      ROUTES.map(
        ([m, u]) =>
          `${m} ${u.split('?')[0]!.replace(/(cat|crs|sec|les|pln|med|usr|enr|crt|com|thr|cmt|whk|evt|dlv)_[0-9A-Za-z]+/g, '{}')}`,
      ),
    );
    const withIds = Object.entries(doc.paths)
      .filter(
        // The /me routes refuse every school key (403); learner-api.test.ts checks their isolation.
        ([path]) =>
          /\{(id|sectionId|lessonId|planId|threadId|commentId)\}/.test(path) &&
          !path.includes('api-keys') &&
          !path.startsWith('/api/v1/me/'),
      )
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{[^}]+\}/g, '{}')}`));
    expect(withIds.filter((r) => !covered.has(r))).toEqual([]);
  });

  it('ids of school A in request bodies are refused for school B', async () => {
    const bCourse = (
      await call(ctx.app, 'POST', '/api/v1/courses', {
        key: B.key,
        body: { title: 'B own', sections: [{ title: 'B sec' }] },
      })
    ).json();
    const cases: [string, string, unknown, string][] = [
      ['PATCH', `/api/v1/courses/${bCourse.id}`, { categoryId: cat.id }, 'categoryId'],
      ['POST', `/api/v1/courses/${bCourse.id}/lessons`, { title: 'x', sectionId: sec }, 'sectionId'],
      [
        'PATCH',
        `/api/v1/courses/${bCourse.id}/sections/${bCourse.sections[0].id}`,
        { prerequisites: [sec] },
        'prerequisites.0',
      ],
      ['POST', `/api/v1/courses/${bCourse.id}/lessons`, { title: 'x', instructorId: A.owner.id }, 'instructorId'],
    ];
    for (const [method, url, body, path] of cases) {
      const res = await call(ctx.app, method as 'POST', url, { key: B.key, body });
      expect(res.statusCode, url).toBe(400);
      expect(
        res.json().details.map((d: { path: string }) => d.path),
        url,
      ).toContain(path);
    }
  });

  it.each(ROUTES)("school B's key: %s %s → 404", async (method, url, body) => {
    const res = await call(ctx.app, method, url, { key: B.key, body });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
  });

  it("school A's data is untouched and lists never mix", async () => {
    const now = (await call(ctx.app, 'GET', `/api/v1/courses/${c}?include=paymentPlans`, { key: A.key })).json();
    expect(now).toMatchObject({ title: 'A course', status: 'draft' });
    expect(now.sections[0].lessons.map((l: { id: string }) => l.id)).toEqual([les]);
    expect(now.paymentPlans).toHaveLength(1);
    await call(ctx.app, 'POST', '/api/v1/courses', { key: B.key, body: { title: 'B course' } });
    const listB = (await call(ctx.app, 'GET', '/api/v1/courses?limit=100', { key: B.key })).json();
    const titlesB = listB.data.map((x: { title: string }) => x.title);
    expect(titlesB).toContain('B course');
    expect(titlesB.every((t: string) => t.startsWith('B '))).toBe(true);
    const listA = (await call(ctx.app, 'GET', '/api/v1/courses?limit=100', { key: A.key })).json();
    expect(listA.data.map((x: { title: string }) => x.title)).not.toContain('B course');
    // B may not attach A's category either.
    const foreign = await call(ctx.app, 'POST', '/api/v1/courses', {
      key: B.key,
      body: { title: 'Sneaky', categoryId: cat.id },
    });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().details[0].path).toBe('categoryId');
  });
});

describe('scopes', async () => {
  const reader = (await createKey(ctx, A.id, ['courses:read'])).key;
  const students = (await createKey(ctx, A.id, ['students:write'])).key;

  it.each(CATALOGUE.filter((r) => r[3]))(
    'courses:read cannot %s %s (403 naming courses:write)',
    async (method, url, body) => {
      const res = await call(ctx.app, method, url, { key: reader, body });
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toContain("'courses:write'");
    },
  );

  it.each(CATALOGUE.filter((r) => !r[3]))('courses:read can %s %s; students:write cannot', async (method, url) => {
    expect((await call(ctx.app, method, url, { key: reader })).statusCode).toBe(200);
    const res = await call(ctx.app, method, url, { key: students });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toContain("'courses:read'");
  });
});
