/**
 * Scope boundaries (issue 11): a scope never reaches data or deletions of another area.
 * The attack is the test: the request that worked before now gets 403 and the state is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { call, createKey, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);

async function courseWithLearner() {
  const course = await call(ctx.app, 'POST', '/api/v1/courses', {
    key: A.key,
    body: {
      title: `Course ${Math.random()}`,
      isFree: true,
      status: 'published',
      sections: [{ title: 'S', lessons: [{ title: 'L' }] }],
    },
  });
  const student = await call(ctx.app, 'POST', '/api/v1/students', {
    key: A.key,
    body: { name: 'Learner', email: `l${Math.random()}@example.com` },
  });
  const enrollment = await call(ctx.app, 'POST', '/api/v1/enrollments', {
    key: A.key,
    body: { studentId: student.json().id, courseId: course.json().id },
  });
  expect(enrollment.statusCode).toBe(201);
  return { courseId: course.json().id as string, enrollmentId: enrollment.json().id as string };
}

describe('DELETE /courses/{id}?force=true', () => {
  it('needs enrollments:write besides courses:write: it deletes learners’ enrollments and progress', async () => {
    const { courseId, enrollmentId } = await courseWithLearner();
    const catalogue = (await createKey(ctx, A.id, ['courses:write'])).key;
    const refused = await call(ctx.app, 'DELETE', `/api/v1/courses/${courseId}?force=true`, { key: catalogue });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: 'forbidden', details: [{ path: 'scope', code: 'missing_scope' }] });
    expect(refused.json().message).toContain('enrollments:write');
    expect((await call(ctx.app, 'GET', `/api/v1/courses/${courseId}`, { key: A.key })).statusCode).toBe(200);
    expect((await call(ctx.app, 'GET', `/api/v1/enrollments/${enrollmentId}`, { key: A.key })).statusCode).toBe(200);

    const both = (await createKey(ctx, A.id, ['courses:write', 'enrollments:write'])).key;
    expect((await call(ctx.app, 'DELETE', `/api/v1/courses/${courseId}?force=true`, { key: both })).statusCode).toBe(
      204,
    );
    expect((await call(ctx.app, 'GET', `/api/v1/enrollments/${enrollmentId}`, { key: A.key })).statusCode).toBe(404);
  });

  it('without force, courses:write alone still deletes a course nobody is enrolled in', async () => {
    const course = await call(ctx.app, 'POST', '/api/v1/courses', { key: A.key, body: { title: 'Empty' } });
    const catalogue = (await createKey(ctx, A.id, ['courses:write'])).key;
    expect((await call(ctx.app, 'DELETE', `/api/v1/courses/${course.json().id}`, { key: catalogue })).statusCode).toBe(
      204,
    );
  });
});
