/**
 * A tenant can never lift a limit that protects the host (issue 11): a per-school value above the
 * operator's ceiling is refused with `above_ceiling`, never clamped; and a stored value above a
 * ceiling lowered since counts as the ceiling everywhere it is used.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { schools } from '../src/db/schema/index.js';
import { call, createKey, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp({
  env: {
    RATE_LIMIT_PER_MINUTE: '100',
    RATE_LIMIT_MAX_PER_MINUTE: '500',
    MAX_UPLOAD_BYTES: '1000',
    MEDIA_QUOTA_BYTES: '5000',
  },
});

const CEILINGS = [
  ['rateLimitPerMinute', 500, 'RATE_LIMIT_MAX_PER_MINUTE'],
  ['maxUploadBytes', 1000, 'MAX_UPLOAD_BYTES'],
  ['mediaQuotaBytes', 5000, 'MEDIA_QUOTA_BYTES'],
] as const;

describe('PATCH /school above a ceiling', () => {
  it.each(CEILINGS)('%s above %i → 400 above_ceiling naming %s; nothing written', async (field, ceiling, env) => {
    const S = await createSchool(ctx);
    const before = await call(ctx.app, 'GET', '/api/v1/school', { key: S.key });
    const res = await call(ctx.app, 'PATCH', '/api/v1/school', {
      key: S.key,
      body: { name: 'Renamed too', [field]: ceiling + 1 },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe('validation_error');
    expect(body.details).toEqual([{ path: field, code: 'above_ceiling', message: expect.stringContaining(env) }]);
    expect(body.details[0].message).toContain(String(ceiling));
    expect(body.message).toContain(env);
    const after = await call(ctx.app, 'GET', '/api/v1/school', { key: S.key });
    expect(after.json()).toEqual(before.json());
    expect(after.headers.etag).toBe(before.headers.etag);

    const at = await call(ctx.app, 'PATCH', '/api/v1/school', { key: S.key, body: { [field]: ceiling } });
    expect(at.statusCode).toBe(200);
    expect(at.json()[field]).toBe(ceiling);
  });

  it('lists every field above its ceiling', async () => {
    const S = await createSchool(ctx);
    const res = await call(ctx.app, 'PATCH', '/api/v1/school', {
      key: S.key,
      body: { rateLimitPerMinute: 100_000, maxUploadBytes: 10 ** 12, mediaQuotaBytes: 10 ** 13 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().details.map((d: { path: string; code: string }) => `${d.path}:${d.code}`)).toEqual([
      'rateLimitPerMinute:above_ceiling',
      'maxUploadBytes:above_ceiling',
      'mediaQuotaBytes:above_ceiling',
    ]);
  });

  it('an owner session is refused alike', async () => {
    const S = await createSchool(ctx);
    const login = await call(ctx.app, 'POST', '/api/v1/auth/login', {
      body: { email: S.ownerEmail, password: S.password },
    });
    const cookie = `syllabus_session=${login.cookies.find((c) => c.name === 'syllabus_session')!.value}`;
    const res = await call(ctx.app, 'PATCH', '/api/v1/school', {
      headers: { cookie },
      body: { rateLimitPerMinute: 501 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().details[0].code).toBe('above_ceiling');
  });
});

describe('a stored value above a ceiling lowered since', () => {
  it('counts as the ceiling: shown, rate-limited and enforced on uploads at the ceiling', async () => {
    const S = await createSchool(ctx);
    // As if set while the operator allowed more.
    await ctx.database.db
      .update(schools)
      .set({ rateLimitPerMinute: 100_000, maxUploadBytes: 1_000_000, mediaQuotaBytes: 1_000_000 })
      .where(eq(schools.id, S.id));
    const school = (await call(ctx.app, 'GET', '/api/v1/school', { key: S.key })).json();
    expect(school).toMatchObject({ rateLimitPerMinute: 500, maxUploadBytes: 1000, mediaQuotaBytes: 5000 });

    const fresh = (await createKey(ctx, S.id, ['*'])).key; // not cached before the change
    const res = await call(ctx.app, 'GET', '/api/v1/categories', { key: fresh });
    expect(res.headers['ratelimit-limit']).toBe('500');
    const login = await call(ctx.app, 'POST', '/api/v1/auth/login', {
      body: { email: S.ownerEmail, password: S.password },
    });
    const cookie = `syllabus_session=${login.cookies.find((c) => c.name === 'syllabus_session')!.value}`;
    expect((await call(ctx.app, 'GET', '/api/v1/school', { headers: { cookie } })).headers['ratelimit-limit']).toBe(
      '500',
    );

    const big = await call(ctx.app, 'POST', '/api/v1/media/presigned', {
      key: fresh,
      body: { fileName: 'a.zip', mimeType: 'application/zip', size: 1001 },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().details[0].path).toBe('size');
  });
});
