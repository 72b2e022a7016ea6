import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { categories, idempotencyKeys } from '../src/db/schema/index.js';
import { call, createSchool, listen, setupApp, tally } from './helpers.js';

let failNext = true;
const ctx = await setupApp({
  routes: (app) => {
    // A slow write, to hold a key "in flight", and a flaky one, to prove 5xx frees the key.
    app.post('/api/v1/test-slow', { config: { scopes: ['courses:write'] } }, async () => {
      await new Promise((r) => setTimeout(r, 400));
      return { done: true };
    });
    app.post('/api/v1/test-flaky', { config: { scopes: ['courses:write'] } }, async () => {
      if (failNext) {
        failNext = false;
        throw new Error('transient');
      }
      return { ok: true };
    });
  },
});
const A = await createSchool(ctx);
const B = await createSchool(ctx);
const countCategories = async (schoolId: string) =>
  (await ctx.database.db.select({ n: count() }).from(categories).where(eq(categories.schoolId, schoolId)))[0]!.n;

describe('Idempotency-Key', () => {
  it('replays the first response for a retry with the same body, without a second write', async () => {
    const headers = { 'idempotency-key': 'create-cat-1' };
    const first = await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, headers, body: { name: 'Once' } });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const before = await countCategories(A.id);
    const retry = await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, headers, body: { name: 'Once' } });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers.etag).toBe(first.headers.etag);
    expect(await countCategories(A.id)).toBe(before);
  });

  it('same key with another body or route → 422 idempotency_key_reused', async () => {
    const headers = { 'idempotency-key': 'create-cat-2' };
    await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, headers, body: { name: 'Two' } });
    const other = await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, headers, body: { name: 'Not two' } });
    expect(other.statusCode).toBe(422);
    expect(other.json().error).toBe('idempotency_key_reused');
    const route = await call(ctx.app, 'POST', '/api/v1/test-slow', { key: A.key, headers, body: { name: 'Two' } });
    expect(route.statusCode).toBe(422);
  });

  it('keys are per school: B may use A’s key string', async () => {
    const headers = { 'idempotency-key': 'shared-string' };
    const a = await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, headers, body: { name: 'A one' } });
    const b = await call(ctx.app, 'POST', '/api/v1/categories', { key: B.key, headers, body: { name: 'B one' } });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.json().name).toBe('B one');
  });

  it('stores error responses of requests that ran (a 409 replays as 409)', async () => {
    await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, body: { name: 'Taken', slug: 'taken' } });
    const headers = { 'idempotency-key': 'dup-slug' };
    const first = await call(ctx.app, 'POST', '/api/v1/categories', {
      key: A.key,
      headers,
      body: { name: 'T', slug: 'taken' },
    });
    expect(first.statusCode).toBe(409);
    const retry = await call(ctx.app, 'POST', '/api/v1/categories', {
      key: A.key,
      headers,
      body: { name: 'T', slug: 'taken' },
    });
    expect(retry.statusCode).toBe(409);
    expect(retry.headers['idempotent-replayed']).toBe('true');
  });

  it('a request rejected before it runs (auth, validation) stores nothing', async () => {
    const headers = { 'idempotency-key': 'rejected-first' };
    const invalid = await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, headers, body: { name: '' } });
    expect(invalid.statusCode).toBe(400);
    const unauth = await call(ctx.app, 'POST', '/api/v1/categories', {
      headers: { ...headers, authorization: 'Bearer syl_bad' },
      body: { name: 'X' },
    });
    expect(unauth.statusCode).toBe(401);
    const rows = await ctx.database.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'rejected-first'));
    expect(rows).toHaveLength(0);
    const fixed = await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, headers, body: { name: 'Fixed' } });
    expect(fixed.statusCode).toBe(201);
  });

  it('a 5xx frees the key so the retry runs again', async () => {
    const headers = { 'idempotency-key': 'flaky-1' };
    const first = await call(ctx.app, 'POST', '/api/v1/test-flaky', { key: A.key, headers, body: {} });
    expect(first.statusCode).toBe(500);
    const retry = await call(ctx.app, 'POST', '/api/v1/test-flaky', { key: A.key, headers, body: {} });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual({ ok: true });
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
  });

  it('concurrent duplicates while the first runs → one runs, the others 409 idempotency_key_in_use', async () => {
    const base = await listen(ctx.app);
    const send = () =>
      fetch(`${base}/api/v1/test-slow`, {
        method: 'POST',
        headers: { authorization: `Bearer ${A.key}`, 'content-type': 'application/json', 'idempotency-key': 'slow-1' },
        body: '{}',
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: string } }));
    const results = await Promise.all(Array.from({ length: 8 }, send));
    expect(tally(results.map((r) => r.status))).toEqual({ 200: 1, 409: 7 });
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error === 'idempotency_key_in_use')).toBe(true);
    const after = await send();
    expect(after.status).toBe(200);
  });

  it('validates the header', async () => {
    for (const value of ['k'.repeat(256), '']) {
      const res = await call(ctx.app, 'POST', '/api/v1/categories', {
        key: A.key,
        headers: { 'idempotency-key': value },
        body: { name: 'Bad key' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().details[0].path).toBe('Idempotency-Key');
    }
  });

  it('a key abandoned by a crash (no answer for 2 minutes) is taken over by the retry', async () => {
    const headers = { 'idempotency-key': 'crashed-1' };
    const body = { name: 'After crash' };
    await ctx.database.db
      .insert(idempotencyKeys)
      .values({ schoolId: A.id, key: 'crashed-1', fingerprint: 'x', createdAt: new Date(Date.now() - 180_000) });
    // The stale row's fingerprint differs: a different request may not take it over.
    expect((await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, headers, body })).statusCode).toBe(422);
    const first = await call(ctx.app, 'POST', '/api/v1/categories', {
      key: A.key,
      headers: { 'idempotency-key': 'probe' },
      body,
    });
    const [probe] = await ctx.database.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'probe'));
    await ctx.database.db
      .update(idempotencyKeys)
      .set({ fingerprint: probe!.fingerprint })
      .where(eq(idempotencyKeys.key, 'crashed-1'));
    const retry = await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, headers, body });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.json().id).not.toBe(first.json().id);
  });

  it('after 24 h a key is free again', async () => {
    const headers = { 'idempotency-key': 'old-1' };
    const first = await call(ctx.app, 'POST', '/api/v1/categories', {
      key: A.key,
      headers,
      body: { name: 'Yesterday' },
    });
    await ctx.database.db
      .update(idempotencyKeys)
      .set({ createdAt: new Date(Date.now() - 25 * 3_600_000) })
      .where(eq(idempotencyKeys.key, 'old-1'));
    const later = await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, headers, body: { name: 'Today' } });
    expect(later.statusCode).toBe(201);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(later.json().id).not.toBe(first.json().id);
  });
});
