/**
 * Shared by the webhook tests: an app whose services have a test delivery policy (short backoff),
 * workers started on demand, and local receivers on 127.0.0.1 that record what they get.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll } from 'vitest';
import { buildApp } from '../src/app.js';
import { createDb } from '../src/db/client.js';
import { startWorkers, type Workers } from '../src/jobs/runner.js';
import type { DeliveryPolicy } from '../src/modules/webhooks/delivery.js';
import { createServices } from '../src/services.js';
import { createTestDatabase, settleEventReads, type TestContext, testConfig, waitUntilLive } from './helpers.js';

export const FAST_POLICY: Partial<DeliveryPolicy> = {
  timeoutMs: 2000,
  backoff: { baseMs: 50, maxMs: 200 },
};

export type WebhookTestContext = TestContext & {
  /** Starts a worker pool on this app's services (stopped after the file). */
  startWorkers(concurrency?: number): Promise<Workers>;
};

export async function setupWebhookApp(
  options: { policy?: Partial<DeliveryPolicy>; now?: () => Date; env?: Record<string, string> } = {},
): Promise<WebhookTestContext> {
  const testDb = await createTestDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-test-data-'));
  const config = testConfig({
    DATABASE_URL: testDb.url,
    DATA_DIR: dataDir,
    OUTBOUND_ALLOW_HOSTS: '127.0.0.1,localhost',
    ...options.env,
  });
  const database = createDb(testDb.url, 10);
  const services = createServices(database, config, {
    webhooks: { policy: { ...FAST_POLICY, ...options.policy }, ...(options.now ? { now: options.now } : {}) },
  });
  const app = await buildApp(config, { database, services, contractCheck: true });
  settleEventReads(app, database);
  await app.ready();
  await waitUntilLive(database);
  const running: Workers[] = [];
  afterAll(async () => {
    for (const w of running) await w.stop();
    await app.close();
    await database.close();
    await testDb.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });
  return {
    app,
    database,
    services,
    config,
    dbUrl: testDb.url,
    logs: [],
    async startWorkers(concurrency = 4) {
      const workers = await startWorkers({
        database,
        services,
        concurrency,
        pollIntervalMs: 100,
        log: (level, message) => {
          // Dropping the test database at the end ends the queue's connections: not a finding.
          if (level === 'error' && !message.includes('administrator command'))
            process.stderr.write(`jobs: ${message}\n`);
        },
      });
      running.push(workers);
      return workers;
    },
  };
}

export type Received = { headers: http.IncomingHttpHeaders; body: string; at: number };

/** A local endpoint: records every request, answers `respond()` (200 by default). */
export async function startReceiver(respond: (r: Received) => number = () => 200, port = 0) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(r);
      res.writeHead(receiver.respond(r), { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const receiver = {
    respond,
    received,
    port: (server.address() as AddressInfo).port,
    get url() {
      return `http://127.0.0.1:${this.port}/hook`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  afterAll(() => receiver.close());
  return receiver;
}

/** Verifies with standardwebhooks' own Webhook#verify; returns the parsed body or throws. */
export function verify(secret: string, r: Received): Record<string, unknown> {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  }) as Record<string, unknown>;
}

/** Polls until `check` returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  ms = 10_000,
  what = 'condition',
): Promise<Exclude<NonNullable<T>, false>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== null && v !== false) return v as Exclude<NonNullable<T>, false>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
