/** POST /courses/bulk: per-item results, one bad item never stops the others, idempotent replay, limits, tenancy. */
import { count, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { courses, lessons } from '../src/db/schema/index.js';
import { call, createKey, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);

const bulk = (body: unknown, key = A.key, headers: Record<string, string> = {}) =>
  call(ctx.app, 'POST', '/api/v1/courses/bulk', { key, body, headers });

describe('bulk create', () => {
  it('mixed good and bad items: each reported, the good ones created with their curriculum', async () => {
    const res = await bulk({
      courses: [
        { title: 'Bulk one', externalId: 'BULK-1', isFree: true },
        { title: '' },
        {
          title: 'Bulk three',
          sections: [{ title: 'S', lessons: [{ title: 'L1' }, { title: 'L2', videoUrl: 'https://example.com/nope' }] }],
        },
        { title: 'Bulk four', sections: [{ title: 'S', lessons: [{ title: 'L1' }, { title: 'L2' }] }] },
        { title: 'Bulk five', externalId: 'BULK-1' },
        { title: 'Bulk six', bogus: true },
        { title: 'Bulk seven', slug: 'bulk-one' },
      ],
    });
    expect(res.statusCode).toBe(200);
    const { results } = res.json();
    expect(results.map((r: { index: number; status: string }) => [r.index, r.status])).toEqual([
      [0, 'created'],
      [1, 'failed'],
      [2, 'failed'],
      [3, 'created'],
      [4, 'failed'],
      [5, 'failed'],
      [6, 'failed'],
    ]);
    expect(results[0].course).toMatchObject({ title: 'Bulk one', isFree: true, externalId: 'BULK-1' });
    expect(results[1].error).toMatchObject({
      error: 'validation_error',
      details: [expect.objectContaining({ path: 'title' })],
    });
    expect(results[2].error).toMatchObject({
      error: 'invalid_video_url',
      details: [expect.objectContaining({ path: 'sections.0.lessons.1.videoUrl' })],
    });
    expect(results[4].error).toMatchObject({ error: 'duplicate_external_id' });
    expect(results[5].error.details).toEqual([expect.objectContaining({ path: 'bogus', code: 'unknown_field' })]);
    expect(results[6].error).toMatchObject({ error: 'duplicate_slug' });
    expect(results[1].course).toBeUndefined();

    const four = results[3].course;
    expect(four.sections[0].lessons.map((l: { title: string }) => l.title)).toEqual(['L1', 'L2']);
    // The failed item with sections left nothing behind.
    const rows = await ctx.database.db.select({ title: courses.title }).from(courses).where(eq(courses.schoolId, A.id));
    expect(rows.map((r) => r.title).sort()).toEqual(['Bulk four', 'Bulk one']);
    const [n] = await ctx.database.db.select({ n: count() }).from(lessons).where(eq(lessons.schoolId, A.id));
    expect(n!.n).toBe(2);
  });

  it('replays with the same Idempotency-Key (nothing created twice); a different body is 422', async () => {
    const body = { courses: [{ title: 'Idem one' }, { title: 'Idem two' }] };
    const headers = { 'idempotency-key': 'bulk-key-1' };
    const first = await bulk(body, A.key, headers);
    expect(first.statusCode).toBe(200);
    const again = await bulk(body, A.key, headers);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    const rows = await ctx.database.db
      .select({ n: count() })
      .from(courses)
      .where(inArray(courses.title, ['Idem one', 'Idem two']));
    expect(rows[0]!.n).toBe(2);
    const other = await bulk({ courses: [{ title: 'Idem three' }] }, A.key, headers);
    expect(other.statusCode).toBe(422);
    expect(other.json().error).toBe('idempotency_key_reused');
  });

  it('more than 100 courses is too_many_items before any item is looked at; an empty list is 400', async () => {
    const res = await bulk({ courses: Array.from({ length: 101 }, () => ({ bogus: 1 })) });
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toEqual([expect.objectContaining({ path: 'courses', code: 'too_many_items' })]);
    expect((await bulk({ courses: [] })).statusCode).toBe(400);
    expect((await bulk({ courses: [{ title: 'x' }], extra: 1 })).statusCode).toBe(400);
  });

  it("items land in the caller's school only; courses:write is needed", async () => {
    const res = await bulk({ courses: [{ title: 'Only in B', externalId: 'BULK-1' }] }, B.key);
    expect(res.json().results[0].status).toBe('created');
    const id = res.json().results[0].course.id;
    expect((await call(ctx.app, 'GET', `/api/v1/courses/${id}`, { key: A.key })).statusCode).toBe(404);
    const [row] = await ctx.database.db.select().from(courses).where(eq(courses.id, id));
    expect(row!.schoolId).toBe(B.id);
    const reader = await createKey(ctx, A.id, ['courses:read']);
    expect((await bulk({ courses: [{ title: 'x' }] }, reader.key)).statusCode).toBe(403);
  });
});

describe('review fixes', () => {
  it('sections and lessons are counted over all items (200 / 1,000 per request) before any item is created', async () => {
    const item = (n: number, lessonsEach: number) => ({
      title: `Bulk limit ${n}`,
      sections: Array.from({ length: 2 }, (_, i) => ({
        title: `S${i}`,
        lessons: Array.from({ length: lessonsEach }, (_, j) => ({ title: `L${j}` })),
      })),
    });
    // 101 sections over 2 items is fine per item, 202 in the request.
    const manySections = await bulk({
      courses: [0, 1].map((n) => ({
        title: `Bulk sections ${n}`,
        sections: Array.from({ length: 101 }, (_, i) => ({ title: `S${i}` })),
      })),
    });
    expect(manySections.statusCode).toBe(400);
    expect(manySections.json()).toMatchObject({
      error: 'validation_error',
      details: [{ path: 'courses', code: 'too_many_items' }],
    });
    // 3 items × 2 sections × 200 lessons = 1,200 lessons.
    const manyLessons = await bulk({ courses: [item(1, 200), item(2, 200), item(3, 200)] });
    expect(manyLessons.statusCode).toBe(400);
    expect(manyLessons.json().details).toEqual([expect.objectContaining({ path: 'courses', code: 'too_many_items' })]);
    const [n] = await ctx.database.db
      .select({ n: count() })
      .from(courses)
      .where(inArray(courses.title, ['Bulk limit 1', 'Bulk sections 0']));
    expect(n!.n).toBe(0);
    // Exactly 1,000 lessons over the request pass.
    const ok = await bulk({ courses: [item(4, 250), item(5, 250)] });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().results.map((r: { status: string }) => r.status)).toEqual(['created', 'created']);
  });

  it('an item that is not an object fails alone (validation_error), the others are created', async () => {
    const res = await bulk({ courses: [5, { title: 'Bulk after five' }, null, 'x'] });
    expect(res.statusCode).toBe(200);
    const { results } = res.json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['failed', 'created', 'failed', 'failed']);
    expect(results[0].error).toMatchObject({ error: 'validation_error' });
    expect(results[2].error).toMatchObject({ error: 'validation_error' });
    expect(results[1].course.title).toBe('Bulk after five');
  });

  it('an unexpected error in one item is reported as internal_error for it; the others go on', async () => {
    const { createCourseSyncService } = await import('../src/modules/courses/sync.service.js');
    const s = ctx.services;
    const create: typeof s.courses.create = async (schoolId, input) => {
      if (input.title === 'Bulk boom')
        throw Object.assign(new Error('insert or update on table "courses" violates foreign key constraint'), {
          code: '23503',
          constraint: 'courses_category_id_fk',
        });
      return s.courses.create(schoolId, input);
    };
    const sync = createCourseSyncService({
      db: ctx.database.db,
      schools: s.schools,
      categories: s.categories,
      media: s.media,
      courses: { ...s.courses, create },
      events: s.events,
    });
    const logged: unknown[] = [];
    const result = await sync.bulkCreate(
      A.id,
      [{ title: 'Bulk before boom' }, { title: 'Bulk boom' }, { title: 'Bulk after boom' }],
      (cause) => logged.push(cause),
    );
    expect(result.results.map((r) => r.status)).toEqual(['created', 'failed', 'created']);
    expect(result.results[1]!.error).toEqual({
      error: 'internal_error',
      message: 'This item could not be created because of an internal error.',
    });
    expect(JSON.stringify(result)).not.toContain('foreign key');
    expect(logged).toHaveLength(1);
    const titles = await ctx.database.db
      .select({ title: courses.title })
      .from(courses)
      .where(inArray(courses.title, ['Bulk before boom', 'Bulk boom', 'Bulk after boom']));
    expect(titles.map((t) => t.title).sort()).toEqual(['Bulk after boom', 'Bulk before boom']);
  });
});
