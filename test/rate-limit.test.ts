import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createDb } from '../src/db/client.js';
import { call, createKey, createSchool, setupApp, testConfig } from './helpers.js';

const ctx = await setupApp({ env: { RATE_LIMIT_PER_MINUTE: '100' } });

describe('rate limits', () => {
  it('every authenticated response carries RateLimit-* headers', async () => {
    const s = await createSchool(ctx);
    const res = await call(ctx.app, 'GET', '/api/v1/categories', { key: s.key });
    expect(res.headers['ratelimit-limit']).toBe('100');
    expect(res.headers['ratelimit-remaining']).toBe('99');
    expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThan(0);
  });

  it('403s and session requests are counted and carry the headers too', async () => {
    const s = await createSchool(ctx);
    const reader = (await createKey(ctx, s.id, ['courses:read'])).key;
    const denied = await call(ctx.app, 'POST', '/api/v1/categories', { key: reader, body: { name: 'x' } });
    expect(denied.statusCode).toBe(403);
    expect(denied.headers['ratelimit-remaining']).toBe('99');
    expect((await call(ctx.app, 'GET', '/api/v1/categories', { key: reader })).headers['ratelimit-remaining']).toBe(
      '98',
    );
    const login = await call(ctx.app, 'POST', '/api/v1/auth/login', {
      body: { email: s.ownerEmail, password: s.password },
    });
    const cookie = login.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const me = await call(ctx.app, 'GET', '/api/v1/auth/me', { headers: { cookie } });
    expect(me.headers['ratelimit-limit']).toBe('100');
  });

  it('a per-school limit gives 429 rate_limited with Retry-After, per key', async () => {
    const s = await createSchool(ctx);
    const patch = await call(ctx.app, 'PATCH', '/api/v1/school', { key: s.key, body: { rateLimitPerMinute: 3 } });
    expect(patch.statusCode).toBe(200);
    const key = (await createKey(ctx, s.id, ['*'])).key;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(ctx.app, 'GET', '/api/v1/categories', { key })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await call(ctx.app, 'GET', '/api/v1/categories', { key });
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: 'rate_limited', requestId: expect.stringMatching(/^req_/) });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['ratelimit-limit']).toBe('3');
    // Another key of the same school has its own budget; another school is untouched.
    const other = (await createKey(ctx, s.id, ['*'])).key;
    expect((await call(ctx.app, 'GET', '/api/v1/categories', { key: other })).statusCode).toBe(200);
    const t = await createSchool(ctx);
    expect((await call(ctx.app, 'GET', '/api/v1/categories', { key: t.key })).headers['ratelimit-limit']).toBe('100');
  });
});

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
const redisUp = await probe.connect().then(
  () => true,
  () => false,
);
if (!redisUp) console.warn(`rate-limit Redis test skipped: no Redis reachable at ${redisUrl}`);

describe.skipIf(!redisUp)('rate limits shared through Redis', () => {
  it('two app instances on one Redis share one budget per key', async () => {
    const s = await createSchool(ctx);
    await call(ctx.app, 'PATCH', '/api/v1/school', { key: s.key, body: { rateLimitPerMinute: 4 } });
    const key = (await createKey(ctx, s.id, ['*'])).key;
    const config = testConfig({ DATABASE_URL: ctx.dbUrl, REDIS_URL: redisUrl });
    const instances = await Promise.all(
      [1, 2].map(async () => {
        const database = createDb(ctx.dbUrl, 2);
        const app = await buildApp(config, { database });
        await app.ready();
        return { app, database };
      }),
    );
    try {
      const statuses = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await call(instances[i % 2]!.app, 'GET', '/api/v1/categories', { key })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    } finally {
      for (const { app, database } of instances) {
        await app.close();
        await database.close();
      }
      await probe.quit();
    }
  });
});
