/**
 * The typed SDK (issue 12): the example runs against a real server, and the client's retries keep
 * one Idempotency-Key, honour Retry-After and give up after its budget.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { quickstart } from '../examples/sdk-quickstart.js';
import { createSyllabusClient } from '../sdk/client.js';
import { call, createSchool, listen, setupApp } from './helpers.js';

describe('SDK against the server', async () => {
  const ctx = await setupApp();
  const school = await createSchool(ctx);
  const base = await listen(ctx.app);

  it('the quickstart creates a course, adds a lesson, publishes and reads it back', async () => {
    const course = await quickstart(base, school.key);
    expect(course).toMatchObject({ title: 'Rust in a weekend', status: 'published' });
    expect(course?.unsectionedLessons?.[0]?.title).toBe('Ownership');
    const stored = await call(ctx.app, 'GET', `/api/v1/courses/${course?.id}`, { key: school.key });
    expect(stored.json().status).toBe('published');
  });

  it('errors come back typed, with the REST error object', async () => {
    const api = createSyllabusClient({ baseUrl: base, apiKey: school.key });
    const { data, error, response } = await api.POST('/api/v1/courses', { body: { title: '' } });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(error?.error).toBe('validation_error');
    expect(error?.details?.[0]?.path).toBe('title');
  });
});

describe('SDK retries', () => {
  const seen: { method: string; key: string | undefined; auth: string | undefined }[] = [];
  let answers: { status: number; headers?: Record<string, string> }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, key: req.headers['idempotency-key'] as string, auth: req.headers.authorization });
    req.resume();
    const next = answers.shift() ?? { status: 201 };
    res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
    res.end(
      next.status < 400
        ? '{"object":"category","id":"cat_1"}'
        : '{"error":"rate_limited","message":"slow down","requestId":"r"}',
    );
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const start = async () => {
    if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it('a POST retried after 429 and 503 keeps its Idempotency-Key and waits Retry-After', async () => {
    const api = createSyllabusClient({ baseUrl: await start(), apiKey: 'syl_test' });
    seen.length = 0;
    answers = [
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 503, headers: { 'retry-after': '0' } },
    ];
    const started = Date.now();
    const { data, response } = await api.POST('/api/v1/categories', { body: { name: 'Retried' } });
    expect(response.status).toBe(201);
    expect(data?.id).toBe('cat_1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.key)).size).toBe(1);
    expect(seen[0]!.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.every((s) => s.auth === 'Bearer syl_test')).toBe(true);
  });

  it('gives up after its retry budget and returns the last answer; GETs carry no Idempotency-Key', async () => {
    const api = createSyllabusClient({ baseUrl: await start(), apiKey: 'syl_test', retries: 1 });
    seen.length = 0;
    answers = [
      { status: 429, headers: { 'retry-after': '0' } },
      { status: 429, headers: { 'retry-after': '0' } },
      { status: 429, headers: { 'retry-after': '0' } },
    ];
    const { error, response } = await api.GET('/api/v1/categories', {});
    expect(response.status).toBe(429);
    expect(error?.error).toBe('rate_limited');
    expect(seen).toHaveLength(2);
    expect(seen[0]!.key).toBeUndefined();
  });
});
