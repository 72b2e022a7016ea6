/**
 * What could turn an API key into a login needs a session (issue 11): creating or promoting an
 * admin, and changing the email, password or role of an admin or of the owner. The attack is the
 * test: the request a `*` key could make before now gets 403 and nothing changed. New credentials
 * end the user's sessions.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { sessions, users } from '../src/db/schema/index.js';
import { call, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();

async function login(email: string, password: string) {
  const res = await call(ctx.app, 'POST', '/api/v1/auth/login', { body: { email, password } });
  const cookie = res.cookies.find((c) => c.name === 'syllabus_session');
  return { status: res.statusCode, cookie: cookie ? `syllabus_session=${cookie.value}` : '' };
}
const withCookie = (cookie: string, body?: unknown) => ({ headers: { cookie }, body });
const me = async (cookie: string) => (await call(ctx.app, 'GET', '/api/v1/auth/me', withCookie(cookie))).statusCode;
const userRow = async (id: string) => (await ctx.database.db.select().from(users).where(eq(users.id, id)))[0]!;

/** A school, its owner's session and an admin (created by the owner) with the admin's own session. */
async function schoolWithAdmin() {
  const S = await createSchool(ctx);
  const owner = await login(S.ownerEmail, S.password);
  expect(owner.status).toBe(200);
  const adminEmail = `admin-${Math.random().toString(36).slice(2)}@example.com`;
  const created = await call(
    ctx.app,
    'POST',
    '/api/v1/users',
    withCookie(owner.cookie, { name: 'Admin', email: adminEmail, role: 'admin', password: 'admin password 1' }),
  );
  expect(created.statusCode).toBe(201);
  const admin = await login(adminEmail, 'admin password 1');
  expect(admin.status).toBe(200);
  return { S, ownerCookie: owner.cookie, adminId: created.json().id as string, adminEmail, adminCookie: admin.cookie };
}

describe('a * key cannot make itself a login', () => {
  it('POST /users {role: admin, password} → 403, no user, and the login fails', async () => {
    const S = await createSchool(ctx);
    const res = await call(ctx.app, 'POST', '/api/v1/users', {
      key: S.key,
      body: { name: 'Mallory', email: 'mallory-admin@example.com', role: 'admin', password: 'takeover pass' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({
      error: 'forbidden',
      details: [{ path: 'role', code: 'session_required' }],
    });
    expect(res.json().message).toMatch(/owner's session/);
    expect(
      (await ctx.database.db.select().from(users).where(eq(users.email, 'mallory-admin@example.com'))).length,
    ).toBe(0);
    expect((await login('mallory-admin@example.com', 'takeover pass')).status).toBe(401);
  });

  it("PATCH /users/{owner} email or password → 403 and the owner's login is unchanged", async () => {
    const S = await createSchool(ctx);
    const before = await userRow(S.owner.id);
    for (const body of [
      { email: 'attacker@example.com' },
      { password: 'attacker password' },
      { email: 'attacker@example.com', password: 'attacker password' },
    ]) {
      const res = await call(ctx.app, 'PATCH', `/api/v1/users/${S.owner.id}`, { key: S.key, body });
      expect(res.statusCode).toBe(403);
      expect(res.json().details[0]).toMatchObject({ code: 'session_required', path: Object.keys(body)[0] });
    }
    const after = await userRow(S.owner.id);
    expect(after.email).toBe(before.email);
    expect(after.passwordHash).toBe(before.passwordHash);
    expect(after.version).toBe(before.version);
    expect((await login('attacker@example.com', 'attacker password')).status).toBe(401);
    expect((await login(S.ownerEmail, S.password)).status).toBe(200);
  });

  it("a * key cannot promote a user to admin, nor change an admin's email, password or role", async () => {
    const { S, adminId } = await schoolWithAdmin();
    const student = await call(ctx.app, 'POST', '/api/v1/users', {
      key: S.key,
      body: { name: 'Student', email: `st-${Math.random()}@example.com`, role: 'student' },
    });
    const promote = await call(ctx.app, 'PATCH', `/api/v1/users/${student.json().id}`, {
      key: S.key,
      body: { role: 'admin', password: 'promoted pass' },
    });
    expect(promote.statusCode).toBe(403);
    expect((await userRow(student.json().id)).role).toBe('student');
    const before = await userRow(adminId);
    for (const body of [{ email: 'x-admin@example.com' }, { password: 'x password 1' }, { role: 'instructor' }]) {
      const res = await call(ctx.app, 'PATCH', `/api/v1/users/${adminId}`, { key: S.key, body });
      expect(res.statusCode).toBe(403);
      expect(res.json().details[0].path).toBe(Object.keys(body)[0]);
    }
    const after = await userRow(adminId);
    expect([after.email, after.passwordHash, after.role]).toEqual([before.email, before.passwordHash, 'admin']);
    // What cannot make a login stays open to a * key (decision 41): the admin's display name.
    const rename = await call(ctx.app, 'PATCH', `/api/v1/users/${adminId}`, { key: S.key, body: { name: 'Renamed' } });
    expect(rename.statusCode).toBe(200);
    // Sending the same email again changes nothing, so it needs no session.
    const same = await call(ctx.app, 'PATCH', `/api/v1/users/${adminId}`, { key: S.key, body: { email: after.email } });
    expect(same.statusCode).toBe(200);
  });
});

describe('sessions that may change logins', () => {
  it("the owner's session creates admins and changes an admin's password", async () => {
    const { ownerCookie, adminId, adminEmail } = await schoolWithAdmin();
    const res = await call(
      ctx.app,
      'PATCH',
      `/api/v1/users/${adminId}`,
      withCookie(ownerCookie, { password: 'set by the owner' }),
    );
    expect(res.statusCode).toBe(200);
    expect((await login(adminEmail, 'set by the owner')).status).toBe(200);
  });

  it("an admin's own session changes its own password; another admin's session may not, nor create admins", async () => {
    const { S, ownerCookie, adminId, adminEmail, adminCookie } = await schoolWithAdmin();
    const other = await call(
      ctx.app,
      'POST',
      '/api/v1/users',
      withCookie(ownerCookie, {
        name: 'Other',
        email: `o-${Math.random()}@example.com`,
        role: 'admin',
        password: 'other admin 1',
      }),
    );
    const otherCookie = (await login(other.json().email, 'other admin 1')).cookie;
    const refused = await call(
      ctx.app,
      'PATCH',
      `/api/v1/users/${adminId}`,
      withCookie(otherCookie, { password: 'hijack123' }),
    );
    expect(refused.statusCode).toBe(403);
    const create = await call(
      ctx.app,
      'POST',
      '/api/v1/users',
      withCookie(otherCookie, { name: 'Third', email: `t-${Math.random()}@example.com`, role: 'admin' }),
    );
    expect(create.statusCode).toBe(403);
    const ownerPatch = await call(
      ctx.app,
      'PATCH',
      `/api/v1/users/${S.owner.id}`,
      withCookie(adminCookie, { password: 'owner hijack' }),
    );
    expect(ownerPatch.statusCode).toBe(403);
    expect((await login(S.ownerEmail, S.password)).status).toBe(200);

    const own = await call(
      ctx.app,
      'PATCH',
      `/api/v1/users/${adminId}`,
      withCookie(adminCookie, { password: 'my new password' }),
    );
    expect(own.statusCode).toBe(200);
    expect((await login(adminEmail, 'admin password 1')).status).toBe(401);
    expect((await login(adminEmail, 'my new password')).status).toBe(200);
  });

  it("the owner's own session changes the owner's email", async () => {
    const S = await createSchool(ctx);
    const { cookie } = await login(S.ownerEmail, S.password);
    const newEmail = `owner-new-${Math.random().toString(36).slice(2)}@example.com`;
    const res = await call(ctx.app, 'PATCH', `/api/v1/users/${S.owner.id}`, withCookie(cookie, { email: newEmail }));
    expect(res.statusCode).toBe(200);
    expect((await login(newEmail, S.password)).status).toBe(200);
  });
});

describe('new credentials end the sessions', () => {
  it("a password change logs out the user's existing session", async () => {
    const { ownerCookie, adminId, adminCookie } = await schoolWithAdmin();
    expect(await me(adminCookie)).toBe(200);
    const res = await call(
      ctx.app,
      'PATCH',
      `/api/v1/users/${adminId}`,
      withCookie(ownerCookie, { password: 'rotated password' }),
    );
    expect(res.statusCode).toBe(200);
    expect(await me(adminCookie)).toBe(401);
    expect(await ctx.database.db.select().from(sessions).where(eq(sessions.userId, adminId))).toEqual([]);
    expect(await me(ownerCookie)).toBe(200); // only that user's sessions
  });

  it('so do an email change and a role change; a name change does not', async () => {
    const { ownerCookie, adminId, adminEmail, adminCookie } = await schoolWithAdmin();
    await call(ctx.app, 'PATCH', `/api/v1/users/${adminId}`, withCookie(ownerCookie, { name: 'Only a name' }));
    expect(await me(adminCookie)).toBe(200);
    await call(ctx.app, 'PATCH', `/api/v1/users/${adminId}`, withCookie(ownerCookie, { email: `moved-${adminEmail}` }));
    expect(await me(adminCookie)).toBe(401);
    const again = await login(`moved-${adminEmail}`, 'admin password 1');
    expect(await me(again.cookie)).toBe(200);
    const demote = await call(
      ctx.app,
      'PATCH',
      `/api/v1/users/${adminId}`,
      withCookie(ownerCookie, { role: 'instructor' }),
    );
    expect(demote.statusCode).toBe(200);
    expect(await me(again.cookie)).toBe(401);
    expect(await ctx.database.db.select().from(sessions).where(eq(sessions.userId, adminId))).toEqual([]);
  });

  it("the owner's own password change ends the owner's sessions too, the one that made it included", async () => {
    const S = await createSchool(ctx);
    const first = await login(S.ownerEmail, S.password);
    const second = await login(S.ownerEmail, S.password);
    const res = await call(
      ctx.app,
      'PATCH',
      `/api/v1/users/${S.owner.id}`,
      withCookie(first.cookie, { password: 'owner rotated 1' }),
    );
    expect(res.statusCode).toBe(200);
    expect(await me(first.cookie)).toBe(401);
    expect(await me(second.cookie)).toBe(401);
    expect((await login(S.ownerEmail, 'owner rotated 1')).status).toBe(200);
  });
});
