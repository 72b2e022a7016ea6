import { count } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { categories } from '../src/db/schema/index.js';
import { call, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp({
  env: { BODY_LIMIT_BYTES: '2048' },
  routes: (app) => {
    // A route that fails unexpectedly, to prove a 500 leaks nothing.
    app.get('/api/v1/test-boom', { config: { auth: 'none' } }, async () => {
      throw new Error('SELECT secret FROM users -- at db.ts:42');
    });
  },
});
const school = await createSchool(ctx);
const key = school.key;

function expectErrorShape(body: Record<string, unknown>, code: string) {
  expect(body.error).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(body.requestId).toMatch(/^req_/);
  expect(Object.keys(body).every((k) => ['error', 'message', 'details', 'requestId'].includes(k))).toBe(true);
}

describe('one error shape for everything', () => {
  it('unknown route → 404 not_found', async () => {
    const res = await call(ctx.app, 'GET', '/api/v1/nope', { key });
    expect(res.statusCode).toBe(404);
    expectErrorShape(res.json(), 'not_found');
    expect((await call(ctx.app, 'GET', '/totally/else')).statusCode).toBe(404);
  });

  it('known path, wrong method → 405 with Allow', async () => {
    const res = await call(ctx.app, 'PUT', '/api/v1/categories', { key, body: {} });
    expect(res.statusCode).toBe(405);
    expectErrorShape(res.json(), 'method_not_allowed');
    expect(res.headers.allow).toContain('GET');
    expect(res.headers.allow).toContain('POST');
    const one = await call(ctx.app, 'POST', '/api/v1/categories/cat_123', { key, body: {} });
    expect(one.statusCode).toBe(405);
    expect(one.headers.allow).toMatch(/DELETE.*GET.*PATCH/);
  });

  it('bad JSON → 400 invalid_json', async () => {
    const res = await call(ctx.app, 'POST', '/api/v1/categories', {
      key,
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(res.statusCode).toBe(400);
    expectErrorShape(res.json(), 'invalid_json');
  });

  it('body over BODY_LIMIT_BYTES → 413 payload_too_large', async () => {
    const res = await call(ctx.app, 'POST', '/api/v1/categories', { key, body: { name: 'x'.repeat(4000) } });
    expect(res.statusCode).toBe(413);
    expectErrorShape(res.json(), 'payload_too_large');
  });

  it('a body that is not JSON → 415 unsupported_media_type', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await call(ctx.app, 'POST', '/api/v1/categories', {
        key,
        headers: { 'content-type': type },
        body: 'name=x',
      });
      expect(res.statusCode).toBe(415);
      expectErrorShape(res.json(), 'unsupported_media_type');
    }
  });

  it('validation → 400 with one detail per problem and paths from the body root', async () => {
    const res = await call(ctx.app, 'POST', '/api/v1/categories', { key, body: { order: -1, icon: 5 } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expectErrorShape(body, 'validation_error');
    expect(body.message).toBe("Field 'name' is required (and 2 more problems).");
    expect(body.details.map((d: { path: string }) => d.path).sort()).toEqual(['icon', 'name', 'order']);
    expect(body.details.find((d: { path: string }) => d.path === 'name')).toMatchObject({
      message: 'Required',
      code: 'invalid_type',
    });
  });

  it('unknown and ownership fields → 400 naming them, and nothing is written', async () => {
    const before = (await ctx.database.db.select({ n: count() }).from(categories))[0]!.n;
    for (const field of ['schoolId', 'creatorId', 'ownerId', 'colour']) {
      const res = await call(ctx.app, 'POST', '/api/v1/categories', { key, body: { name: 'Sneaky', [field]: 'x' } });
      expect(res.statusCode).toBe(400);
      expect(res.json().details).toEqual([
        { path: field, message: `Unknown field '${field}'.`, code: 'unknown_field' },
      ]);
      expect(res.json().message).toContain(field);
    }
    expect((await ctx.database.db.select({ n: count() }).from(categories))[0]!.n).toBe(before);
  });

  it('unknown query parameters → 400', async () => {
    const res = await call(ctx.app, 'GET', '/api/v1/categories?limt=5', { key });
    expect(res.statusCode).toBe(400);
    expect(res.json().details[0].path).toBe('limt');
  });

  it('unexpected errors → 500 internal_error without stack or SQL', async () => {
    const res = await call(ctx.app, 'GET', '/api/v1/test-boom');
    expect(res.statusCode).toBe(500);
    expectErrorShape(res.json(), 'internal_error');
    expect(res.body).not.toMatch(/SELECT|secret|db\.ts|at /);
  });

  it('every response has x-request-id; a sane incoming one is kept', async () => {
    const res = await call(ctx.app, 'GET', '/api/v1/health');
    expect(res.headers['x-request-id']).toMatch(/^req_/);
    const given = await call(ctx.app, 'GET', '/api/v1/nope', { headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers['x-request-id']).toBe('trace-123');
    expect(given.json().requestId).toBe('trace-123');
    const evil = await call(ctx.app, 'GET', '/api/v1/health', { headers: { 'x-request-id': 'a b\n<script>' } });
    expect(evil.headers['x-request-id']).toMatch(/^req_/);
  });

  it('authenticated answers carry Cache-Control: private, no-store; the public health does not', async () => {
    expect((await call(ctx.app, 'GET', '/api/v1/categories', { key })).headers['cache-control']).toBe(
      'private, no-store',
    );
    expect((await call(ctx.app, 'GET', '/api/v1/health')).headers['cache-control']).toBeUndefined();
  });

  it('malformed URLs and over-long ids still get the error shape', async () => {
    const bad = await call(ctx.app, 'GET', '/api/v1/categories/%E0%A4%A', { key });
    expect(bad.statusCode).toBe(400);
    expectErrorShape(bad.json(), 'validation_error');
    expect(bad.headers['x-request-id']).toMatch(/^req_/);
    const long = await call(ctx.app, 'GET', `/api/v1/categories/cat_${'x'.repeat(300)}`, { key });
    expect(long.statusCode).toBe(404);
    expectErrorShape(long.json(), 'not_found');
  });

  it('a value PostgreSQL cannot store (NUL) is a 400, not a 500', async () => {
    const res = await call(ctx.app, 'POST', '/api/v1/categories', { key, body: { name: 'a\u0000b' } });
    expect(res.statusCode).toBe(400);
    expectErrorShape(res.json(), 'validation_error');
  });

  it('an empty POST body says the body is required', async () => {
    const res = await call(ctx.app, 'POST', '/api/v1/categories', {
      key,
      headers: { 'content-type': 'application/json' },
      body: '',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('The request body is required.');
  });

  it('forged cursors are 400 invalid_cursor', async () => {
    const forge = (v: unknown, s: string) => Buffer.from(JSON.stringify({ s, v, id: 'cat_x' })).toString('base64url');
    for (const [sort, cursor] of [
      ['order', forge('x', 'order')],
      ['createdAt', forge('zz', 'createdAt')],
      ['name', forge(5, 'name')],
    ]) {
      const res = await call(ctx.app, 'GET', `/api/v1/categories?sort=${sort}&cursor=${cursor}`, { key });
      expect(res.statusCode, sort).toBe(400);
      expect(res.json().error).toBe('invalid_cursor');
    }
  });

  it('health reports the database', async () => {
    const res = await call(ctx.app, 'GET', '/api/v1/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', database: 'ok' });
  });
});
