import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { categories } from '../src/db/schema/index.js';
import { call, createSchool, listen, setupApp, tally } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);

const create = (key: string, body: unknown) => call(ctx.app, 'POST', '/api/v1/categories', { key, body });

describe('categories CRUD', () => {
  it('creates with a generated slug and appended order, returns ETag and Location', async () => {
    const res = await create(A.key, { name: 'Web Development', icon: '🌐' });
    expect(res.statusCode).toBe(201);
    const cat = res.json();
    expect(cat).toMatchObject({
      object: 'category',
      name: 'Web Development',
      slug: 'web-development',
      icon: '🌐',
      order: 1,
    });
    expect(cat.id).toMatch(/^cat_/);
    expect(res.headers.etag).toBe(`"${cat.id}.1"`);
    expect(res.headers.location).toBe(`/api/v1/categories/${cat.id}`);
    const second = (await create(A.key, { name: 'Data' })).json();
    expect(second.order).toBe(2);
  });

  it('generates -2, -3 on slug collisions; a taken explicit slug is 409 duplicate_slug', async () => {
    const s1 = (await create(A.key, { name: 'Design' })).json().slug;
    const s2 = (await create(A.key, { name: 'design!' })).json().slug;
    const s3 = (await create(A.key, { name: 'DESIGN' })).json().slug;
    expect([s1, s2, s3]).toEqual(['design', 'design-2', 'design-3']);
    const dup = await create(A.key, { name: 'Other', slug: 'design' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ error: 'duplicate_slug', details: [{ path: 'slug' }] });
    // Slugs are per school: B may use the same one.
    expect((await create(B.key, { name: 'Design', slug: 'design' })).statusCode).toBe(201);
  });

  it('validates slug, name, order and icon', async () => {
    const res = await create(A.key, { name: ' ', slug: 'Bad Slug--x', order: -1 });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .details.map((d: { path: string }) => d.path)
        .sort(),
    ).toEqual(['name', 'order', 'slug']);
    const long = await create(A.key, { name: 'n'.repeat(101) });
    expect(long.statusCode).toBe(400);
    expect(long.json().details[0]).toMatchObject({ path: 'name', code: 'too_big' });
  });

  it('accepts order 0 (the seed example starts at 0), on create and on PATCH, and lists it first', async () => {
    const S = await createSchool(ctx);
    const zero = await create(S.key, { name: 'First', order: 0 });
    expect(zero.statusCode).toBe(201);
    expect(zero.json().order).toBe(0);
    const next = await create(S.key, { name: 'Second' });
    expect(next.json().order).toBe(1);
    const moved = await call(ctx.app, 'PATCH', `/api/v1/categories/${next.json().id}`, {
      key: S.key,
      body: { order: 0 },
    });
    expect(moved.statusCode).toBe(200);
    expect(moved.json().order).toBe(0);
    const stored = await ctx.database.db
      .select({ order: categories.order })
      .from(categories)
      .where(and(eq(categories.schoolId, S.id), eq(categories.id, next.json().id)));
    expect(stored[0]!.order).toBe(0);
    const list = (await call(ctx.app, 'GET', '/api/v1/categories', { key: S.key })).json();
    expect(list.categories.map((c: { order: number }) => c.order)).toEqual([0, 0]);
    const negative = await create(S.key, { name: 'Negative', order: -1 });
    expect(negative.statusCode).toBe(400);
    expect(negative.json().details[0]).toMatchObject({ path: 'order', code: 'too_small' });
  });

  it('takes the base slug when it is free, whatever numbered slugs exist', async () => {
    expect((await create(A.key, { name: 'Top 10' })).json().slug).toBe('top-10');
    expect((await create(A.key, { name: 'Top' })).json().slug).toBe('top');
    expect((await create(A.key, { name: 'Top' })).json().slug).toBe('top-2');
    const long = (await create(A.key, { name: 'L'.repeat(100) })).json().slug;
    const again = (await create(A.key, { name: 'L'.repeat(100) })).json().slug;
    expect(again).toBe(`${long}-2`);
    expect(again.length).toBeLessThanOrEqual(100);
  });

  it.each([
    [{ slug: 's'.repeat(101) }, 'slug'],
    [{ order: 1_000_001 }, 'order'],
    [{ order: 2.5 }, 'order'],
    [{ icon: 'i'.repeat(256) }, 'icon'],
    [{ name: 'ok', schoolId: 'sch_x' }, 'schoolId'],
  ])('PATCH %j → 400 at %s', async (body, path) => {
    const cat = (await create(A.key, { name: `Patch target ${path}` })).json();
    const res = await call(ctx.app, 'PATCH', `/api/v1/categories/${cat.id}`, { key: A.key, body });
    expect(res.statusCode).toBe(400);
    expect(res.json().details.map((d: { path: string }) => d.path)).toEqual([path]);
    expect((await call(ctx.app, 'GET', `/api/v1/categories/${cat.id}`, { key: A.key })).json()).toEqual(cat);
  });

  it('PATCH to a taken slug → 409 duplicate_slug', async () => {
    const a = (await create(A.key, { name: 'Slug owner' })).json();
    const b = (await create(A.key, { name: 'Slug wanter' })).json();
    const res = await call(ctx.app, 'PATCH', `/api/v1/categories/${b.id}`, { key: A.key, body: { slug: a.slug } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toBe('duplicate_slug');
  });

  it('sparse fields and include', async () => {
    const cat = (await create(A.key, { name: 'Sparse', icon: 'x' })).json();
    const one = await call(ctx.app, 'GET', `/api/v1/categories/${cat.id}?fields[categories]=name`, { key: A.key });
    expect(one.json()).toEqual({ object: 'category', id: cat.id, name: 'Sparse' });
    const list = await call(ctx.app, 'GET', '/api/v1/categories?fields[categories]=slug,order&limit=2', { key: A.key });
    for (const c of list.json().categories) expect(Object.keys(c).sort()).toEqual(['id', 'object', 'order', 'slug']);
    const inc = await call(ctx.app, 'GET', `/api/v1/categories/${cat.id}?include=courses`, { key: A.key });
    expect(inc.statusCode).toBe(400);
    expect(inc.json().details[0]).toMatchObject({ path: 'include' });
    const type = await call(ctx.app, 'GET', '/api/v1/categories?fields[nope]=x', { key: A.key });
    expect(type.statusCode).toBe(400);
    expect(type.json().details[0].path).toBe('fields[nope]');
  });

  it('gets, updates with If-Match, deletes', async () => {
    const cat = (await create(A.key, { name: 'Music' })).json();
    const get = await call(ctx.app, 'GET', `/api/v1/categories/${cat.id}`, { key: A.key });
    expect(get.statusCode).toBe(200);
    expect(get.json()).toEqual(cat);
    const etag = get.headers.etag as string;

    const patched = await call(ctx.app, 'PATCH', `/api/v1/categories/${cat.id}`, {
      key: A.key,
      headers: { 'if-match': etag },
      body: { name: 'Music & Audio', icon: null, order: 9 },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'Music & Audio', icon: null, order: 9, slug: 'music' });
    expect(patched.headers.etag).not.toBe(etag);

    const stale = await call(ctx.app, 'PATCH', `/api/v1/categories/${cat.id}`, {
      key: A.key,
      headers: { 'if-match': etag },
      body: { name: 'Lost update' },
    });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().error).toBe('precondition_failed');
    const staleDelete = await call(ctx.app, 'DELETE', `/api/v1/categories/${cat.id}`, {
      key: A.key,
      headers: { 'if-match': etag },
    });
    expect(staleDelete.statusCode).toBe(412);
    const [stored] = await ctx.database.db.select().from(categories).where(eq(categories.id, cat.id));
    expect(stored!.name).toBe('Music & Audio');

    const del = await call(ctx.app, 'DELETE', `/api/v1/categories/${cat.id}`, {
      key: A.key,
      headers: { 'if-match': patched.headers.etag as string },
    });
    expect(del.statusCode).toBe(204);
    expect((await call(ctx.app, 'GET', `/api/v1/categories/${cat.id}`, { key: A.key })).statusCode).toBe(404);
  });
});

describe('school isolation', () => {
  it("school B's key gets 404 on every one of school A's category ids; lists never mix", async () => {
    const cat = (await create(A.key, { name: 'Private to A' })).json();
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'Taken over' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await call(ctx.app, method, `/api/v1/categories/${cat.id}`, { key: B.key, body });
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toBe('not_found');
    }
    const listB = await call(ctx.app, 'GET', '/api/v1/categories?limit=100', { key: B.key });
    expect(listB.json().categories.every((c: { id: string }) => c.id !== cat.id)).toBe(true);
    const [stored] = await ctx.database.db
      .select()
      .from(categories)
      .where(and(eq(categories.id, cat.id), eq(categories.schoolId, A.id)));
    expect(stored!.name).toBe('Private to A');
  });
});

describe('lists', () => {
  it('are { categories, pagination } ordered by order, with page and cursor walks', async () => {
    const C = await createSchool(ctx);
    for (let i = 1; i <= 7; i++) await create(C.key, { name: `Cat ${i}`, order: 8 - i });
    const page1 = (await call(ctx.app, 'GET', '/api/v1/categories?limit=3', { key: C.key })).json();
    expect(page1.categories.map((c: { order: number }) => c.order)).toEqual([1, 2, 3]);
    expect(page1.pagination).toMatchObject({ page: 1, limit: 3, total: 7, totalPages: 3, hasMore: true });
    const page3 = (await call(ctx.app, 'GET', '/api/v1/categories?limit=3&page=3', { key: C.key })).json();
    expect(page3.categories.map((c: { order: number }) => c.order)).toEqual([7]);
    expect(page3.pagination).toMatchObject({ page: 3, hasMore: false, nextCursor: null });

    const next = (
      await call(ctx.app, 'GET', `/api/v1/categories?limit=3&cursor=${page1.pagination.nextCursor}`, { key: C.key })
    ).json();
    expect(next.categories.map((c: { order: number }) => c.order)).toEqual([4, 5, 6]);
    expect(next.pagination).toMatchObject({ page: null, total: null, totalPages: null, hasMore: true });

    const byName = (await call(ctx.app, 'GET', '/api/v1/categories?sort=-name&limit=2', { key: C.key })).json();
    expect(byName.categories.map((c: { name: string }) => c.name)).toEqual(['Cat 7', 'Cat 6']);
  });

  it('refuses page with cursor, a foreign cursor, bad limits and sorts', async () => {
    const first = (await call(ctx.app, 'GET', '/api/v1/categories?limit=1', { key: A.key })).json();
    const cases: [string, string, string][] = [
      [`/api/v1/categories?page=2&cursor=${first.pagination.nextCursor}`, 'validation_error', 'cursor'],
      [`/api/v1/categories?sort=name&cursor=${first.pagination.nextCursor}`, 'invalid_cursor', 'cursor'],
      ['/api/v1/categories?cursor=bm9wZQ', 'invalid_cursor', 'cursor'],
      ['/api/v1/categories?limit=0', 'validation_error', 'limit'],
      ['/api/v1/categories?limit=101', 'validation_error', 'limit'],
      ['/api/v1/categories?page=0', 'validation_error', 'page'],
      ['/api/v1/categories?sort=colour', 'validation_error', 'sort'],
    ];
    for (const [url, code, path] of cases) {
      const res = await call(ctx.app, 'GET', url, { key: A.key });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error, url).toBe(code);
      expect(res.json().details[0].path, url).toBe(path);
    }
  });

  it('a cursor walk returns every item exactly once while items are being inserted', async () => {
    const D = await createSchool(ctx);
    const initial: string[] = [];
    for (let i = 0; i < 25; i++) initial.push((await create(D.key, { name: `Seed ${i}` })).json().id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let inserted = 0;
    do {
      const url: string = `/api/v1/categories?sort=createdAt&limit=4${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await call(ctx.app, 'GET', url, { key: D.key })).json();
      seen.push(...page.categories.map((c: { id: string }) => c.id));
      cursor = page.pagination.nextCursor;
      // Insert during the walk: new rows sort after everything seen so far.
      if (inserted < 5) {
        await create(D.key, { name: `Late ${inserted++}` });
      }
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of initial) expect(seen).toContain(id);
    expect(seen.length).toBe(30);
  });
});

describe('concurrency', () => {
  it('20 concurrent creates of one name get 20 distinct slugs and no 500', async () => {
    const E = await createSchool(ctx);
    const base = await listen(ctx.app);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${base}/api/v1/categories`, {
          method: 'POST',
          headers: { authorization: `Bearer ${E.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Popular' }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { slug: string } })),
      ),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 20 });
    const slugs = results.map((r) => r.body.slug).sort();
    expect(new Set(slugs).size).toBe(20);
    expect(slugs).toContain('popular');
    expect(slugs).toContain('popular-20');
  });

  it('concurrent creates with one explicit slug: one 201, the rest 409', async () => {
    const F = await createSchool(ctx);
    const base = await listen(ctx.app);
    const statuses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        fetch(`${base}/api/v1/categories`, {
          method: 'POST',
          headers: { authorization: `Bearer ${F.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `Same ${i}`, slug: 'same' }),
        }).then((r) => r.status),
      ),
    );
    expect(tally(statuses)).toEqual({ 201: 1, 409: 9 });
  });
});
