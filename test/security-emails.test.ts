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

describe('webhooks: subscribing to events that carry emails needs students:read', async () => {
  const url = 'https://hooks.example.com/in';

  it('a webhooks:write key without students:read cannot subscribe to *, student.* or community.member.added', async () => {
    const key = (await createKey(ctx, A.id, ['webhooks:write', 'webhooks:read'])).key;
    for (const events of [['*'], ['student.created'], ['course.created', 'community.member.added']]) {
      const res = await call(ctx.app, 'POST', '/api/v1/webhooks', { key, body: { url, events } });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'forbidden', details: [{ code: 'missing_scope' }] });
      expect(res.json().message).toContain('students:read');
    }
    const list = await call(ctx.app, 'GET', '/api/v1/webhooks', { key });
    expect(list.json().data).toEqual([]);
  });

  it('other event types need only webhooks:write; a PATCH to an email-carrying type needs students:read', async () => {
    const key = (await createKey(ctx, A.id, ['webhooks:write'])).key;
    const created = await call(ctx.app, 'POST', '/api/v1/webhooks', { key, body: { url, events: ['course.created'] } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    const patched = await call(ctx.app, 'PATCH', `/api/v1/webhooks/${id}`, {
      key,
      body: { events: ['student.updated'] },
    });
    expect(patched.statusCode).toBe(403);
    const stored = await call(ctx.app, 'GET', `/api/v1/webhooks/${id}`, { key: A.key });
    expect(stored.json().events).toEqual(['course.created']);
  });

  it('with students:read (or *) the same subscriptions are accepted', async () => {
    const key = (await createKey(ctx, A.id, ['webhooks:write', 'students:read'])).key;
    const res = await call(ctx.app, 'POST', '/api/v1/webhooks', { key, body: { url, events: ['*'] } });
    expect(res.statusCode).toBe(201);
    const owner = await call(ctx.app, 'POST', '/api/v1/webhooks', {
      key: A.key,
      body: { url, events: ['student.created'] },
    });
    expect(owner.statusCode).toBe(201);
  });
});
