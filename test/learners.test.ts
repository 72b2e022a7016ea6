/** Students, users and enrollments (the first part of the learners issue). */

import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { enrollments, users } from '../src/db/schema/index.js';
import { call, createKey, createSchool, listen, setupApp, tally } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);
const post = (url: string, body: unknown, key = A.key) => call(ctx.app, 'POST', url, { key, body });

async function publishedCourse(key = A.key) {
  const res = await post(
    '/api/v1/courses',
    {
      title: `Course ${Math.random()}`,
      isFree: true,
      status: 'published',
      sections: [{ title: 'S', lessons: [{ title: 'L' }] }],
    },
    key,
  );
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

describe('students', () => {
  it('creates with a hashed password never returned; emails unique case-insensitively', async () => {
    const res = await post('/api/v1/students', {
      name: 'Jane Smith',
      email: 'jane@example.com',
      password: 'securepass123',
      bio: 'Hi',
    });
    expect(res.statusCode).toBe(201);
    const s = res.json();
    expect(s).toMatchObject({
      object: 'student',
      name: 'Jane Smith',
      email: 'jane@example.com',
      role: 'student',
      bio: 'Hi',
      avatarUrl: null,
    });
    expect(res.body).not.toMatch(/password|securepass/);
    const [row] = await ctx.database.db.select().from(users).where(eq(users.id, s.id));
    expect(row!.passwordHash).toMatch(/^\$argon2id\$/);
    const dup = await post('/api/v1/students', { name: 'Other', email: 'JANE@example.com' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toBe('duplicate_email');
    expect((await post('/api/v1/students', { name: 'Jane at B', email: 'jane@example.com' }, B.key)).statusCode).toBe(
      201,
    );
  });

  it.each([
    [{ email: 'x@example.com' }, 'name'],
    [{ name: 'x' }, 'email'],
    [{ name: 'x', email: 'not-an-email' }, 'email'],
    [{ name: 'x', email: 'p@example.com', password: 'short' }, 'password'],
    [{ name: 'x', email: 'b@example.com', bio: 'b'.repeat(2001) }, 'bio'],
    [{ name: 'x', email: 'a@example.com', avatarUrl: 'javascript:alert(1)' }, 'avatarUrl'],
    [{ name: 'x', email: 'r@example.com', role: 'admin' }, 'role'],
  ])('%j → 400 at %s', async (body, path) => {
    const res = await post('/api/v1/students', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().details.map((d: { path: string }) => d.path)).toEqual([path]);
  });

  it('search by name or email, update, delete; /students shows students only', async () => {
    const S = await createSchool(ctx);
    await post('/api/v1/students', { name: 'Alice Wonder', email: 'alice@example.com' }, S.key);
    await post('/api/v1/students', { name: 'Bob', email: 'bob.wonder@example.com' }, S.key);
    await post('/api/v1/users', { name: 'Teacher Wonder', email: 'teach@example.com', role: 'instructor' }, S.key);
    const found = (await call(ctx.app, 'GET', '/api/v1/students?search=wonder', { key: S.key })).json();
    expect(found.data.map((u: { name: string }) => u.name).sort()).toEqual(['Alice Wonder', 'Bob']);
    const users = (await call(ctx.app, 'GET', '/api/v1/users?role=instructor', { key: S.key })).json();
    expect(users.data.map((u: { name: string }) => u.name)).toEqual(['Teacher Wonder']);
    expect((await call(ctx.app, 'GET', `/api/v1/students/${users.data[0].id}`, { key: S.key })).statusCode).toBe(404);
    const alice = found.data.find((u: { name: string }) => u.name === 'Alice Wonder');
    const patched = await call(ctx.app, 'PATCH', `/api/v1/students/${alice.id}`, {
      key: S.key,
      body: { name: 'Alice W.', password: 'a new password' },
    });
    expect(patched.json().name).toBe('Alice W.');
    expect((await call(ctx.app, 'DELETE', `/api/v1/students/${alice.id}`, { key: S.key })).statusCode).toBe(204);
    expect((await call(ctx.app, 'GET', `/api/v1/students/${alice.id}`, { key: S.key })).statusCode).toBe(404);
    const owner = (await call(ctx.app, 'GET', '/api/v1/users?role=owner', { key: S.key })).json().data[0];
    expect((await call(ctx.app, 'DELETE', `/api/v1/users/${owner.id}`, { key: S.key })).statusCode).toBe(403);
  });

  it("school B cannot see or change school A's students; scopes apply", async () => {
    const s = (await post('/api/v1/students', { name: 'Private', email: 'private@example.com' })).json();
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'x' }],
      ['DELETE', undefined],
    ] as const) {
      expect((await call(ctx.app, method, `/api/v1/students/${s.id}`, { key: B.key, body })).statusCode).toBe(404);
      expect((await call(ctx.app, method, `/api/v1/users/${s.id}`, { key: B.key, body })).statusCode).toBe(404);
    }
    expect(
      (await call(ctx.app, 'GET', '/api/v1/students?limit=100', { key: B.key }))
        .json()
        .data.map((u: { id: string }) => u.id),
    ).not.toContain(s.id);
    const reader = (await createKey(ctx, A.id, ['students:read'])).key;
    expect((await call(ctx.app, 'GET', `/api/v1/students/${s.id}`, { key: reader })).statusCode).toBe(200);
    expect((await post('/api/v1/students', { name: 'n', email: 'n@example.com' }, reader)).statusCode).toBe(403);
  });
});

describe('enrollments', () => {
  it('enrols a student in a published course once; lists, gets and deletes', async () => {
    const course = await publishedCourse();
    const student = (await post('/api/v1/students', { name: 'Learner', email: 'learner1@example.com' })).json();
    const res = await post('/api/v1/enrollments', { studentId: student.id, courseId: course });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ object: 'enrollment', studentId: student.id, courseId: course });
    const again = await post('/api/v1/enrollments', { studentId: student.id, courseId: course });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe('already_enrolled');
    const list = (await call(ctx.app, 'GET', `/api/v1/enrollments?courseId=${course}`, { key: A.key })).json();
    expect(list.data.map((e: { id: string }) => e.id)).toEqual([res.json().id]);
    expect((await call(ctx.app, 'GET', `/api/v1/enrollments/${res.json().id}`, { key: A.key })).json().studentId).toBe(
      student.id,
    );
    expect((await call(ctx.app, 'GET', `/api/v1/enrollments/${res.json().id}`, { key: B.key })).statusCode).toBe(404);
    expect((await call(ctx.app, 'DELETE', `/api/v1/enrollments/${res.json().id}`, { key: B.key })).statusCode).toBe(
      404,
    );
    expect((await call(ctx.app, 'DELETE', `/api/v1/enrollments/${res.json().id}`, { key: A.key })).statusCode).toBe(
      204,
    );
  });

  it('refuses drafts, other schools, unknown students and non-students', async () => {
    const draft = (await post('/api/v1/courses', { title: 'Draft' })).json().id;
    const student = (await post('/api/v1/students', { name: 'L', email: 'learner2@example.com' })).json();
    const teacher = (await post('/api/v1/users', { name: 'T', email: 't2@example.com', role: 'instructor' })).json();
    const foreignCourse = await publishedCourse(B.key);
    const course = await publishedCourse();
    const cases: [unknown, number, string][] = [
      [{ studentId: student.id, courseId: draft }, 409, 'courseId'],
      [{ studentId: student.id, courseId: foreignCourse }, 400, 'courseId'],
      [{ studentId: 'usr_nobody', courseId: course }, 400, 'studentId'],
      [{ studentId: teacher.id, courseId: course }, 400, 'studentId'],
      [{ studentId: student.id }, 400, 'courseId'],
    ];
    for (const [body, status, path] of cases) {
      const res = await post('/api/v1/enrollments', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json().details[0].path).toBe(path);
    }
  });

  it('20 concurrent enrolments of one pair: one 201, nineteen 409', async () => {
    const base = await listen(ctx.app);
    const course = await publishedCourse();
    const student = (await post('/api/v1/students', { name: 'Racer', email: 'racer@example.com' })).json();
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${base}/api/v1/enrollments`, {
          method: 'POST',
          headers: { authorization: `Bearer ${A.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ studentId: student.id, courseId: course }),
        }).then((r) => r.status),
      ),
    );
    expect(tally(statuses)).toEqual({ 201: 1, 409: 19 });
  });

  it('bulk: by id or email, existing pairs reported as exists, bad items do not stop the others', async () => {
    const course = await publishedCourse();
    const s1 = (await post('/api/v1/students', { name: 'B1', email: 'bulk1@example.com' })).json();
    const s2 = (await post('/api/v1/students', { name: 'B2', email: 'Bulk2@example.com' })).json();
    await post('/api/v1/enrollments', { studentId: s1.id, courseId: course });
    const res = await post('/api/v1/enrollments/bulk', {
      enrollments: [
        { studentId: s1.id, courseId: course },
        { email: 'bulk2@example.com', courseId: course },
        { email: 'nobody@example.com', courseId: course },
        { studentId: s2.id, courseId: 'crs_nope' },
        { studentId: s2.id, courseId: course },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().results.map((r: { index: number; status: string }) => [r.index, r.status])).toEqual([
      [0, 'exists'],
      [1, 'created'],
      [2, 'failed'],
      [3, 'failed'],
      [4, 'exists'],
    ]);
    const bad = await post('/api/v1/enrollments/bulk', { enrollments: [{ courseId: course }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details[0].path).toBe('enrollments.0');
    expect(
      (
        await post('/api/v1/enrollments/bulk', {
          enrollments: Array(1001).fill({ studentId: s1.id, courseId: course }),
        })
      ).statusCode,
    ).toBe(400);
  });

  it('a course with learners is deleted only with ?force=true (with its enrollments); deleting a student removes theirs', async () => {
    const course = await publishedCourse();
    const student = (await post('/api/v1/students', { name: 'Stay', email: 'stay@example.com' })).json();
    await post('/api/v1/enrollments', { studentId: student.id, courseId: course });
    const refused = await call(ctx.app, 'DELETE', `/api/v1/courses/${course}`, { key: A.key });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toBe('has_enrollments');
    expect((await call(ctx.app, 'DELETE', `/api/v1/courses/${course}?force=true`, { key: A.key })).statusCode).toBe(
      204,
    );
    expect(await ctx.database.db.select().from(enrollments).where(eq(enrollments.courseId, course))).toHaveLength(0);

    const other = await publishedCourse();
    await post('/api/v1/enrollments', { studentId: student.id, courseId: other });
    await call(ctx.app, 'DELETE', `/api/v1/students/${student.id}`, { key: A.key });
    expect(await ctx.database.db.select().from(enrollments).where(eq(enrollments.studentId, student.id))).toHaveLength(
      0,
    );
  });
});

describe('who may create admins', () => {
  it("a students:write key creates students, instructors and bots, but not admins; the owner's session may", async () => {
    const writer = (await createKey(ctx, A.id, ['students:write'])).key;
    expect(
      (await post('/api/v1/users', { name: 'Bot', email: 'bot1@example.com', role: 'bot' }, writer)).statusCode,
    ).toBe(201);
    const admin = await post(
      '/api/v1/users',
      { name: 'Eve', email: 'eve@example.com', role: 'admin', password: 'longpassword' },
      writer,
    );
    expect(admin.statusCode).toBe(403);
    expect(admin.json()).toMatchObject({ error: 'forbidden', details: [{ path: 'role' }] });
    const student = (await post('/api/v1/students', { name: 'Mallory', email: 'mallory@example.com' }, writer)).json();
    const promote = await call(ctx.app, 'PATCH', `/api/v1/users/${student.id}`, {
      key: writer,
      body: { role: 'admin', password: 'longpassword' },
    });
    expect(promote.statusCode).toBe(403);
    // Since issue 11 an admin is created with the owner's session, never with a key (even '*').
    const ownerLogin = await call(ctx.app, 'POST', '/api/v1/auth/login', {
      body: { email: A.ownerEmail, password: A.password },
    });
    const ownerCookie = `syllabus_session=${ownerLogin.cookies.find((c) => c.name === 'syllabus_session')!.value}`;
    const real = (
      await call(ctx.app, 'POST', '/api/v1/users', {
        headers: { cookie: ownerCookie },
        body: { name: 'Real admin', email: 'real-admin@example.com', role: 'admin' },
      })
    ).json();
    expect(real.role).toBe('admin');
    expect(
      (await call(ctx.app, 'PATCH', `/api/v1/users/${real.id}`, { key: writer, body: { password: 'takeover123' } }))
        .statusCode,
    ).toBe(403);
    expect((await call(ctx.app, 'DELETE', `/api/v1/users/${real.id}`, { key: writer })).statusCode).toBe(403);
    const owner = (await call(ctx.app, 'GET', '/api/v1/users?role=owner', { key: A.key })).json().data[0];
    expect(
      (await call(ctx.app, 'PATCH', `/api/v1/users/${owner.id}`, { key: writer, body: { name: 'x' } })).statusCode,
    ).toBe(403);
    const login = await call(ctx.app, 'POST', '/api/v1/auth/login', {
      body: { email: 'eve@example.com', password: 'longpassword' },
    });
    expect(login.statusCode).toBe(401);
  });
});

describe('more student rules', () => {
  it('duplicate externalId and a PATCH to a taken email are 409', async () => {
    await post('/api/v1/students', { name: 'E1', email: 'ext1@example.com', externalId: 'SIS-1' });
    const dupExt = await post('/api/v1/students', { name: 'E2', email: 'ext2@example.com', externalId: 'SIS-1' });
    expect(dupExt.statusCode).toBe(409);
    expect(dupExt.json().error).toBe('duplicate_external_id');
    const other = (await post('/api/v1/students', { name: 'E3', email: 'ext3@example.com' })).json();
    const dupEmail = await call(ctx.app, 'PATCH', `/api/v1/students/${other.id}`, {
      key: A.key,
      body: { email: 'EXT1@example.com' },
    });
    expect(dupEmail.statusCode).toBe(409);
    expect(dupEmail.json().error).toBe('duplicate_email');
  });

  it('bulk by email only finds students of the key’s school', async () => {
    const course = await publishedCourse();
    await post('/api/v1/students', { name: 'Only in B', email: 'only-b@example.com' }, B.key);
    const res = await post('/api/v1/enrollments/bulk', {
      enrollments: [{ email: 'only-b@example.com', courseId: course }],
    });
    expect(res.json().results[0]).toMatchObject({ status: 'failed' });
  });
});
