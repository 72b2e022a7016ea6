import net from 'node:net';
import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { courses, idempotencyKeys, lessons, sections } from '../src/db/schema/index.js';
import { RICH_TEXT_MAX_BYTES } from '../src/lib/richtext.js';
import { call, createSchool, listen, setupApp } from './helpers.js';

/** Calls of the test route that has no body schema: a refused body must never reach it. */
let echoCalls = 0;
const ctx = await setupApp({
  routes: (app) => {
    app.post('/api/v1/test-echo', { schema: { hide: true }, config: { scopes: ['courses:write'] } }, async (req) => {
      echoCalls++;
      return { received: req.body !== undefined };
    });
  },
});
const A = await createSchool(ctx);

/** `{"d":{"d":…{"d":1}…}}`, an object nested `depth` levels (a top-level object is level 1). */
function nestedObjects(depth: number): string {
  return `${'{"d":'.repeat(depth)}1${'}'.repeat(depth)}`;
}
/** A course body whose customFields value takes the body to `depth` levels in total. */
function deepCourse(depth: number, title = 'Deep'): string {
  // body (1) → customFields (2) → the value: depth - 2 more levels.
  return `{"title":"${title}","customFields":{"x":${'['.repeat(depth - 2)}1${']'.repeat(depth - 2)}}}`;
}
const post = (url: string, payload: string, headers: Record<string, string> = {}) =>
  ctx.app.inject({
    method: 'POST',
    url,
    payload,
    headers: { authorization: `Bearer ${A.key}`, 'content-type': 'application/json', ...headers },
  });
const countWhere = async (table: typeof courses | typeof sections | typeof lessons) =>
  (await ctx.database.db.select({ n: count() }).from(table).where(eq(table.schoolId, A.id)))[0]!.n;
const storedKeys = async (key: string) =>
  ctx.database.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));

function expectTooDeep(res: { statusCode: number; json(): unknown }) {
  expect(res.statusCode).toBe(400);
  expect(res.json()).toMatchObject({
    error: 'validation_error',
    message: 'The request body is nested more than 64 levels deep.',
    details: [{ path: '', code: 'too_deep' }],
  });
}

describe('JSON body depth (at most 64 levels)', () => {
  it('accepts 63 and 64 levels and refuses 65, on a route with an open object (customFields)', async () => {
    for (const depth of [63, 64]) {
      const ok = await post('/api/v1/courses', deepCourse(depth, `Depth ${depth}`));
      expect(ok.statusCode, `depth ${depth}`).toBe(201);
      expect(ok.json().title).toBe(`Depth ${depth}`);
    }
    const before = await countWhere(courses);
    expectTooDeep(await post('/api/v1/courses', deepCourse(65)));
    expect(await countWhere(courses)).toBe(before);
  });

  it('refuses a 10,000-deep body with and without Idempotency-Key (it used to answer 500), storing no key', async () => {
    const deep = deepCourse(10_000);
    const before = await countWhere(courses);
    expectTooDeep(await post('/api/v1/courses', deep));
    expectTooDeep(await post('/api/v1/courses', deep, { 'idempotency-key': 'deep-1' }));
    expect(await storedKeys('deep-1')).toEqual([]);
    expect(await countWhere(courses)).toBe(before);
    // The key is still free: a sound request with it runs.
    const sound = await post('/api/v1/courses', deepCourse(64, 'After deep'), { 'idempotency-key': 'deep-1' });
    expect(sound.statusCode).toBe(201);
  });

  it('is checked before body validation: a strict schema reports too_deep, not the unknown field', async () => {
    const body = `{"name":"Deep category","extra":${nestedObjects(64)}}`;
    expectTooDeep(await post('/api/v1/categories', body));
    expectTooDeep(await post('/api/v1/categories', body, { 'idempotency-key': 'deep-cat' }));
    const shallow = await post('/api/v1/categories', `{"name":"Shallow","extra":${nestedObjects(2)}}`);
    expect(shallow.statusCode).toBe(400);
    expect(shallow.json().details[0]).toMatchObject({ path: 'extra', code: 'unknown_field' });
  });

  it('is checked before any handler: a route without a body schema never sees the body', async () => {
    echoCalls = 0;
    expectTooDeep(await post('/api/v1/test-echo', nestedObjects(65)));
    expectTooDeep(await post('/api/v1/test-echo', `[${nestedObjects(100_000)}]`, { 'idempotency-key': 'echo-1' }));
    expect(echoCalls).toBe(0);
    const ok = await post('/api/v1/test-echo', nestedObjects(64), { 'idempotency-key': 'echo-2' });
    expect(ok.statusCode).toBe(200);
    expect(echoCalls).toBe(1);
  });

  it('counts only brackets outside strings (escaped quotes included)', async () => {
    const title = `${'[{'.repeat(50)} \\" ${'{'.repeat(100)}`;
    const res = await post('/api/v1/courses', `{"title":"${title}"}`);
    expect(res.statusCode).toBe(201);
    expect(res.json().title).toBe(`${'[{'.repeat(50)} " ${'{'.repeat(100)}`);
  });
});

describe('Idempotency-Key fingerprint', () => {
  it('is the body as sent: the same bytes replay, another body with the key is 422', async () => {
    const headers = { 'idempotency-key': 'bytes-1' };
    const body = deepCourse(64, 'Fingerprint');
    const first = await post('/api/v1/courses', body, headers);
    expect(first.statusCode).toBe(201);
    const retry = await post('/api/v1/courses', body, headers);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(first.json().id);
    const other = await post('/api/v1/courses', deepCourse(63, 'Fingerprint'), headers);
    expect(other.statusCode).toBe(422);
    expect(other.json().error).toBe('idempotency_key_reused');
    const [stored] = await storedKeys('bytes-1');
    expect(stored?.responseStatus).toBe(201);
  });

  it('includes the query string and the route', async () => {
    const headers = { 'idempotency-key': 'route-1' };
    expect((await post('/api/v1/test-echo', '{"a":1}', headers)).statusCode).toBe(200);
    expect((await post('/api/v1/test-echo?x=1', '{"a":1}', headers)).statusCode).toBe(422);
  });
});

const lesson = { title: 'A lesson', content: 'a' };
const sectionsOf = (n: number, lessonsEach: number) =>
  Array.from({ length: n }, (_, i) => ({ title: `S${i}`, lessons: Array.from({ length: lessonsEach }, () => lesson) }));

describe('nested course creation limits (200 sections, 1,000 lessons)', () => {
  it('refuses 200 sections × 500 lessons (a 3 MB body) in under a second, before anything is converted', async () => {
    const payload = JSON.stringify({ title: 'Huge', sections: sectionsOf(200, 500) });
    expect(payload.length).toBeGreaterThan(3_000_000);
    const before = await countWhere(courses);
    const started = performance.now();
    const res = await post('/api/v1/courses', payload);
    const elapsed = performance.now() - started;
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: 'validation_error',
      details: [{ path: 'sections', code: 'too_many_items' }],
    });
    expect(res.json().details).toHaveLength(1);
    expect(res.json().details[0].message).toContain('100000');
    expect(elapsed).toBeLessThan(1000);
    expect(await countWhere(courses)).toBe(before);
  });

  it('refuses 201 sections with one detail, without validating any of them', async () => {
    // Every section is invalid (no title): the count alone answers.
    const res = await call(ctx.app, 'POST', '/api/v1/courses', {
      key: A.key,
      body: { title: 'Too many sections', sections: Array.from({ length: 201 }, () => ({ bad: true })) },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toEqual([
      { path: 'sections', code: 'too_many_items', message: 'At most 200 sections per request; this one has 201.' },
    ]);
  });

  it('refuses one section over 1,000 lessons at that section, and 1,001 over all sections at sections', async () => {
    const one = await call(ctx.app, 'POST', '/api/v1/courses', {
      key: A.key,
      body: {
        title: 'Big section',
        sections: [{ title: 'ok' }, { title: 'big', lessons: sectionsOf(1, 1001)[0]!.lessons }],
      },
    });
    expect(one.statusCode).toBe(400);
    expect(one.json().details).toEqual([
      expect.objectContaining({ path: 'sections.1.lessons', code: 'too_many_items' }),
    ]);
    const spread = await call(ctx.app, 'POST', '/api/v1/courses', {
      key: A.key,
      body: { title: 'Spread', sections: [...sectionsOf(7, 143)] },
    });
    expect(spread.statusCode).toBe(400);
    expect(spread.json().details).toEqual([
      {
        path: 'sections',
        code: 'too_many_items',
        message: 'At most 1000 lessons per request over all sections; this one has 1001.',
      },
    ]);
  });

  it('creates exactly 200 sections and 1,000 lessons', async () => {
    const res = await call(ctx.app, 'POST', '/api/v1/courses', {
      key: A.key,
      body: { title: 'At the limit', sections: sectionsOf(200, 5) },
    });
    expect(res.statusCode).toBe(201);
    const id = res.json().id as string;
    const [s] = await ctx.database.db.select({ n: count() }).from(sections).where(eq(sections.courseId, id));
    const [l] = await ctx.database.db.select({ n: count() }).from(lessons).where(eq(lessons.courseId, id));
    expect([s!.n, l!.n]).toEqual([200, 1000]);
  }, 60_000);
});

describe('bulk enrollments limit (1,000)', () => {
  it('refuses 1,001 items with one too_many_items detail, before any item is validated', async () => {
    const res = await call(ctx.app, 'POST', '/api/v1/enrollments/bulk', {
      key: A.key,
      body: { enrollments: Array.from({ length: 1001 }, () => ({ email: 'not an email' })) },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toEqual([
      {
        path: 'enrollments',
        code: 'too_many_items',
        message: 'At most 1000 enrollments per request; this one has 1001.',
      },
    ]);
  });

  it('validates each item of a request within the limit', async () => {
    const res = await call(ctx.app, 'POST', '/api/v1/enrollments/bulk', {
      key: A.key,
      body: { enrollments: Array.from({ length: 1000 }, () => ({ courseId: 'crs_x', email: 'not an email' })) },
    });
    expect(res.statusCode).toBe(400);
    // Every item is validated; the answer lists the first 100 problems and counts the rest.
    const { details } = res.json();
    expect(details).toHaveLength(101);
    expect(details[99]).toMatchObject({ path: 'enrollments.99.email' });
    expect(details[100]).toMatchObject({ code: 'truncated', message: '…and 900 more problems (fix these first).' });
  });
});

describe('rich-text and Markdown fields (200,000 bytes of input)', () => {
  const ascii = (bytes: number) => 'a'.repeat(bytes);

  it('refuses Markdown over the limit with too_large, counted in UTF-8 bytes', async () => {
    const course = (await call(ctx.app, 'POST', '/api/v1/courses', { key: A.key, body: { title: 'Texts' } })).json();
    const url = `/api/v1/courses/${course.id}/sections`;
    const over = await call(ctx.app, 'POST', url, {
      key: A.key,
      body: { title: 'Over', descriptionMarkdown: ascii(RICH_TEXT_MAX_BYTES + 1) },
    });
    expect(over.statusCode).toBe(400);
    expect(over.json().details).toEqual([
      { path: 'descriptionMarkdown', code: 'too_large', message: 'The rich text is larger than 200,000 bytes.' },
    ]);
    // 100,001 characters of two bytes each: fewer characters than the limit, more bytes.
    const wide = await call(ctx.app, 'POST', url, {
      key: A.key,
      body: { title: 'Wide', descriptionMarkdown: 'é'.repeat(RICH_TEXT_MAX_BYTES / 2 + 1) },
    });
    expect(wide.statusCode).toBe(400);
    expect(wide.json().details[0]).toMatchObject({ path: 'descriptionMarkdown', code: 'too_large' });
    const within = await call(ctx.app, 'POST', url, {
      key: A.key,
      body: { title: 'Within', descriptionMarkdown: 'é'.repeat(RICH_TEXT_MAX_BYTES / 2) },
    });
    expect(within.statusCode).toBe(201);
    expect(await countWhere(sections)).toBeGreaterThan(0);
  });

  it('refuses rich-text strings (HTML) over the limit, also nested in a course', async () => {
    const html = `<p>${ascii(RICH_TEXT_MAX_BYTES)}</p>`;
    const lessonRes = await call(ctx.app, 'POST', '/api/v1/courses', {
      key: A.key,
      body: { title: 'Nested text', sections: [{ title: 'S', lessons: [{ title: 'L', content: html }] }] },
    });
    expect(lessonRes.statusCode).toBe(400);
    expect(lessonRes.json().details).toEqual([
      expect.objectContaining({ path: 'sections.0.lessons.0.content', code: 'too_large' }),
    ]);
    const markdown = await call(ctx.app, 'POST', '/api/v1/courses', {
      key: A.key,
      body: {
        title: 'Nested markdown',
        sections: [{ title: 'S', lessons: [{ title: 'L', contentMarkdown: ascii(RICH_TEXT_MAX_BYTES + 1) }] }],
      },
    });
    expect(markdown.json().details).toEqual([
      expect.objectContaining({ path: 'sections.0.lessons.0.contentMarkdown', code: 'too_large' }),
    ]);
    const description = await call(ctx.app, 'POST', '/api/v1/courses', {
      key: A.key,
      body: { title: 'Course text', description: html },
    });
    expect(description.json().details).toEqual([expect.objectContaining({ path: 'description', code: 'too_large' })]);
  });
});

describe('OpenAPI documents every limit', () => {
  it('on the fields of POST /courses and POST /enrollments/bulk', async () => {
    const res = await call(ctx.app, 'GET', '/api/v1/openapi.json');
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    const doc = res.json();
    const body = (path: string) => doc.paths[path].post.requestBody.content['application/json'].schema;
    const course = body('/api/v1/courses');
    expect(course.properties.sections.maxItems).toBe(200);
    expect(course.properties.sections.description).toMatch(/200 sections and 1000 lessons.*too_many_items/);
    expect(course.properties.description.description).toMatch(/200,000 bytes.*10,000 nodes.*too_large/);
    expect(course.properties.descriptionMarkdown.description).toMatch(/200,000 bytes.*too_large/);
    const bulk = body('/api/v1/enrollments/bulk');
    expect(bulk.properties.enrollments.maxItems).toBe(1000);
    expect(bulk.properties.enrollments.description).toMatch(/1000.*too_many_items/);
  });
});

describe('bounded error answers', async () => {
  const app = await setupApp();
  const s = await createSchool(app);

  it('200,000 unknown fields get the first 100 details and a count of the rest, not a 15 MB answer', async () => {
    const body: Record<string, number> = { name: 1 };
    for (let i = 0; i < 200_000; i++) body[`k${i}`] = 1;
    const res = await call(app.app, 'POST', '/api/v1/categories', { key: s.key, body });
    expect(res.statusCode).toBe(400);
    const { details } = res.json();
    expect(details).toHaveLength(101);
    expect(details[100]).toMatchObject({ path: '', code: 'truncated' });
    expect(details[100].message).toContain('more problems');
    expect(res.body.length).toBeLessThan(20_000);
  });
});

describe('errors of the HTTP parser', async () => {
  const app = await setupApp();
  const base = await listen(app.app);

  it('headers over the limit get 431 in the one error shape, and the server keeps serving', async () => {
    const { port } = new URL(base);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(`GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`);
      });
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk;
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ error: 'validation_error', message: 'The request headers are too large.' });
    expect(body.requestId).toMatch(/^req_/);
    expect((await fetch(`${base}/api/v1/health`)).status).toBe(200);
  });
});
