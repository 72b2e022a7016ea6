/** Issues real certificates over HTTP (course → student → enrollment → every lesson complete). */
import { expect } from 'vitest';
import { call, type TestContext } from './helpers.js';

export type Issued = {
  certificate: {
    id: string;
    code: string;
    verifyUrl: string;
    studentId: string;
    courseId: string;
    issuedAt: string;
    revokedAt: string | null;
    revocationReason: string | null;
  };
  student: { id: string; name: string; email: string };
  course: { id: string; title: string };
  enrollment: { id: string };
};

let n = 0;
export async function issueCertificate(
  ctx: TestContext,
  key: string,
  opts: { studentName?: string; courseTitle?: string; shortDescription?: string } = {},
): Promise<Issued> {
  n++;
  const post = (url: string, body: unknown) => call(ctx.app, 'POST', url, { key, body });
  const course = await post('/api/v1/courses', {
    title: opts.courseTitle ?? `Course ${n} ${Math.random().toString(36).slice(2, 6)}`,
    ...(opts.shortDescription ? { shortDescription: opts.shortDescription } : {}),
    isFree: true,
    status: 'published',
    sections: [{ title: 'S1', lessons: [{ title: 'Only lesson' }] }],
  });
  expect(course.statusCode).toBe(201);
  const c = course.json();
  const student = await post('/api/v1/students', {
    name: opts.studentName ?? `Learner ${n}`,
    email: `learner${n}-${Math.random().toString(36).slice(2, 8)}@example.com`,
  });
  expect(student.statusCode).toBe(201);
  const s = student.json();
  const enrollment = (await post('/api/v1/enrollments', { studentId: s.id, courseId: c.id })).json();
  const lessonId = c.sections[0].lessons[0].id;
  const done = await call(ctx.app, 'PATCH', `/api/v1/enrollments/${enrollment.id}`, {
    key,
    body: { lessonId, completed: true },
  });
  expect(done.statusCode).toBe(200);
  const list = await call(ctx.app, 'GET', `/api/v1/certificates?studentId=${s.id}&courseId=${c.id}`, { key });
  expect(list.json().data).toHaveLength(1);
  return { certificate: list.json().data[0], student: s, course: c, enrollment };
}

/** The path (under the app) of an absolute URL the API answered. */
export const pathOf = (url: string) => new URL(url).pathname;
