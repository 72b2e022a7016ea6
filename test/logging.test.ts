import { describe, expect, it } from 'vitest';
import { call, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp({ captureLogs: true });

describe('logs', () => {
  it('one JSON line per request with request id, school, route, status and duration; secrets redacted', async () => {
    const s = await createSchool(ctx);
    await call(ctx.app, 'GET', '/api/v1/categories', {
      key: s.key,
      headers: { cookie: 'syllabus_session=secret-cookie' },
    });
    await call(ctx.app, 'POST', '/api/v1/auth/login', { body: { email: s.ownerEmail, password: s.password } });
    await call(ctx.app, 'GET', '/api/v1/categories', { headers: { 'x-api-key': s.key } });
    const lines = ctx.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const list = lines.find((l) => l.route === '/api/v1/categories' && l.status === 200);
    expect(list).toMatchObject({
      msg: 'request',
      reqId: expect.stringMatching(/^req_/),
      schoolId: s.id,
      method: 'GET',
      status: 200,
    });
    expect(typeof list!.durationMs).toBe('number');
    const all = ctx.logs.join('\n');
    expect(all).not.toContain(s.key);
    expect(all).not.toContain(s.key.slice(4, 20));
    expect(all).not.toContain(s.password);
    expect(all).not.toContain('secret-cookie');
  });
});
