/**
 * Session idle timeout (issue 11): a session unused for SESSION_IDLE_MINUTES ends, whatever
 * SESSION_TTL_HOURS says; use moves its end on (written at most once per step, not per request),
 * never past TTL hours after login. The clock is moved by rewriting the session row's times.
 */
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { sessions } from '../src/db/schema/index.js';
import { call, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp({ env: { SESSION_IDLE_MINUTES: '1', SESSION_TTL_HOURS: '1' } });
const S = await createSchool(ctx);

async function login() {
  const res = await call(ctx.app, 'POST', '/api/v1/auth/login', {
    body: { email: S.ownerEmail, password: S.password },
  });
  expect(res.statusCode).toBe(200);
  const raw = res.cookies.find((c) => c.name === 'syllabus_session')!;
  const [row] = await ctx.database.db
    .select()
    .from(sessions)
    .where(eq(sessions.userId, S.owner.id))
    .orderBy(sql`${sessions.createdAt} desc`)
    .limit(1);
  return { cookie: `syllabus_session=${raw.value}`, raw, id: row!.id, res };
}
const me = (cookie: string) => call(ctx.app, 'GET', '/api/v1/auth/me', { headers: { cookie } });
/** Rewrites a session's times relative to now (seconds), as if time had passed. */
async function setTimes(id: string, createdSecondsAgo: number, expiresInSeconds: number) {
  await ctx.database.db
    .update(sessions)
    .set({
      createdAt: sql`now() - make_interval(secs => ${createdSecondsAgo})`,
      expiresAt: sql`now() + make_interval(secs => ${expiresInSeconds})`,
    })
    .where(eq(sessions.id, id));
}
const row = async (id: string) => (await ctx.database.db.select().from(sessions).where(eq(sessions.id, id)))[0];

describe('session idle timeout', () => {
  it('a new session ends after the idle time, not the TTL; the cookie lives until the TTL', async () => {
    const { id, raw, res } = await login();
    const stored = (await row(id))!;
    const idle = stored.expiresAt.getTime() - stored.createdAt.getTime();
    expect(idle).toBe(60_000);
    expect(Date.parse(res.json().expiresAt)).toBe(stored.expiresAt.getTime());
    const cookieLife = new Date(raw.expires!).getTime() - stored.createdAt.getTime();
    expect(cookieLife).toBeGreaterThan(3_600_000 - 2000);
    expect(cookieLife).toBeLessThanOrEqual(3_600_000);
  });

  it('a session unused for the idle time answers 401', async () => {
    const { cookie, id } = await login();
    expect((await me(cookie)).statusCode).toBe(200);
    await setTimes(id, 61, -1); // last used 61 s ago: its idle end has passed
    const res = await me(cookie);
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('unauthorized');
  });

  it('use moves the end on, to idle time from now', async () => {
    const { cookie, id } = await login();
    await setTimes(id, 40, 20); // used 40 s ago, 20 s left
    const res = await me(cookie);
    expect(res.statusCode).toBe(200);
    const slid = (await row(id))!.expiresAt.getTime();
    expect(slid).toBeGreaterThan(Date.now() + 55_000);
    expect(slid).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(Date.parse(res.json().expiresAt)).toBe(slid);
  });

  it('is written at most once per step: a request soon after use writes nothing', async () => {
    const { cookie, id } = await login();
    const before = (await row(id))!.expiresAt.getTime();
    const queries = ctx.database.queryCount();
    expect((await me(cookie)).statusCode).toBe(200);
    // the session look-up, then the user and the school of /auth/me: no UPDATE
    expect(ctx.database.queryCount() - queries).toBe(3);
    expect((await row(id))!.expiresAt.getTime()).toBe(before);
  });

  it('never past the TTL after login, however much it is used', async () => {
    const { cookie, id } = await login();
    await setTimes(id, 3600 - 40, 5); // 40 s of the hour left, 5 s of idle left
    expect((await me(cookie)).statusCode).toBe(200);
    const stored = (await row(id))!;
    expect(stored.expiresAt.getTime()).toBe(stored.createdAt.getTime() + 3_600_000);
    await setTimes(id, 3601, 30); // a session older than the TTL (e.g. the TTL was shortened) is over
    expect((await me(cookie)).statusCode).toBe(401);
  });
});

describe('cross-site requests with the session cookie', async () => {
  const app = await setupApp({ env: { PUBLIC_URL: 'http://localhost:3000' } });
  const school = await createSchool(app);
  const login = await call(app.app, 'POST', '/api/v1/auth/login', {
    body: { email: school.ownerEmail, password: school.password },
  });
  const cookie = `${login.cookies[0]!.name}=${login.cookies[0]!.value}`;
  const post = (origin?: string) =>
    call(app.app, 'POST', '/api/v1/categories', {
      headers: { cookie, ...(origin ? { origin } : {}) },
      body: { name: `From ${origin ?? 'no origin'}` },
    });

  it('a state-changing request from another site is refused and writes nothing', async () => {
    const refused = await post('https://evil.example');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: 'forbidden', details: [{ path: 'origin', code: 'cross_site' }] });
    const list = await call(app.app, 'GET', '/api/v1/categories', {
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(list.statusCode).toBe(200);
    expect(list.json().categories).toHaveLength(0);
  });

  it('the site itself, and clients that send no Origin, go through; keys are not affected', async () => {
    expect((await post('http://localhost:3000')).statusCode).toBe(201);
    expect((await post()).statusCode).toBe(201);
    const withKey = await call(app.app, 'POST', '/api/v1/categories', {
      key: school.key,
      headers: { origin: 'https://evil.example' },
      body: { name: 'By key' },
    });
    expect(withKey.statusCode).toBe(201);
  });
});
