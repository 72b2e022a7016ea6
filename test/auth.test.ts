import { eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.js';
import { createDb } from '../src/db/client.js';
import { apiKeys } from '../src/db/schema/index.js';
import { generateApiKey } from '../src/lib/api-keys.js';
import { call, createKey, createSchool, setupApp, waitUntilLive } from './helpers.js';

const ctx = await setupApp();
const schoolA = await createSchool(ctx);

async function login(email: string, password: string) {
  const res = await call(ctx.app, 'POST', '/api/v1/auth/login', { body: { email, password } });
  const cookie = res.cookies.find((c) => c.name === 'syllabus_session');
  return { res, cookie: cookie ? `syllabus_session=${cookie.value}` : undefined, raw: cookie };
}

describe('API key authentication', () => {
  it('accepts Authorization: Bearer and x-api-key', async () => {
    const bearer = await call(ctx.app, 'GET', '/api/v1/categories', { key: schoolA.key });
    expect(bearer.statusCode).toBe(200);
    const header = await call(ctx.app, 'GET', '/api/v1/categories', { headers: { 'x-api-key': schoolA.key } });
    expect(header.statusCode).toBe(200);
    expect(header.headers['cache-control']).toBe('private, no-store');
  });

  it.each([
    ['no credentials', {}, /Missing API key/],
    ['a malformed key', { authorization: 'Bearer not-a-key' }, /Malformed/],
    ['a key with a bad checksum', { authorization: `Bearer ${generateApiKey().slice(0, -6)}AAAAAA` }, /Malformed/],
    ['a truncated key', { authorization: `Bearer ${generateApiKey().slice(0, -1)}` }, /Malformed/],
    ['a well-formed unknown key', { authorization: `Bearer ${generateApiKey()}` }, /Unknown API key/],
    ['a Basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }, /Bearer/],
    ['an empty Bearer', { authorization: 'Bearer ' }, /Bearer/],
    ['a malformed x-api-key', { 'x-api-key': 'syl_short' }, /Malformed/],
  ])('answers 401 for %s', async (_name, headers, message) => {
    const res = await call(ctx.app, 'GET', '/api/v1/categories', { headers });
    expect(res.statusCode).toBe(401);
    const body = res.json();
    expect(body.error).toBe('unauthorized');
    expect(body.message).toMatch(message);
    expect(body.requestId).toMatch(/^req_/);
  });

  it('never looks up a malformed key in the database', async () => {
    const before = ctx.database.queryCount();
    const res = await call(ctx.app, 'GET', '/api/v1/categories', { headers: { authorization: 'Bearer syl_nope' } });
    expect(res.statusCode).toBe(401);
    expect(ctx.database.queryCount()).toBe(before);
  });

  it('refuses keys in the query string, even valid ones', async () => {
    const res = await call(ctx.app, 'GET', `/api/v1/categories?api_key=${schoolA.key}`);
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toMatch(/query string/);
    const both = await call(ctx.app, 'GET', `/api/v1/categories?api_key=${schoolA.key}`, { key: schoolA.key });
    expect(both.statusCode).toBe(401);
  });

  it('rejects an expired key, also when its look-up is cached', async () => {
    const stored = await createKey(ctx, schoolA.id, ['*'], { expiresInDays: 1 });
    await ctx.database.db
      .update(apiKeys)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiKeys.id, stored.id));
    const res = await call(ctx.app, 'GET', '/api/v1/categories', { key: stored.key });
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toMatch(/expired/);

    const cached = await createKey(ctx, schoolA.id, ['*'], { expiresInDays: 1 });
    expect((await call(ctx.app, 'GET', '/api/v1/categories', { key: cached.key })).statusCode).toBe(200);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2 * 86_400_000 });
    try {
      const later = await call(ctx.app, 'GET', '/api/v1/categories', { key: cached.key });
      expect(later.statusCode).toBe(401);
      expect(later.json().message).toMatch(/expired/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('records lastUsedAt without a write on every request', async () => {
    const key = await createKey(ctx, schoolA.id, ['*']);
    await call(ctx.app, 'GET', '/api/v1/categories', { key: key.key });
    await new Promise((r) => setTimeout(r, 100));
    const [first] = await ctx.database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(first!.lastUsedAt).toBeInstanceOf(Date);
    const before = ctx.database.queryCount();
    await call(ctx.app, 'GET', '/api/v1/categories', { key: key.key });
    await new Promise((r) => setTimeout(r, 100));
    // only the page (its total comes with it): the key comes from the cache, and no UPDATE of
    // lastUsedAt within the minute
    expect(ctx.database.queryCount() - before).toBe(1);
    const [second] = await ctx.database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(second!.lastUsedAt!.getTime()).toBe(first!.lastUsedAt!.getTime());
  });
});

describe('scopes', () => {
  it('names the missing scope in a 403', async () => {
    const reader = await createKey(ctx, schoolA.id, ['courses:read']);
    expect((await call(ctx.app, 'GET', '/api/v1/categories', { key: reader.key })).statusCode).toBe(200);
    const res = await call(ctx.app, 'POST', '/api/v1/categories', { key: reader.key, body: { name: 'X' } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining("'courses:write'") });
  });

  it('write implies read, area:* grants both, other areas grant nothing', async () => {
    const writer = await createKey(ctx, schoolA.id, ['courses:write']);
    expect((await call(ctx.app, 'GET', '/api/v1/categories', { key: writer.key })).statusCode).toBe(200);
    const star = await createKey(ctx, schoolA.id, ['courses:*']);
    expect(
      (await call(ctx.app, 'POST', '/api/v1/categories', { key: star.key, body: { name: 'Scoped' } })).statusCode,
    ).toBe(201);
    const other = await createKey(ctx, schoolA.id, ['students:write']);
    const res = await call(ctx.app, 'GET', '/api/v1/categories', { key: other.key });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toContain("'courses:read'");
  });

  it('PATCH /school needs * or a session', async () => {
    const narrow = await createKey(ctx, schoolA.id, ['courses:*']);
    const res = await call(ctx.app, 'PATCH', '/api/v1/school', { key: narrow.key, body: { name: 'Hijacked' } });
    expect(res.statusCode).toBe(403);
    expect((await call(ctx.app, 'GET', '/api/v1/school', { key: narrow.key })).json().name).not.toBe('Hijacked');
  });
});

describe('owner session and key management', () => {
  it('logs in with a secure-by-config HTTP-only cookie, answers /auth/me, logs out', async () => {
    const { res, cookie, raw } = await login(schoolA.ownerEmail.toUpperCase(), schoolA.password);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      object: 'session',
      user: { email: schoolA.ownerEmail, role: 'owner' },
      school: { id: schoolA.id },
    });
    expect(raw).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    const me = await call(ctx.app, 'GET', '/api/v1/auth/me', { headers: { cookie: cookie! } });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.id).toBe(schoolA.owner.id);

    const out = await call(ctx.app, 'POST', '/api/v1/auth/logout', { headers: { cookie: cookie! } });
    expect(out.statusCode).toBe(204);
    expect((await call(ctx.app, 'GET', '/api/v1/auth/me', { headers: { cookie: cookie! } })).statusCode).toBe(401);
  });

  it('refuses a wrong password and an unknown email alike', async () => {
    const wrong = await login(schoolA.ownerEmail, 'wrong password');
    const unknown = await login('nobody@example.com', 'whatever1');
    for (const { res, cookie } of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'unauthorized', message: 'Invalid email or password.' });
      expect(cookie).toBeUndefined();
    }
    const bad = await call(ctx.app, 'POST', '/api/v1/auth/login', { body: { email: 'not-an-email', password: 'x' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details[0].path).toBe('email');
  });

  it('key management needs a session, not a key', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/api-keys'],
      ['POST', '/api/v1/api-keys'],
      ['DELETE', '/api/v1/api-keys/key_x'],
    ] as const) {
      const res = await call(ctx.app, method, url, {
        key: schoolA.key,
        body: method === 'POST' ? { name: 'x', permissions: ['*'] } : undefined,
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/session/);
    }
  });

  it('creates a key shown once, lists it without the secret, revokes it at once', async () => {
    const { cookie } = await login(schoolA.ownerEmail, schoolA.password);
    const created = await call(ctx.app, 'POST', '/api/v1/api-keys', {
      headers: { cookie: cookie! },
      body: { name: 'CMS', description: 'sync job', permissions: ['courses:write'], expiresInDays: 30 },
    });
    expect(created.statusCode).toBe(201);
    const key = created.json();
    expect(key).toMatchObject({
      object: 'api_key',
      name: 'CMS',
      permissions: ['courses:write'],
      revokedAt: null,
      lastUsedAt: null,
    });
    expect(key.key).toMatch(/^syl_/);
    expect(key.prefix).toBe(key.key.slice(0, 12));
    expect(new Date(key.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const [stored] = await ctx.database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(JSON.stringify(stored)).not.toContain(key.key);

    expect((await call(ctx.app, 'GET', '/api/v1/categories', { key: key.key })).statusCode).toBe(200);

    const list = await call(ctx.app, 'GET', '/api/v1/api-keys', { headers: { cookie: cookie! } });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(key.key);
    expect(list.json().data.map((k: { id: string }) => k.id)).toContain(key.id);
    expect(list.json().pagination).toMatchObject({ page: 1, limit: 20 });

    const revoke = await call(ctx.app, 'DELETE', `/api/v1/api-keys/${key.id}`, { headers: { cookie: cookie! } });
    expect(revoke.statusCode).toBe(204);
    const after = await call(ctx.app, 'GET', '/api/v1/categories', { key: key.key });
    expect(after.statusCode).toBe(401);
    expect(after.json().message).toMatch(/revoked/);

    const again = await call(ctx.app, 'POST', '/api/v1/api-keys', {
      headers: { cookie: cookie! },
      body: { name: 'Q', permissions: ['*'] },
    });
    const byQuery = await call(ctx.app, 'DELETE', `/api/v1/api-keys?id=${again.json().id}`, {
      headers: { cookie: cookie! },
    });
    expect(byQuery.statusCode).toBe(204);
    expect((await call(ctx.app, 'GET', '/api/v1/school', { key: again.json().key })).statusCode).toBe(401);
  });

  it('validates key creation', async () => {
    const { cookie } = await login(schoolA.ownerEmail, schoolA.password);
    const bad = await call(ctx.app, 'POST', '/api/v1/api-keys', {
      headers: { cookie: cookie! },
      body: { name: '', permissions: ['courses:admin'], expiresInDays: 0, schoolId: 'sch_other' },
    });
    expect(bad.statusCode).toBe(400);
    const paths = bad
      .json()
      .details.map((d: { path: string }) => d.path)
      .sort();
    expect(paths).toEqual(['expiresInDays', 'name', 'permissions.0', 'schoolId']);
  });

  it("school B's owner cannot see or revoke school A's keys", async () => {
    const schoolB = await createSchool(ctx);
    const { cookie } = await login(schoolB.ownerEmail, schoolB.password);
    const keyA = await createKey(ctx, schoolA.id, ['*']);
    const list = await call(ctx.app, 'GET', '/api/v1/api-keys?limit=100', { headers: { cookie: cookie! } });
    expect(list.json().data.map((k: { id: string }) => k.id)).not.toContain(keyA.id);
    const revoke = await call(ctx.app, 'DELETE', `/api/v1/api-keys/${keyA.id}`, { headers: { cookie: cookie! } });
    expect(revoke.statusCode).toBe(404);
    expect((await call(ctx.app, 'GET', '/api/v1/school', { key: keyA.key })).statusCode).toBe(200);
  });
});

describe('school', () => {
  it('reads and updates the key’s own school with an ETag', async () => {
    const get = await call(ctx.app, 'GET', '/api/v1/school', { key: schoolA.key });
    expect(get.statusCode).toBe(200);
    expect(get.json()).toMatchObject({
      object: 'school',
      id: schoolA.id,
      currency: 'USD',
      timezone: 'UTC',
      rateLimitPerMinute: 100000,
    });
    const etag = get.headers.etag as string;
    const patch = await call(ctx.app, 'PATCH', '/api/v1/school', {
      key: schoolA.key,
      headers: { 'if-match': etag },
      body: {
        currency: 'eur',
        timezone: 'Europe/Berlin',
        customFields: [{ key: 'level_code', label: 'Level code', type: 'text' }],
      },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({
      currency: 'EUR',
      timezone: 'Europe/Berlin',
      customFields: [{ key: 'level_code' }],
    });
    const stale = await call(ctx.app, 'PATCH', '/api/v1/school', {
      key: schoolA.key,
      headers: { 'if-match': etag },
      body: { name: 'Stale' },
    });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().error).toBe('precondition_failed');
  });

  it('validates school settings', async () => {
    const res = await call(ctx.app, 'PATCH', '/api/v1/school', {
      key: schoolA.key,
      body: {
        currency: 'EURO',
        timezone: 'Mars/Olympus',
        customFields: [
          { key: 'a', label: 'A', type: 'text' },
          { key: 'a', label: 'B', type: 'color' },
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    const paths = res.json().details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['currency', 'timezone', 'customFields.1.type']));
  });
});

describe('cached credentials across instances', () => {
  async function secondInstance() {
    const database = createDb(ctx.dbUrl, 2);
    const app = await buildApp(ctx.config, { database });
    await app.ready();
    await waitUntilLive(database);
    const close = async () => {
      await app.close();
      await database.close();
    };
    return { app, database, close };
  }
  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100; i++) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  };

  it('a key revoked on one instance is refused by the others (NOTIFY on commit)', async () => {
    const other = await secondInstance();
    try {
      const key = await createKey(ctx, schoolA.id, ['*']);
      for (const app of [ctx.app, other.app])
        expect((await call(app, 'GET', '/api/v1/categories', { key: key.key })).statusCode).toBe(200);
      await ctx.services.apiKeys.revoke(schoolA.id, key.id);
      expect((await call(ctx.app, 'GET', '/api/v1/categories', { key: key.key })).statusCode).toBe(401);
      expect(
        await until(
          async () => (await call(other.app, 'GET', '/api/v1/categories', { key: key.key })).statusCode === 401,
        ),
      ).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('while the LISTEN connection is lost nothing is served from the cache', async () => {
    const other = await secondInstance();
    try {
      const key = await createKey(ctx, schoolA.id, ['*']);
      expect((await call(other.app, 'GET', '/api/v1/categories', { key: key.key })).statusCode).toBe(200);
      await ctx.database.pool.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'syllabus-listen' AND datname = current_database()",
      );
      expect(await until(async () => !other.database.notifier.live)).toBe(true);
      await ctx.database.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, key.id)); // no notification at all
      expect((await call(other.app, 'GET', '/api/v1/categories', { key: key.key })).statusCode).toBe(401);
      expect(await until(async () => other.database.notifier.live)).toBe(true); // it reconnects
    } finally {
      await other.close();
    }
  });

  it('a school rate-limit change reaches every instance', async () => {
    const other = await secondInstance();
    try {
      const s = await createSchool(ctx);
      expect((await call(other.app, 'GET', '/api/v1/categories', { key: s.key })).headers['ratelimit-limit']).toBe(
        '100000',
      );
      await call(ctx.app, 'PATCH', '/api/v1/school', { key: s.key, body: { rateLimitPerMinute: 50 } });
      expect(
        await until(
          async () =>
            (await call(other.app, 'GET', '/api/v1/categories', { key: s.key })).headers['ratelimit-limit'] === '50',
        ),
      ).toBe(true);
    } finally {
      await other.close();
    }
  });
});
