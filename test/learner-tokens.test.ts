/**
 * Learner tokens (API.md §2 Learners): minted per student (shown once, stored hashed, checksummed),
 * revoked per student, expiring on the injectable clock, usable only on /me; throttled and rate
 * limited like other credentials.
 */
import { createHash } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { learnerTokens, users } from '../src/db/schema/index.js';
import { actorOf } from '../src/lib/request-context.js';
import { learnerTokenFormat } from '../src/modules/learners/learner-tokens.service.js';
import { call, createKey, createSchool, listen, setupApp, type TestContext } from './helpers.js';

let clock = Date.parse('2026-12-01T10:00:00.000Z');
const ctx = await setupApp({ now: () => new Date(clock) });
const A = await createSchool(ctx);
const B = await createSchool(ctx);

async function student(ctx_: TestContext, key: string, name = 'Jane') {
  const res = await call(ctx_.app, 'POST', '/api/v1/students', {
    key,
    body: { name, email: `${name.toLowerCase()}${Math.random().toString(36).slice(2)}@example.com` },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}
const mint = (studentId: string, body?: unknown, key = A.key, headers: Record<string, string> = {}) =>
  call(ctx.app, 'POST', `/api/v1/students/${studentId}/tokens`, { key, body, headers });
const me = (token: string) => call(ctx.app, 'GET', '/api/v1/me', { key: token });

async function login(school: typeof A) {
  const res = await call(ctx.app, 'POST', '/api/v1/auth/login', {
    body: { email: school.ownerEmail, password: school.password },
  });
  expect(res.statusCode).toBe(200);
  const raw = res.cookies.find((c) => c.name === 'syllabus_session')!;
  return `syllabus_session=${raw.value}`;
}

describe('minting', () => {
  it('answers the token once, slt_-prefixed and checksummed, stored only as its SHA-256', async () => {
    const sid = await student(ctx, A.key);
    const res = await mint(sid, { expiresInMinutes: 30 });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ object: 'learner_token', studentId: sid });
    expect(body.token).toMatch(/^slt_[0-9A-Za-z]{38}$/);
    expect(learnerTokenFormat.isWellFormed(body.token)).toBe(true);
    expect(body.expiresAt).toBe(new Date(clock + 30 * 60_000).toISOString());
    expect(res.headers['cache-control']).toBe('private, no-store');

    const rows = await ctx.database.db.select().from(learnerTokens).where(eq(learnerTokens.studentId, sid));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toBe(createHash('sha256').update(body.token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(body.token);
    expect(rows[0]!.schoolId).toBe(A.id);

    // The token works as that student.
    const who = await me(body.token);
    expect(who.statusCode).toBe(200);
    expect(who.json()).toMatchObject({ object: 'student', id: sid });
  });

  it('defaults to 60 minutes with no body or an empty one; 5 and 1440 are the bounds', async () => {
    const sid = await student(ctx, A.key);
    for (const body of [undefined, {}]) {
      const res = await mint(sid, body);
      expect(res.statusCode).toBe(201);
      expect(res.json().expiresAt).toBe(new Date(clock + 60 * 60_000).toISOString());
    }
    expect((await mint(sid, { expiresInMinutes: 5 })).json().expiresAt).toBe(
      new Date(clock + 5 * 60_000).toISOString(),
    );
    expect((await mint(sid, { expiresInMinutes: 1440 })).json().expiresAt).toBe(
      new Date(clock + 1440 * 60_000).toISOString(),
    );
  });

  it.each([
    [{ expiresInMinutes: 4 }, 'expiresInMinutes'],
    [{ expiresInMinutes: 1441 }, 'expiresInMinutes'],
    [{ expiresInMinutes: 10.5 }, 'expiresInMinutes'],
    [{ expiresInMinutes: '60' }, 'expiresInMinutes'],
    [{ expiresInMinutes: null }, 'expiresInMinutes'],
    [{ studentId: 'usr_x' }, 'studentId'],
  ])('refuses %j (400 at %s) and stores nothing', async (body, path) => {
    const sid = await student(ctx, A.key);
    const res = await mint(sid, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('validation_error');
    expect(res.json().details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await ctx.database.db.select().from(learnerTokens).where(eq(learnerTokens.studentId, sid))).toEqual([]);
  });

  it('only for a student of the school: others, other schools and unknown ids are 404', async () => {
    const instructor = await call(ctx.app, 'POST', '/api/v1/users', {
      key: A.key,
      body: { name: 'Teach', email: `teach${Math.random()}@example.com`, role: 'instructor' },
    });
    expect(instructor.statusCode).toBe(201);
    const bStudent = await student(ctx, B.key);
    for (const id of [instructor.json().id, A.owner.id, bStudent, 'usr_unknown']) {
      const res = await mint(id);
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toBe('not_found');
      expect((await call(ctx.app, 'DELETE', `/api/v1/students/${id}/tokens`, { key: A.key })).statusCode).toBe(404);
    }
    expect(await ctx.database.db.select().from(learnerTokens).where(eq(learnerTokens.studentId, bStudent))).toEqual([]);
  });

  it('needs students:write (a read key is 403); an owner session may mint', async () => {
    const sid = await student(ctx, A.key);
    const reader = await createKey(ctx, A.id, ['students:read']);
    const refused = await mint(sid, {}, reader.key);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toBe('forbidden');
    expect((await call(ctx.app, 'DELETE', `/api/v1/students/${sid}/tokens`, { key: reader.key })).statusCode).toBe(403);
    const writer = await createKey(ctx, A.id, ['students:write']);
    expect((await mint(sid, {}, writer.key)).statusCode).toBe(201);
    const cookie = await login(A);
    const bySession = await call(ctx.app, 'POST', `/api/v1/students/${sid}/tokens`, {
      headers: { cookie },
      body: {},
    });
    expect(bySession.statusCode).toBe(201);
  });

  it('is never replayed through Idempotency-Key (the secret is shown once)', async () => {
    const sid = await student(ctx, A.key);
    const first = await mint(sid, { expiresInMinutes: 10 }, A.key, { 'idempotency-key': 'mint-1' });
    expect(first.statusCode).toBe(201);
    const retry = await mint(sid, { expiresInMinutes: 10 }, A.key, { 'idempotency-key': 'mint-1' });
    expect(retry.statusCode).toBe(409);
    expect(retry.body).not.toContain(first.json().token);
    expect(await ctx.database.db.select().from(learnerTokens).where(eq(learnerTokens.studentId, sid))).toHaveLength(1);
  });
});

describe('authentication', () => {
  it('malformed, mistyped (bad checksum) and unknown tokens are 401', async () => {
    const sid = await student(ctx, A.key);
    const { token } = (await mint(sid)).json();
    const typo = `${token.slice(0, 10)}${token[10] === 'a' ? 'b' : 'a'}${token.slice(11)}`;
    for (const bad of ['slt_short', typo, learnerTokenFormat.generate(), `${token}x`]) {
      const res = await me(bad);
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe('unauthorized');
    }
    expect((await call(ctx.app, 'GET', '/api/v1/me')).statusCode).toBe(401);
  });

  it('expires on the clock: valid until expiresAt, 401 from then on', async () => {
    const sid = await student(ctx, A.key);
    const { token } = (await mint(sid, { expiresInMinutes: 5 })).json();
    clock += 5 * 60_000 - 1;
    expect((await me(token)).statusCode).toBe(200);
    clock += 1;
    const expired = await me(token);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().message).toMatch(/expired/);
  });

  it('DELETE /students/{id}/tokens revokes every token of that student only; new tokens work again', async () => {
    const sid = await student(ctx, A.key);
    const other = await student(ctx, A.key, 'Other');
    const t1 = (await mint(sid)).json().token;
    const t2 = (await mint(sid)).json().token;
    const t3 = (await mint(other)).json().token;
    const res = await call(ctx.app, 'DELETE', `/api/v1/students/${sid}/tokens`, { key: A.key });
    expect(res.statusCode).toBe(204);
    for (const t of [t1, t2]) {
      const r = await me(t);
      expect(r.statusCode).toBe(401);
      expect(r.json().message).toMatch(/revoked/);
    }
    expect((await me(t3)).statusCode).toBe(200);
    const rows = await ctx.database.db.select().from(learnerTokens).where(eq(learnerTokens.studentId, sid));
    expect(rows.every((r) => r.revokedAt !== null)).toBe(true);
    // Idempotent: revoking again is 204 too.
    expect((await call(ctx.app, 'DELETE', `/api/v1/students/${sid}/tokens`, { key: A.key })).statusCode).toBe(204);
    const fresh = (await mint(sid)).json().token;
    expect((await me(fresh)).statusCode).toBe(200);
  });

  it('a token stops working when its student is deleted or is no longer a student', async () => {
    const sid = await student(ctx, A.key);
    const t = (await mint(sid)).json().token;
    await ctx.database.db.update(users).set({ role: 'instructor' }).where(eq(users.id, sid));
    expect((await me(t)).statusCode).toBe(401);
    await ctx.database.db.update(users).set({ role: 'student' }).where(eq(users.id, sid));
    expect((await me(t)).statusCode).toBe(200);
    expect((await call(ctx.app, 'DELETE', `/api/v1/students/${sid}`, { key: A.key })).statusCode).toBe(204);
    expect((await me(t)).statusCode).toBe(401);
    expect(await ctx.database.db.select().from(learnerTokens).where(eq(learnerTokens.studentId, sid))).toEqual([]);
  });

  it('the learner is the actor of what the token does', () => {
    const expiresAt = new Date();
    expect(
      actorOf({
        via: 'learner',
        tokenId: 'ltk_1',
        studentId: 'usr_1',
        schoolId: 'sch_1',
        expiresAt,
        permissions: [],
        rateLimitPerMinute: null,
      }),
    ).toEqual({ type: 'learner', id: 'usr_1' });
  });
});

describe('where a learner token works', () => {
  it('only on /me: every other route answers 403 forbidden, whatever its auth', async () => {
    const sid = await student(ctx, A.key);
    const { token } = (await mint(sid)).json();
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/v1/courses'],
      ['POST', '/api/v1/courses', { title: 'Nope' }],
      ['GET', `/api/v1/students/${sid}`],
      ['POST', `/api/v1/students/${sid}/tokens`, {}],
      ['GET', '/api/v1/enrollments'],
      ['GET', '/api/v1/api-keys'],
      ['GET', '/api/v1/certificates/crt_x/pdf'],
      ['GET', '/api/v1/school'],
    ];
    for (const [method, url, body] of routes) {
      const res = await call(ctx.app, method as 'GET', url, { key: token, body });
      expect([url, res.statusCode]).toEqual([url, 403]);
      expect(res.json().error).toBe('forbidden');
      expect(res.json().details[0].code).toBe('learner_token');
    }
    // Sent as x-api-key on a session-only route: the same 403.
    const viaHeader = await call(ctx.app, 'GET', '/api/v1/api-keys', { headers: { 'x-api-key': token } });
    expect(viaHeader.statusCode).toBe(403);
    expect(viaHeader.json().details[0].code).toBe('learner_token');
    // Nothing was created by the refused POSTs.
    expect(await ctx.database.db.select().from(learnerTokens).where(eq(learnerTokens.studentId, sid))).toHaveLength(1);
  });

  it('/me refuses a school key (even *) and an owner session with 403', async () => {
    const byKey = await call(ctx.app, 'GET', '/api/v1/me', { key: A.key });
    expect(byKey.statusCode).toBe(403);
    expect(byKey.json().details[0].code).toBe('learner_token_required');
    const cookie = await login(A);
    for (const [method, url] of [
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/me/enrollments'],
      ['GET', '/api/v1/me/certificates'],
      ['GET', '/api/v1/me/certificates/crt_x/pdf'],
    ] as const) {
      const res = await call(ctx.app, method, url, { headers: { cookie } });
      expect([url, res.statusCode]).toEqual([url, 403]);
    }
    // A bad key on /me is still a 401 (authentication comes first).
    expect((await call(ctx.app, 'GET', '/api/v1/me', { key: 'syl_typo' })).statusCode).toBe(401);
  });
});

describe('throttle and rate limit', async () => {
  const small = await setupApp({ env: { AUTH_FAILURES_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '4' } });
  const S = await createSchool(small);
  const sid = await student(small, S.key);
  const from = (ip: string) => ({ remoteAddress: ip });

  it('wrong tokens count as failed authentications: the address then gets 429 before any look-up', async () => {
    const ip = '198.51.100.40';
    for (let i = 0; i < 3; i++) {
      const res = await call(small.app, 'GET', '/api/v1/me', { key: learnerTokenFormat.generate(), ...from(ip) });
      expect(res.statusCode).toBe(401);
    }
    const good = await small.services.learnerTokens.create(S.id, sid, 60);
    const blocked = await call(small.app, 'GET', '/api/v1/me', { key: good.token, ...from(ip) });
    expect(blocked.statusCode).toBe(429);
    expect((await call(small.app, 'GET', '/api/v1/me', { key: good.token, ...from('198.51.100.41') })).statusCode).toBe(
      200,
    );
  });

  it('the rate limit is per token: one token spent, another of the same student still answers', async () => {
    const t1 = (await small.services.learnerTokens.create(S.id, sid, 60)).token;
    const t2 = (await small.services.learnerTokens.create(S.id, sid, 60)).token;
    for (let i = 0; i < 4; i++) {
      const res = await call(small.app, 'GET', '/api/v1/me', { key: t1, ...from('198.51.100.50') });
      expect(res.statusCode).toBe(200);
      expect(res.headers['ratelimit-limit']).toBe('4');
    }
    const limited = await call(small.app, 'GET', '/api/v1/me', { key: t1, ...from('198.51.100.50') });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await call(small.app, 'GET', '/api/v1/me', { key: t2, ...from('198.51.100.50') })).statusCode).toBe(200);
  });
});

describe('MCP', async () => {
  const base = await listen(ctx.app);
  const clients: Client[] = [];
  afterAll(async () => {
    for (const c of clients) await c.close();
  });
  async function connect(credential: string) {
    const client = new Client({ name: 'tutor', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${credential}` } },
      }),
    );
    clients.push(client);
    return client;
  }
  const ME_TOOLS = [
    'enroll_me',
    'get_me',
    'get_my_course',
    'get_my_lesson',
    'list_my_certificates',
    'list_my_enrollments',
    'record_my_progress',
    'update_me',
  ];

  it('a learner token lists only the /me tools, and they act as that student', async () => {
    const sid = await student(ctx, A.key);
    const { token } = (await mint(sid)).json();
    const tutor = await connect(token);
    const names = (await tutor.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(ME_TOOLS);
    const me = await tutor.callTool({ name: 'get_me', arguments: {} });
    expect(me.isError).toBeFalsy();
    expect(me.structuredContent).toMatchObject({ object: 'student', id: sid });
    const patched = await tutor.callTool({ name: 'update_me', arguments: { bio: 'From my tutor' } });
    expect(patched.structuredContent).toMatchObject({ bio: 'From my tutor' });
    // A school tool is not there, and calling it anyway is refused.
    const refused = await tutor.callTool({ name: 'list_courses', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(JSON.parse((refused.content as { text: string }[])[0]!.text).error).toBe('forbidden');
  });

  it('a school key does not see the /me tools (but may mint tokens); a bad learner token is 401', async () => {
    const school = await connect(A.key);
    const names = (await school.listTools()).tools.map((t) => t.name);
    expect(names.filter((n) => ME_TOOLS.includes(n))).toEqual([]);
    expect(names).toContain('create_learner_token');
    expect(names).toContain('list_courses');
    const refused = await school.callTool({ name: 'get_me', arguments: {} });
    expect(refused.isError).toBe(true);
    const res = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${learnerTokenFormat.generate()}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
  });
});
