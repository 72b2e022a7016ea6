/**
 * Emails are student data (issue 11 item 6): responses that embed users show an email only to a
 * caller holding students:read (sessions hold every scope); other keys get `email: null`.
 */
import { describe, expect, it } from 'vitest';
import { emailVisibility } from '../src/lib/email-visibility.js';
import { call, createKey, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);

describe('course instructors (GET /courses/{id}?include=instructors)', async () => {
  const teacher = await ctx.services.users.create({
    schoolId: A.id,
    email: 'teacher@example.com',
    name: 'Teach',
    role: 'instructor',
  });
  const course = (await call(ctx.app, 'POST', '/api/v1/courses', { key: A.key, body: { title: 'Emails' } })).json();
  const lesson = await call(ctx.app, 'POST', `/api/v1/courses/${course.id}/lessons`, {
    key: A.key,
    body: { title: 'One', instructorId: teacher.id },
  });
  expect(lesson.statusCode).toBe(201);
  const url = `/api/v1/courses/${course.id}?include=instructors`;

  it('a courses:read key sees the instructors without their email', async () => {
    const key = (await createKey(ctx, A.id, ['courses:read'])).key;
    const res = await call(ctx.app, 'GET', url, { key });
    expect(res.statusCode).toBe(200);
    expect(res.json().instructors).toEqual([
      expect.objectContaining({ object: 'user', id: teacher.id, name: 'Teach', email: null }),
    ]);
    expect(res.body).not.toContain('teacher@example.com');
  });

  it('courses:read with students:read (or students:write, or *) sees the email', async () => {
    for (const scopes of [['courses:read', 'students:read'], ['courses:read', 'students:write'], ['*']]) {
      const key = (await createKey(ctx, A.id, scopes)).key;
      const res = await call(ctx.app, 'GET', url, { key });
      expect(res.json().instructors[0].email, scopes.join(' ')).toBe('teacher@example.com');
    }
  });

  it('fields[instructors] still hides the email; a course without include is unchanged', async () => {
    const key = (await createKey(ctx, A.id, ['courses:read'])).key;
    const trimmed = await call(ctx.app, 'GET', `${url}&fields[instructors]=name,email`, { key });
    expect(trimmed.statusCode).toBe(200);
    expect(trimmed.json().instructors).toEqual([expect.objectContaining({ name: 'Teach', email: null })]);
    expect(trimmed.body).not.toContain('teacher@example.com');
    const plain = await call(ctx.app, 'GET', `/api/v1/courses/${course.id}`, { key });
    expect(plain.json().instructors).toBeUndefined();
  });
});

describe('community members (GET and POST /communities/{id}/members)', async () => {
  const member = await ctx.services.users.create({
    schoolId: A.id,
    email: 'member@example.com',
    name: 'Mem',
    role: 'student',
  });
  const created = await call(ctx.app, 'POST', '/api/v1/communities', {
    key: A.key,
    body: { name: 'Members emails', slug: 'members-emails' },
  });
  expect(created.statusCode).toBe(201);
  const community = created.json();
  const url = `/api/v1/communities/${community.id}/members`;

  it('a communities:write key adds a member and sees no email; a communities:read key lists none', async () => {
    const writer = (await createKey(ctx, A.id, ['communities:write'])).key;
    const added = await call(ctx.app, 'POST', url, { key: writer, body: { userId: member.id } });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ object: 'member', userId: member.id, name: 'Mem', email: null });
    const reader = (await createKey(ctx, A.id, ['communities:read'])).key;
    const list = await call(ctx.app, 'GET', url, { key: reader });
    expect(list.statusCode).toBe(200);
    expect(list.json().data).toEqual([expect.objectContaining({ userId: member.id, email: null })]);
    expect(list.body).not.toContain('member@example.com');
  });

  it('communities:read with students:read sees the email', async () => {
    const key = (await createKey(ctx, A.id, ['communities:read', 'students:read'])).key;
    const list = await call(ctx.app, 'GET', url, { key });
    expect(list.json().data).toEqual([expect.objectContaining({ userId: member.id, email: 'member@example.com' })]);
  });
});

describe('emailVisibility', () => {
  const base = { schoolId: 'sch_1', rateLimitPerMinute: null };
  it('keys need students:read; a session sees every email (it holds every scope), a user their own', () => {
    expect(emailVisibility({ ...base, via: 'key', keyId: 'k', permissions: ['courses:read'] })('usr_1')).toBe(false);
    expect(emailVisibility({ ...base, via: 'key', keyId: 'k', permissions: ['students:*'] })('usr_1')).toBe(true);
    const session = { ...base, via: 'session' as const, role: 'owner' as const, expiresAt: new Date() };
    expect(emailVisibility({ ...session, userId: 'usr_1', permissions: ['*'] })('usr_2')).toBe(true);
    const narrow = emailVisibility({ ...session, userId: 'usr_1', permissions: [] });
    expect([narrow('usr_1'), narrow('usr_2')]).toEqual([true, false]);
  });
});
