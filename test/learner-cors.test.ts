/**
 * CORS for the learner routes (API.md §2 Learners): browsers on the origins in CORS_ORIGINS may call
 * /me… (preflight included, Authorization allowed); no other route and no other origin gets CORS
 * headers; learner tokens are bearer tokens, so the session cookie's cross-site check does not
 * stop them.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { call, createSchool, setupApp } from './helpers.js';

const APP = 'https://app.example.com';
const DEV = 'http://localhost:5173';
const EVIL = 'https://evil.example.net';

const ctx = await setupApp({ env: { CORS_ORIGINS: ` ${APP}, ${DEV} ` } });
const A = await createSchool(ctx);
const sid = (
  await call(ctx.app, 'POST', '/api/v1/students', { key: A.key, body: { name: 'Jane', email: 'jane@example.com' } })
).json().id as string;
const token = (await call(ctx.app, 'POST', `/api/v1/students/${sid}/tokens`, { key: A.key, body: {} })).json()
  .token as string;

const preflight = (url: string, origin: string, method = 'GET', headers = 'authorization') =>
  ctx.app.inject({
    method: 'OPTIONS',
    url,
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
  });

describe('preflight', () => {
  it('answers /me… preflights from a configured origin, allowing Authorization', async () => {
    for (const [url, method, origin] of [
      ['/api/v1/me', 'PATCH', APP],
      ['/api/v1/me/enrollments', 'POST', DEV],
      ['/api/v1/me/courses/crs_1/lessons/les_1/progress', 'POST', APP],
      ['/api/v1/me/certificates/crt_1/pdf', 'GET', APP],
    ] as const) {
      const res = await preflight(url, origin, method, 'authorization, content-type');
      expect([url, res.statusCode]).toEqual([url, 204]);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(String(res.headers['access-control-allow-methods'])).toContain(method);
      expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization');
      expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toContain('content-type');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(String(res.headers.vary)).toContain('Origin');
    }
  });

  it('gives no CORS answer to another origin, or to any route outside /me', async () => {
    for (const [url, origin] of [
      ['/api/v1/me', EVIL],
      ['/api/v1/me', `${APP}.evil.example.net`],
      ['/api/v1/me', 'http://app.example.com'],
      ['/api/v1/courses', APP],
      ['/api/v1/students', APP],
      ['/api/v1/mesh', APP],
      ['/mcp', APP],
    ] as const) {
      const res = await preflight(url, origin);
      expect([url, origin, res.headers['access-control-allow-origin']]).toEqual([url, origin, undefined]);
      expect(res.headers['access-control-allow-headers']).toBeUndefined();
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
    }
  });
});

describe('requests', () => {
  it('a /me request from a configured origin gets Access-Control-Allow-Origin and readable rate-limit headers', async () => {
    const res = await call(ctx.app, 'GET', '/api/v1/me', { key: token, headers: { origin: APP } });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(sid);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(String(res.headers['access-control-expose-headers'])).toContain('RateLimit-Remaining');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('an error on /me (401) is readable by the app too', async () => {
    const res = await call(ctx.app, 'GET', '/api/v1/me', { key: 'slt_bad', headers: { origin: APP } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
  });

  it('other origins and other routes get no CORS headers', async () => {
    const evil = await call(ctx.app, 'GET', '/api/v1/me', { key: token, headers: { origin: EVIL } });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const courses = await call(ctx.app, 'GET', '/api/v1/courses', { key: A.key, headers: { origin: APP } });
    expect(courses.statusCode).toBe(200);
    expect(courses.headers['access-control-allow-origin']).toBeUndefined();
    expect(courses.headers['access-control-expose-headers']).toBeUndefined();
  });

  it('a cross-site POST with a learner token is not refused as cross_site (bearer, not cookie); a cookie one still is', async () => {
    const c = (
      await call(ctx.app, 'POST', '/api/v1/courses', {
        key: A.key,
        body: {
          title: 'Free',
          isFree: true,
          status: 'published',
          sections: [{ title: 'S', lessons: [{ title: 'L' }] }],
        },
      })
    ).json();
    for (const origin of [APP, EVIL]) {
      const res = await call(ctx.app, 'PATCH', '/api/v1/me', {
        key: token,
        headers: { origin },
        body: { bio: origin },
      });
      expect([origin, res.statusCode]).toEqual([origin, 200]);
    }
    const enrol = await call(ctx.app, 'POST', '/api/v1/me/enrollments', {
      key: token,
      headers: { origin: APP },
      body: { courseId: c.id },
    });
    expect(enrol.statusCode).toBe(201);
    expect(enrol.headers['access-control-allow-origin']).toBe(APP);

    const login = await call(ctx.app, 'POST', '/api/v1/auth/login', {
      body: { email: A.ownerEmail, password: A.password },
    });
    const cookie = `syllabus_session=${login.cookies.find((k) => k.name === 'syllabus_session')!.value}`;
    const forged = await call(ctx.app, 'POST', '/api/v1/categories', {
      headers: { cookie, origin: APP },
      body: { name: 'Nope' },
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().details[0].code).toBe('cross_site');
  });
});

describe('configuration', () => {
  it('none by default: no route answers CORS', async () => {
    const plain = await setupApp();
    const res = await plain.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/me',
      headers: { origin: APP, 'access-control-request-method': 'GET' },
    });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.statusCode).toBe(405);
    expect(loadConfig({}).corsOrigins).toEqual([]);
  });

  it('parses a comma-separated list and refuses anything that is not an exact origin', () => {
    expect(loadConfig({ CORS_ORIGINS: `${APP},${DEV}` }).corsOrigins).toEqual([APP, DEV]);
    for (const bad of [
      'https://app.example.com/',
      'https://app.example.com/path',
      'ftp://x.example.com',
      'app.example.com',
      '*',
    ]) {
      expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS/);
    }
  });
});
