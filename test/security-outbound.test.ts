/**
 * The production SSRF path (issue 11): the real resolver (dns.lookup) and the real connector
 * (net/tls.connect), no injection. Loopback is refused by name and by address; the operator's
 * OUTBOUND_ALLOW_HOSTS opens exactly what it lists. Every connection stays on this machine.
 */
import dns from 'node:dns/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createDb } from '../src/db/client.js';
import { startWorkers } from '../src/jobs/runner.js';
import { AppError } from '../src/lib/errors.js';
import { fetchImage, isPublicAddress } from '../src/lib/safe-fetch.js';
import { createServices } from '../src/services.js';
import {
  call,
  createSchool,
  createTestDatabase,
  PNG,
  settleEventReads,
  type TestContext,
  testConfig,
} from './helpers.js';
import { waitForEvent } from './jobs-helpers.js';

let port = 0;
let hits = 0;
const server = http.createServer((_req, res) => {
  hits++;
  res.writeHead(200, { 'content-type': 'image/png' });
  res.end(PNG);
});
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** The error code of a refused fetch. */
async function refusal(url: string, allowHosts?: string[]): Promise<string | undefined> {
  try {
    await fetchImage(url, 'thumbnailUrl', allowHosts ? { allowHosts, timeoutMs: 3000 } : { timeoutMs: 3000 });
    return undefined;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return err.details?.[0]?.code;
  }
}

describe('real resolver and connector', () => {
  it('refuses loopback by address and by name without connecting', async () => {
    const before = hits;
    expect(await refusal(`http://127.0.0.1:${port}/a.png`)).toBe('url_not_allowed');
    expect(await refusal(`http://localhost:${port}/a.png`)).toBe('url_not_allowed');
    expect(await refusal(`http://[::1]:${port}/a.png`)).toBe('url_not_allowed');
    // A name that the real resolver maps to a private address (this machine's host name, in /etc/hosts).
    const name = os.hostname();
    const addresses = await dns.lookup(name, { all: true }).catch(() => []);
    if (addresses.length > 0 && addresses.every((a) => !isPublicAddress(a.address))) {
      expect(await refusal(`http://${name}:${port}/a.png`)).toBe('url_not_allowed');
    }
    expect(hits).toBe(before);
  });

  it('with OUTBOUND_ALLOW_HOSTS=127.0.0.1,localhost the same fetches succeed', async () => {
    const allow = ['127.0.0.1', 'localhost'];
    const byAddress = await fetchImage(`http://127.0.0.1:${port}/a.png`, 'thumbnailUrl', { allowHosts: allow });
    expect(byAddress.mimeType).toBe('image/png');
    expect(byAddress.bytes.equals(PNG)).toBe(true);
    const byName = await fetchImage(`http://localhost:${port}/a.png`, 'thumbnailUrl', { allowHosts: allow });
    expect(byName.bytes.equals(PNG)).toBe(true);
    // A CIDR works like an address; what is not listed stays refused.
    expect((await fetchImage(`http://127.0.0.1:${port}/a.png`, 'x', { allowHosts: ['127.0.0.0/8'] })).ext).toBe('png');
    expect(await refusal(`http://127.0.0.1:${port}/a.png`, ['10.0.0.0/8', 'cdn.example.com'])).toBe('url_not_allowed');
    expect(await refusal(`http://localhost:${port}/a.png`, ['127.0.0.1'])).toBe('url_not_allowed');
  });
});

describe('OUTBOUND_ALLOW_HOSTS through the API', () => {
  async function appWith(env: Record<string, string>) {
    const testDb = await createTestDatabase();
    const config = testConfig({ DATABASE_URL: testDb.url, ...env });
    const database = createDb(testDb.url, 4);
    // No injected resolver or connector: the production path.
    const services = createServices(database, config);
    const app = await buildApp(config, { database, services });
    settleEventReads(app, database);
    await app.ready();
    const ctx = { app, database, services, config, dbUrl: testDb.url, logs: [] } as TestContext;
    // The image copy is a background job: this app runs its own workers.
    const workers = await startWorkers({ database, services, concurrency: 1, pollIntervalMs: 100, log: () => {} });
    return {
      ctx,
      close: async () => {
        await workers.stop();
        await app.close();
        await database.close();
        await testDb.drop();
      },
    };
  }

  it('a course image from localhost is refused by default and copied when the operator allows it', async () => {
    const closed = await appWith({});
    try {
      const school = await createSchool(closed.ctx);
      const before = hits;
      const res = await call(closed.ctx.app, 'POST', '/api/v1/courses', {
        key: school.key,
        body: { title: 'Local image', thumbnailUrl: `http://localhost:${port}/t.png` },
      });
      // The write succeeds; the copy is refused (media.failed), never fetched from loopback.
      expect(res.statusCode).toBe(201);
      expect(res.json().featuredImage).toBeNull();
      const failed = await waitForEvent(closed.ctx, school.key, 'media.failed');
      expect(failed.data.object).toMatchObject({
        target: { type: 'course', id: res.json().id },
        code: 'url_not_allowed',
      });
      expect(hits).toBe(before);
    } finally {
      await closed.close();
    }

    const open = await appWith({ OUTBOUND_ALLOW_HOSTS: '127.0.0.1,localhost' });
    try {
      const school = await createSchool(open.ctx);
      const before = hits;
      const res = await call(open.ctx.app, 'POST', '/api/v1/courses', {
        key: school.key,
        body: { title: 'Local image', thumbnailUrl: `http://localhost:${port}/t.png` },
      });
      expect(res.statusCode).toBe(201);
      const ready = await waitForEvent(open.ctx, school.key, 'media.ready');
      expect(ready.data.object).toMatchObject({ status: 'ready', mimeType: 'image/png' });
      const course = await call(open.ctx.app, 'GET', `/api/v1/courses/${res.json().id}`, { key: school.key });
      expect(course.json().featuredImage).toEqual({ mediaId: ready.data.object.id });
      expect(hits).toBe(before + 1);
    } finally {
      await open.close();
    }
  });
});
