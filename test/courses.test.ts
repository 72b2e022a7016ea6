/** Courses: the seed workflows end to end, every field rule, the curriculum read, publishing. */

import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { categories, courses, lessons, paymentPlans, sections } from '../src/db/schema/index.js';
import { WELCOME_TO_RUST } from './fixtures.js';
import { call, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const key = A.key;

const post = (url: string, body: unknown, k = key) => call(ctx.app, 'POST', url, { key: k, body });
const patch = (url: string, body: unknown, k = key) => call(ctx.app, 'PATCH', url, { key: k, body });
const get = (url: string, k = key) => call(ctx.app, 'GET', url, { key: k });

describe('CourseLit workflow: draft → metadata → plan → sections → lessons → publish', () => {
  it('works end to end', async () => {
    const draft = await post('/api/v1/courses', { title: 'AI Foundations', type: 'course' });
    expect(draft.statusCode).toBe(201);
    const course = draft.json();
    expect(course).toMatchObject({
      object: 'course',
      title: 'AI Foundations',
      type: 'course',
      slug: 'ai-foundations',
      status: 'draft',
      sections: [],
      unsectionedLessons: [],
    });
    const id = course.id as string;

    const meta = await patch(`/api/v1/courses/${id}`, {
      slug: 'ai-foundations-2026',
      description: JSON.stringify({
        type: 'doc',
        content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Learn AI.' }] }],
      }),
      privacy: 'unlisted',
      tags: ['AI', ' machine learning ', 'ai'],
    });
    expect(meta.statusCode).toBe(200);
    expect(meta.json()).toMatchObject({
      slug: 'ai-foundations-2026',
      privacy: 'unlisted',
      tags: ['AI', 'machine learning'],
      descriptionHtml: '<p>Learn AI.</p>',
    });

    // Publishing now is blocked by both requirements, listed together.
    const blocked = await post(`/api/v1/courses/${id}/publish`, {});
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json().error).toBe('publish_blocked');
    expect(
      blocked
        .json()
        .details.map((d: { code: string }) => d.code)
        .sort(),
    ).toEqual(['missing_lesson', 'missing_payment_plan']);

    const plan = await post(`/api/v1/courses/${id}/payment-plans`, { name: 'Free', type: 'free' });
    expect(plan.statusCode).toBe(201);
    expect(plan.json()).toMatchObject({
      object: 'payment_plan',
      type: 'free',
      amount: 0,
      currency: 'USD',
      isDefault: true,
    });

    const section = await post(`/api/v1/courses/${id}/sections`, { title: 'Getting started' });
    expect(section.statusCode).toBe(201);
    const lesson = await post(`/api/v1/courses/${id}/lessons`, {
      title: 'Welcome to Rust',
      type: 'text',
      content: WELCOME_TO_RUST,
      sectionId: section.json().id,
    });
    expect(lesson.statusCode).toBe(201);
    expect(lesson.json().content).toEqual(WELCOME_TO_RUST);
    expect(lesson.json().contentHtml).toContain('<h2>Install Rust</h2>');
    expect(lesson.json().contentHtml).toContain('<strong>rustup</strong>');
    expect(lesson.json().contentHtml).toContain('<th');
    expect(lesson.json().contentHtml).toContain('cargo run');

    const published = await patch(`/api/v1/courses/${id}`, { published: true });
    expect(published.statusCode).toBe(200);
    expect(published.json()).toMatchObject({
      status: 'published',
      isFree: true,
      price: 0,
      defaultPaymentPlanId: plan.json().id,
    });
    expect(published.json().publishedAt).toEqual(expect.any(String));
    const unpublished = await call(ctx.app, 'DELETE', `/api/v1/courses/${id}/publish`, { key });
    expect(unpublished.json().status).toBe('draft');
  });
});

describe('Thought Industries examples', () => {
  it('minimal create: title and courseType, draft with a generated slug', async () => {
    const res = await post('/api/v1/courses', { title: 'Introduction to Platform APIs', courseType: 'course' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ type: 'course', status: 'draft', slug: 'introduction-to-platform-apis' });
    expect(res.headers.location).toBe(`/api/v1/courses/${res.json().id}`);
    expect(res.headers.etag).toMatch(/^"crs_/);
  });

  it('full create with HTML description, authors, tags, externalId and custom fields', async () => {
    await patch('/api/v1/school', { customFields: [{ key: 'difficulty', label: 'Difficulty', type: 'text' }] });
    const res = await post('/api/v1/courses', {
      title: 'Advanced Integration Patterns',
      courseType: 'course',
      slug: 'advanced-integration-patterns',
      description:
        '<p>Learn how to build <strong>robust</strong> integrations.</p><script>alert(1)</script><a href="javascript:alert(1)" onclick="x()">x</a>',
      publishedStatus: 'draft',
      authors: ['Jane Doe', 'John Smith'],
      tags: ['integration', 'advanced', 'api'],
      externalId: 'EXT-COURSE-042',
      isFree: false,
      customFields: { difficulty: 'advanced', estimatedHours: 4 },
    });
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({
      slug: 'advanced-integration-patterns',
      status: 'draft',
      authors: ['Jane Doe', 'John Smith'],
      tags: ['integration', 'advanced', 'api'],
      externalId: 'EXT-COURSE-042',
      isFree: false,
      customFields: { difficulty: 'advanced' }, // estimatedHours is not defined on the school: dropped
    });
    expect(c.descriptionHtml).toContain('<strong>robust</strong>');
    expect(c.descriptionHtml).not.toMatch(/script|javascript:|onclick/);
  });

  it.each([
    [{ courseType: 'course' }, 'title', 'validation_error'],
    [{ title: '' }, 'title', 'validation_error'],
    [{ title: 't'.repeat(256) }, 'title', 'validation_error'],
    [{ title: 'x', courseType: 'quiz' }, 'courseType', 'validation_error'],
    [{ title: 'x', slug: 'Not A Slug' }, 'slug', 'validation_error'],
    [{ title: 'x', level: 'expert' }, 'level', 'validation_error'],
    [{ title: 'x', privacy: 'secret' }, 'privacy', 'validation_error'],
    [{ title: 'x', thumbnailUrl: 'ftp://x/y.png' }, 'thumbnailUrl', 'validation_error'],
    [{ title: 'x', shortDescription: 's'.repeat(501) }, 'shortDescription', 'validation_error'],
    [{ title: 'x', isFree: true, price: 100 }, 'price', 'validation_error'],
    [{ title: 'x', price: -1 }, 'price', 'validation_error'],
    [{ title: 'x', categoryId: 'cat_nope' }, 'categoryId', 'validation_error'],
    [{ title: 'x', type: 'course', courseType: 'video' }, 'courseType', 'validation_error'],
    [{ title: 'x', published: true, status: 'draft' }, 'published', 'validation_error'],
    [{ title: 'x', creatorId: 'usr_1' }, 'creatorId', 'validation_error'],
    [
      { title: 'x', description: { type: 'doc', content: [{ type: 'text', text: 'bare' }] } },
      'description.content.0',
      'validation_error',
    ],
  ])('%j → 400 at %s', async (body, path, code) => {
    const before = (await ctx.database.db.select({ n: count() }).from(courses))[0]!.n;
    const res = await post('/api/v1/courses', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe(code);
    expect(res.json().details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await ctx.database.db.select({ n: count() }).from(courses))[0]!.n).toBe(before);
  });

  it('duplicate slug and externalId are 409', async () => {
    await post('/api/v1/courses', { title: 'Dup', slug: 'dup-slug', externalId: 'EXT-DUP' });
    const slug = await post('/api/v1/courses', { title: 'Dup 2', slug: 'dup-slug' });
    expect(slug.statusCode).toBe(409);
    expect(slug.json().error).toBe('duplicate_slug');
    const ext = await post('/api/v1/courses', { title: 'Dup 3', externalId: 'EXT-DUP' });
    expect(ext.statusCode).toBe(409);
    expect(ext.json().error).toBe('duplicate_external_id');
    const gen = [
      await post('/api/v1/courses', { title: 'Same Title' }),
      await post('/api/v1/courses', { title: 'Same Title' }),
    ];
    expect(gen.map((r) => r.json().slug)).toEqual(['same-title', 'same-title-2']);
  });

  it('wrong custom field types are 400', async () => {
    await patch('/api/v1/school', { customFields: [{ key: 'hours', label: 'Hours', type: 'number' }] });
    const res = await post('/api/v1/courses', { title: 'CF', customFields: { hours: 'four' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().details[0].path).toBe('customFields.hours');
  });
});

describe('Blohko nested create', () => {
  const BLOHKO = {
    title: 'Mastering TypeScript',
    slug: 'mastering-typescript',
    description: 'A comprehensive guide to TypeScript...',
    shortDescription: 'Learn TypeScript from scratch',
    price: 4999,
    level: 'intermediate',
    categoryId: 'cat_abc123',
    sections: [
      {
        title: 'Getting Started',
        lessons: [
          {
            title: 'What is TypeScript?',
            description: 'An introduction to TypeScript',
            duration: 600,
            videoUrl: 'https://youtube.com/watch?v=abc123',
            isPreview: true,
          },
          { title: 'Setting Up Your Environment', duration: 480, videoUrl: 'https://vimeo.com/123456789' },
        ],
      },
      {
        title: 'Type System Deep Dive',
        lessons: [{ title: 'Primitive Types', duration: 720, videoUrl: 'https://cdn.example.com/video.mp4' }],
      },
    ],
  };

  it('the seed example, verbatim, creates the whole course in one request', async () => {
    // The example names category cat_abc123: the school has one with that id.
    await ctx.database.db
      .insert(categories)
      .values({ id: 'cat_abc123', schoolId: A.id, name: 'Web', slug: 'web', order: 1 });
    const res = await post('/api/v1/courses', BLOHKO);
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({
      slug: 'mastering-typescript',
      price: 4999,
      isFree: false,
      currency: 'USD',
      level: 'intermediate',
      categoryId: 'cat_abc123',
    });
    expect(c.descriptionHtml).toBe('<p>A comprehensive guide to TypeScript...</p>');
    expect(c.sections.map((s: { title: string; position: number }) => [s.title, s.position])).toEqual([
      ['Getting Started', 1],
      ['Type System Deep Dive', 2],
    ]);
    const [first, second] = c.sections[0].lessons;
    expect(first).toMatchObject({
      title: 'What is TypeScript?',
      type: 'video',
      summary: 'An introduction to TypeScript',
      duration: 600,
      isPreview: true,
      position: 1,
    });
    expect(first.videoUrl).toBe('https://www.youtube.com/embed/abc123');
    expect(first.videoMeta).toMatchObject({
      type: 'youtube',
      videoId: 'abc123',
      originalUrl: 'https://youtube.com/watch?v=abc123',
    });
    expect(second).toMatchObject({ position: 2, videoUrl: 'https://player.vimeo.com/video/123456789' });
    expect(c.sections[1].lessons[0].videoMeta).toMatchObject({ type: 'direct' });
  });

  it('a bad lesson anywhere rejects everything with its path, and writes nothing', async () => {
    const counts = async () =>
      Promise.all(
        [courses, sections, lessons, paymentPlans].map(
          async (t) => (await ctx.database.db.select({ n: count() }).from(t))[0]!.n,
        ),
      );
    const before = await counts();
    const bad = structuredClone(BLOHKO);
    bad.slug = 'mastering-typescript-bad';
    bad.sections[1]!.lessons[0]!.videoUrl = 'https://example.com/not-a-video';
    const res = await post('/api/v1/courses', bad);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: 'invalid_video_url',
      details: [{ path: 'sections.1.lessons.0.videoUrl' }],
    });
    const scorm = structuredClone(BLOHKO);
    scorm.slug = 'mastering-typescript-scorm';
    (scorm.sections[0]!.lessons[1] as Record<string, unknown>).type = 'scorm';
    const notSupported = await post('/api/v1/courses', scorm);
    expect(notSupported.statusCode).toBe(400);
    expect(notSupported.json()).toMatchObject({
      error: 'not_supported',
      details: [{ path: 'sections.0.lessons.1.type' }],
    });
    const shape = await post('/api/v1/courses', {
      title: 'Shape',
      sections: [{ title: 'S', lessons: [{ duration: -5 }] }],
    });
    expect(shape.statusCode).toBe(400);
    expect(
      shape
        .json()
        .details.map((d: { path: string }) => d.path)
        .sort(),
    ).toEqual(['sections.0.lessons.0.duration', 'sections.0.lessons.0.title']);
    expect(await counts()).toEqual(before);
  });
});

describe('curriculum read', () => {
  async function courseWith(nSections: number, lessonsPer: number) {
    const res = await post('/api/v1/courses', {
      title: `Big ${nSections}`,
      isFree: true,
      sections: Array.from({ length: nSections }, (_, i) => ({
        title: `Section ${i + 1}`,
        lessons: Array.from({ length: lessonsPer }, (_, j) => ({
          title: `Lesson ${i + 1}.${j + 1}`,
          content: '<p>Body</p>',
        })),
      })),
    });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  }

  it('costs the same number of queries for 2 and 40 sections', async () => {
    const small = await courseWith(2, 3);
    const big = await courseWith(40, 3);
    const measure = async (id: string) => {
      const before = ctx.database.queryCount();
      const res = await get(`/api/v1/courses/${id}?include=lessons.content,paymentPlans,category,instructors`);
      expect(res.statusCode).toBe(200);
      return ctx.database.queryCount() - before;
    };
    const q2 = await measure(small);
    const q40 = await measure(big);
    expect(q40).toBe(q2);
    expect(q2).toBeLessThanOrEqual(2); // the key look-up and the document
    const doc = (await get(`/api/v1/courses/${big}`)).json();
    expect(doc.sections).toHaveLength(40);
    expect(doc.sections.map((s: { position: number }) => s.position)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    expect(doc.sections[0].lessons[0].content).toBeUndefined();
  });

  it('Kajabi-style include and sparse fields', async () => {
    const id = await courseWith(2, 2);
    const res = await get(
      `/api/v1/courses/${id}?include=lessons.content,paymentPlans,category&fields[courses]=title,thumbnailUrl&fields[sections]=title&fields[lessons]=title,content&fields[paymentPlans]=amount`,
    );
    expect(res.statusCode).toBe(200);
    const c = res.json();
    expect(Object.keys(c).sort()).toEqual([
      'category',
      'id',
      'object',
      'paymentPlans',
      'sections',
      'thumbnailUrl',
      'title',
      'unsectionedLessons',
    ]);
    expect(Object.keys(c.sections[0]).sort()).toEqual(['id', 'lessons', 'object', 'title']);
    expect(Object.keys(c.sections[0].lessons[0]).sort()).toEqual(['content', 'id', 'object', 'title']);
    expect(c.paymentPlans).toEqual([{ object: 'payment_plan', id: expect.any(String), amount: 0 }]);
    const bad = await get(`/api/v1/courses/${id}?include=modules`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details[0].path).toBe('include');
  });

  it('ETag and If-Match on the course', async () => {
    const id = await courseWith(1, 1);
    const first = await get(`/api/v1/courses/${id}`);
    const etag = first.headers.etag as string;
    await post(`/api/v1/courses/${id}/sections`, { title: 'Added later' });
    const stale = await call(ctx.app, 'PATCH', `/api/v1/courses/${id}`, {
      key,
      headers: { 'if-match': etag },
      body: { title: 'Lost' },
    });
    expect(stale.statusCode).toBe(412);
    const fresh = (await get(`/api/v1/courses/${id}`)).headers.etag as string;
    expect(fresh).not.toBe(etag);
    const ok = await call(ctx.app, 'PATCH', `/api/v1/courses/${id}`, {
      key,
      headers: { 'if-match': fresh },
      body: { title: 'Kept' },
    });
    expect(ok.statusCode).toBe(200);
  });
});

describe('list', () => {
  it('filters, searches, sorts and paginates', async () => {
    const S = await createSchool(ctx);
    const mk = (body: Record<string, unknown>) => post('/api/v1/courses', body, S.key);
    await mk({ title: 'Rust Basics', tags: ['Systems'], externalId: 'R1' });
    await mk({ title: 'Rust Advanced', type: 'video', tags: ['systems'] });
    await mk({
      title: 'Go Basics',
      isFree: true,
      sections: [{ title: 'S', lessons: [{ title: 'L' }] }],
      status: 'published',
    });
    const list = (q: string) => get(`/api/v1/courses?${q}`, S.key).then((r) => r.json());
    expect((await list('search=rust')).data.map((c: { title: string }) => c.title).sort()).toEqual([
      'Rust Advanced',
      'Rust Basics',
    ]);
    expect((await list('status=published')).data.map((c: { title: string }) => c.title)).toEqual(['Go Basics']);
    expect((await list('type=video')).data).toHaveLength(1);
    expect((await list('tag=SYSTEMS')).data).toHaveLength(2);
    expect((await list('externalId=R1')).data[0].title).toBe('Rust Basics');
    expect((await list('sort=title')).data.map((c: { title: string }) => c.title)).toEqual([
      'Go Basics',
      'Rust Advanced',
      'Rust Basics',
    ]);
    const page = await list('sort=title&limit=2');
    expect(page.pagination).toMatchObject({ page: 1, total: 3, totalPages: 2, hasMore: true });
    expect(page.data[0].sections).toBeUndefined();
    const next = await list(`sort=title&limit=2&cursor=${page.pagination.nextCursor}`);
    expect(next.data.map((c: { title: string }) => c.title)).toEqual(['Rust Basics']);
    expect(next.pagination).toMatchObject({ total: null, hasMore: false });
    const sparse = await list('fields[courses]=title');
    expect(Object.keys(sparse.data[0]).sort()).toEqual(['id', 'object', 'title']);
    expect((await get('/api/v1/courses?status=gone', S.key)).statusCode).toBe(400);
  });
});

describe('delete, duplicate, categories in use', () => {
  it('duplicate makes a deep draft copy with a new slug', async () => {
    const src = (
      await post('/api/v1/courses', {
        title: 'Original',
        price: 1000,
        tags: ['t'],
        status: 'draft',
        sections: [{ title: 'S1', lessons: [{ title: 'L1' }, { title: 'L2' }] }, { title: 'S2' }],
      })
    ).json();
    const copy = await post(`/api/v1/courses/${src.id}/duplicate`, {});
    expect(copy.statusCode).toBe(201);
    const c = copy.json();
    expect(c.id).not.toBe(src.id);
    expect(c).toMatchObject({
      title: 'Original (copy)',
      slug: 'original-copy',
      status: 'draft',
      price: 1000,
      tags: ['t'],
    });
    expect(c.defaultPaymentPlanId).not.toBe(src.defaultPaymentPlanId);
    expect(c.sections.map((s: { title: string; lessons: unknown[] }) => [s.title, s.lessons.length])).toEqual([
      ['S1', 2],
      ['S2', 0],
    ]);
    expect(c.sections[0].id).not.toBe(src.sections[0].id);
  });

  it('delete removes the course and all its content', async () => {
    const c = (
      await post('/api/v1/courses', {
        title: 'Doomed',
        isFree: true,
        sections: [{ title: 'S', lessons: [{ title: 'L' }] }],
      })
    ).json();
    const del = await call(ctx.app, 'DELETE', `/api/v1/courses/${c.id}`, { key });
    expect(del.statusCode).toBe(204);
    expect((await get(`/api/v1/courses/${c.id}`)).statusCode).toBe(404);
    for (const t of [sections, lessons, paymentPlans]) {
      expect((await ctx.database.db.select({ n: count() }).from(t).where(eq(t.courseId, c.id)))[0]!.n).toBe(0);
    }
  });

  it('a category in use cannot be deleted (409)', async () => {
    const cat = (await post('/api/v1/categories', { name: 'Used' })).json();
    const c = (await post('/api/v1/courses', { title: 'In category', categoryId: cat.id })).json();
    const res = await call(ctx.app, 'DELETE', `/api/v1/categories/${cat.id}`, { key });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toBe('conflict');
    await call(ctx.app, 'DELETE', `/api/v1/courses/${c.id}`, { key });
    expect((await call(ctx.app, 'DELETE', `/api/v1/categories/${cat.id}`, { key })).statusCode).toBe(204);
  });
});

describe('publishing rules by type', () => {
  it.each([
    ['learning_path', {}, ['missing_lesson']],
    ['download', {}, ['missing_payment_plan']],
    ['webinar', {}, []],
    ['course', { isFree: true }, ['missing_lesson']],
  ])('%s %j', async (type, extra, codes) => {
    const c = (await post('/api/v1/courses', { title: `Pub ${type}`, type, ...extra })).json();
    const res = await post(`/api/v1/courses/${c.id}/publish`, {});
    if (codes.length === 0) expect(res.json().status).toBe('published');
    else {
      expect(res.statusCode).toBe(409);
      expect(res.json().details.map((d: { code: string }) => d.code)).toEqual(codes);
    }
  });

  it('creating as published runs the same checks', async () => {
    const res = await post('/api/v1/courses', { title: 'Pub on create', status: 'published' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toBe('publish_blocked');
    const ok = await post('/api/v1/courses', {
      title: 'Pub ok',
      published: true,
      isFree: true,
      sections: [{ title: 'S', lessons: [{ title: 'L' }] }],
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().status).toBe('published');
  });
});

describe('review follow-ups', () => {
  it('tags are case-insensitive beyond ASCII, and overlapping tags never deadlock', async () => {
    const c = await post('/api/v1/courses', { title: 'Unicode tags', tags: ['École', 'ÉCOLE', 'Русский', 'русский'] });
    expect(c.statusCode).toBe(201);
    expect(c.json().tags).toEqual(['École', 'Русский']);
    const again = await post('/api/v1/courses', { title: 'Unicode tags 2', tags: ['école'] });
    expect(again.json().tags).toEqual(['École']); // the existing tag, first spelling
    const found = (await get('/api/v1/courses?tag=%C3%89COLE&limit=100'))
      .json()
      .data.map((x: { title: string }) => x.title);
    expect(found.sort()).toEqual(['Unicode tags', 'Unicode tags 2']);
    const base = await (await import('./helpers.js')).listen(ctx.app);
    const statuses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        fetch(`${base}/api/v1/courses`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            title: `Race tags ${i}`,
            tags: i % 2 ? ['zeta', 'alpha', 'mid'] : ['mid', 'alpha', 'zeta'],
          }),
        }).then((r) => r.status),
      ),
    );
    expect(statuses).toEqual(Array(12).fill(201));
  });

  it('a nested create of 1,000 lessons (the limit per request, API.md §1) works', async () => {
    const res = await post('/api/v1/courses', {
      title: 'Huge',
      sections: Array.from({ length: 2 }, (_, i) => ({
        title: `S${i}`,
        lessons: Array.from({ length: 500 }, (_, j) => ({ title: `L${j}` })),
      })),
    });
    expect(res.statusCode).toBe(201);
    expect(
      (await ctx.database.db.select({ n: count() }).from(lessons).where(eq(lessons.courseId, res.json().id)))[0]!.n,
    ).toBe(1000);
  });

  it('nested duplicates are reported at their paths; nested positions are refused', async () => {
    const titles = await post('/api/v1/courses', {
      title: 'Dup sections',
      sections: [{ title: 'Intro' }, { title: 'intro' }],
    });
    expect(titles.statusCode).toBe(409);
    expect(titles.json()).toMatchObject({ error: 'duplicate_title', details: [{ path: 'sections.1.title' }] });
    const ext = await post('/api/v1/courses', {
      title: 'Dup ext',
      sections: [
        { title: 'A', lessons: [{ title: 'a', externalId: 'X' }] },
        { title: 'B', lessons: [{ title: 'b', externalId: 'X' }] },
      ],
    });
    expect(ext.statusCode).toBe(409);
    expect(ext.json()).toMatchObject({
      error: 'duplicate_external_id',
      details: [{ path: 'sections.1.lessons.0.externalId' }],
    });
    const pos = await post('/api/v1/courses', {
      title: 'Nested pos',
      sections: [{ title: 'A', position: 2, lessons: [{ title: 'a', sectionId: 'sec_x' }] }],
    });
    expect(pos.statusCode).toBe(400);
    expect(
      pos
        .json()
        .details.map((d: { path: string }) => d.path)
        .sort(),
    ).toEqual(['sections.0.lessons.0.sectionId', 'sections.0.position']);
  });

  it('PATCH: duplicate slug / externalId are 409, publishing by PATCH is checked', async () => {
    await post('/api/v1/courses', { title: 'Holder', slug: 'held-slug', externalId: 'HELD' });
    const c = (await post('/api/v1/courses', { title: 'Patcher' })).json();
    expect((await patch(`/api/v1/courses/${c.id}`, { slug: 'held-slug' })).json().error).toBe('duplicate_slug');
    expect((await patch(`/api/v1/courses/${c.id}`, { externalId: 'HELD' })).json().error).toBe('duplicate_external_id');
    const pub = await patch(`/api/v1/courses/${c.id}`, { published: true });
    expect(pub.statusCode).toBe(409);
    expect(pub.json().error).toBe('publish_blocked');
    expect((await get(`/api/v1/courses/${c.id}`)).json().status).toBe('draft');
  });

  it('a duplicated course with a 255-character title stays within the limit', async () => {
    const c = (await post('/api/v1/courses', { title: 'T'.repeat(255) })).json();
    const copy = (await post(`/api/v1/courses/${c.id}/duplicate`, {})).json();
    expect(copy.title.length).toBeLessThanOrEqual(255);
    expect(copy.title.endsWith(' (copy)')).toBe(true);
  });

  it('include=lessons.media gives media: null to lessons without media', async () => {
    const c = (
      await post('/api/v1/courses', { title: 'Media include', sections: [{ title: 'S', lessons: [{ title: 'L' }] }] })
    ).json();
    const res = (await get(`/api/v1/courses/${c.id}?include=lessons.media`)).json();
    expect(res.sections[0].lessons[0]).toHaveProperty('media', null);
  });
});
