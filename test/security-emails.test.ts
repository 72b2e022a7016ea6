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
