/** Every validation rule of the foundation's routes, each with the bad input and the exact error. */

import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { idempotencyKeys, sessions } from '../src/db/schema/index.js';
import { call, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);

const paths = (body: { details: { path: string }[] }) => body.details.map((d) => d.path).sort();

async function session(email = A.ownerEmail, password = A.password, extra: Record<string, unknown> = {}) {
  const res = await call(ctx.app, 'POST', '/api/v1/auth/login', { body: { email, password, ...extra } });
  const c = res.cookies.find((x) => x.name === 'syllabus_session');
  return { res, cookie: c ? `syllabus_session=${c.value}` : '' };
}

describe('POST /api-keys validation', () => {
  it.each([
    [{ name: 'x', permissions: [] }, 'permissions', 'too_small'],
    [{ name: 'x', permissions: ['*'], expiresInDays: 3651 }, 'expiresInDays', 'too_big'],
    [{ name: 'x', permissions: ['*'], expiresInDays: 1.5 }, 'expiresInDays', 'invalid_type'],
    [{ name: 'x', permissions: ['*'], description: 'd'.repeat(1001) }, 'description', 'too_big'],
    [{ name: 'n'.repeat(101), permissions: ['*'] }, 'name', 'too_big'],
    [{ permissions: ['*'] }, 'name', 'invalid_type'],
    [{ name: 'x', permissions: ['courses:delete'] }, 'permissions.0', 'invalid_value'],
    [{ name: 'x', permissions: ['*'], producerId: 'p' }, 'producerId', 'unknown_field'],
  ])('%j → 400 at %s', async (body, path, code) => {
    const { cookie } = await session();
    const res = await call(ctx.app, 'POST', '/api/v1/api-keys', { headers: { cookie }, body });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('validation_error');
    expect(res.json().details).toEqual([expect.objectContaining({ path, code })]);
  });

  it('DELETE ?id= needs the id, and another school’s id is 404', async () => {
    const { cookie } = await session();
    const missing = await call(ctx.app, 'DELETE', '/api/v1/api-keys', { headers: { cookie } });
    expect(missing.statusCode).toBe(400);
    expect(paths(missing.json())).toEqual(['id']);
    const B = await createSchool(ctx);
    const keyB = await ctx.services.apiKeys.create(B.id, { name: 'b', permissions: ['*'] }, null);
    const other = await call(ctx.app, 'DELETE', `/api/v1/api-keys?id=${keyB.id}`, { headers: { cookie } });
    expect(other.statusCode).toBe(404);
    expect((await call(ctx.app, 'GET', '/api/v1/school', { key: keyB.key })).statusCode).toBe(200);
  });

  it('the list validates sort and limit', async () => {
    const { cookie } = await session();
    for (const q of ['sort=secret', 'limit=500', 'page=-1']) {
      const res = await call(ctx.app, 'GET', `/api/v1/api-keys?${q}`, { headers: { cookie } });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error).toBe('validation_error');
    }
  });

  it('a retried key creation never replays (nor stores) the secret', async () => {
    const { cookie } = await session();
    const headers = { cookie, 'idempotency-key': 'mint-1' };
    const first = await call(ctx.app, 'POST', '/api/v1/api-keys', {
      headers,
      body: { name: 'once', permissions: ['*'] },
    });
    expect(first.statusCode).toBe(201);
    const secret = first.json().key as string;
    const retry = await call(ctx.app, 'POST', '/api/v1/api-keys', {
      headers,
      body: { name: 'once', permissions: ['*'] },
    });
    expect(retry.statusCode).toBe(409);
    expect(retry.json().error).toBe('conflict');
    expect(retry.body).not.toContain(secret);
    const stored = await ctx.database.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'mint-1'));
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored[0]!.responseStatus).toBe(201);
  });
});

describe('PATCH /school validation', () => {
  it.each([
    [{ rateLimitPerMinute: 0 }, 'rateLimitPerMinute'],
    [{ rateLimitPerMinute: 1.5 }, 'rateLimitPerMinute'],
    [{ rateLimitPerMinute: 100_001 }, 'rateLimitPerMinute'],
    [{ name: '  ' }, 'name'],
    [
      {
        customFields: [
          { key: 'a', label: 'A', type: 'text' },
          { key: 'a', label: 'B', type: 'number' },
        ],
      },
      'customFields',
    ],
    [{ customFields: [{ key: '1bad key', label: 'A', type: 'text' }] }, 'customFields.0.key'],
    [{ customFields: [{ key: 'ok', label: 'A', type: 'text', extra: true }] }, 'customFields.0.extra'],
    [{ id: 'sch_other' }, 'id'],
  ])('%j → 400 at %s, nothing written', async (body, path) => {
    const before = (await call(ctx.app, 'GET', '/api/v1/school', { key: A.key })).json();
    const res = await call(ctx.app, 'PATCH', '/api/v1/school', { key: A.key, body });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('validation_error');
    expect(paths(res.json())).toEqual([path]);
    expect((await call(ctx.app, 'GET', '/api/v1/school', { key: A.key })).json()).toEqual(before);
  });

  it('null resets the rate limit to the default', async () => {
    const s = await createSchool(ctx);
    await call(ctx.app, 'PATCH', '/api/v1/school', { key: s.key, body: { rateLimitPerMinute: 7 } });
    const res = await call(ctx.app, 'PATCH', '/api/v1/school', { key: s.key, body: { rateLimitPerMinute: null } });
    expect(res.json().rateLimitPerMinute).toBe(ctx.config.rateLimitPerMinute);
  });
});

describe('login', () => {
  it.each([
    [{ email: 'a@example.com' }, 'password'],
    [{ email: 'a@example.com', password: 'x', remember: true }, 'remember'],
    [{ password: 'x' }, 'email'],
  ])('%j → 400 at %s', async (body, path) => {
    const res = await call(ctx.app, 'POST', '/api/v1/auth/login', { body });
    expect(res.statusCode).toBe(400);
    expect(paths(res.json())).toEqual([path]);
  });

  it('an email that owns several schools needs schoolId', async () => {
    const email = `multi${Date.now()}@example.com`;
    const one = await ctx.services.schools.create({ name: 'One', ownerEmail: email, ownerPassword: 'same password' });
    await ctx.services.schools.create({ name: 'Two', ownerEmail: email, ownerPassword: 'same password' });
    const ambiguous = await session(email, 'same password');
    expect(ambiguous.res.statusCode).toBe(400);
    expect(ambiguous.res.json().details[0].path).toBe('schoolId');
    const chosen = await session(email, 'same password', { schoolId: one.school.id });
    expect(chosen.res.statusCode).toBe(200);
    expect(chosen.res.json().school.id).toBe(one.school.id);
  });

  it('students cannot log in to the owner session; expired sessions are refused', async () => {
    await ctx.services.users.create({
      schoolId: A.id,
      email: 'learner@example.com',
      name: 'L',
      role: 'student',
      password: 'student password',
    });
    const student = await session('learner@example.com', 'student password');
    expect(student.res.statusCode).toBe(401);

    const { cookie } = await session();
    expect((await call(ctx.app, 'GET', '/api/v1/auth/me', { headers: { cookie } })).statusCode).toBe(200);
    await ctx.database.db.update(sessions).set({ expiresAt: new Date(Date.now() - 1000) });
    const expired = await call(ctx.app, 'GET', '/api/v1/auth/me', { headers: { cookie } });
    expect(expired.statusCode).toBe(401);
  });
});

describe('secure cookies', async () => {
  const https = await setupApp({ env: { PUBLIC_URL: 'https://academy.example.com' } });
  it('are Secure __Host- cookies when PUBLIC_URL is https', async () => {
    const s = await createSchool(https);
    const res = await call(https.app, 'POST', '/api/v1/auth/login', {
      body: { email: s.ownerEmail, password: s.password },
    });
    const c = res.cookies.find((x) => x.name === '__Host-syllabus_session');
    expect(c).toMatchObject({ secure: true, httpOnly: true, path: '/' });
    expect(c?.domain).toBeUndefined();
    // The __Host- cookie is the one the server reads.
    const me = await call(https.app, 'GET', '/api/v1/auth/me', {
      headers: { cookie: `__Host-syllabus_session=${c?.value}` },
    });
    expect(me.statusCode).toBe(200);
    const plain = await session();
    expect(plain.res.cookies.find((c) => c.name === 'syllabus_session')?.secure).toBeFalsy();
  });
});
