import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { buildApp, type AppDeps } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { createDb, type Database } from '../src/db/client.js';
import { createServices, type Services } from '../src/services.js';
import { databaseUrl } from './global-setup.js';

/** A fresh database cloned from the migrated template, dropped when the file's tests end. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { adminUrl, template } = inject('testDb');
  const name = `${template}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // CREATE DATABASE … TEMPLATE needs the template to be idle; parallel files may collide briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      break;
    } catch (e) {
      if (attempt > 20 || (e as { code?: string }).code !== '55006') throw e;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  return {
    url: databaseUrl(adminUrl, name),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000', DATA_DIR: '/tmp/syllabus-test-unused', ...env });
}

export type TestContext = {
  app: FastifyInstance;
  database: Database;
  services: Services;
  config: Config;
  dbUrl: string;
  /** Log lines the app wrote (when built with captureLogs). */
  logs: string[];
};

/** Builds an app on a fresh database for one test file; closed and dropped after the file. */
export async function setupApp(options: { env?: Record<string, string>; deps?: Partial<AppDeps>; captureLogs?: boolean; routes?: (app: FastifyInstance) => void } = {}): Promise<TestContext> {
  const testDb = await createTestDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-test-data-'));
  const config = testConfig({ DATABASE_URL: testDb.url, DATA_DIR: dataDir, ...(options.captureLogs ? { LOG_LEVEL: 'info' } : {}), ...options.env });
  const database = createDb(testDb.url, 10);
  const services = createServices(database, config);
  const logs: string[] = [];
  const logStream = options.captureLogs
    ? new Writable({
        write(chunk, _enc, cb) {
          logs.push(String(chunk));
          cb();
        },
      })
    : undefined;
  const app = await buildApp(config, { database, services, ...(logStream ? { logStream } : {}), ...options.deps });
  options.routes?.(app);
  await app.ready();
  await waitUntilLive(database);
  afterAll(async () => {
    await app.close();
    await database.close();
    await testDb.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });
  return { app, database, services, config, dbUrl: testDb.url, logs };
}

let schoolCounter = 0;
/** A school with its owner and a `*` key; `password` is the owner's. */
export async function createSchool(ctx: TestContext, name = `School ${++schoolCounter}`) {
  const ownerEmail = `owner${randomBytes(4).toString('hex')}@example.com`;
  const password = 'correct horse battery';
  const created = await ctx.services.schools.create({ name, ownerEmail, ownerPassword: password });
  return { ...created, id: created.school.id, key: created.apiKey, ownerEmail, password };
}

/** A key of a school with the given scopes. */
export async function createKey(ctx: TestContext, schoolId: string, permissions: string[], extra: { expiresInDays?: number } = {}) {
  return ctx.services.apiKeys.create(schoolId, { name: 'test', permissions, ...extra }, null);
}

type Req = Omit<InjectOptions, 'method' | 'url' | 'payload' | 'body'> & { body?: unknown; key?: string | null };

/** `app.inject` with the key as a Bearer token and a JSON body. */
export function call(app: FastifyInstance, method: InjectOptions['method'], url: string, req: Req = {}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...(req.headers as Record<string, string>) };
  if (req.key) headers.authorization = `Bearer ${req.key}`;
  const { body, key: _key, ...rest } = req;
  const options: InjectOptions = { ...rest, method, url, headers };
  if (body !== undefined) options.payload = body as InjectOptions['payload'];
  return app.inject(options);
}

/** Starts the app on a random loopback port for tests that need real, concurrent connections. */
export async function listen(app: FastifyInstance): Promise<string> {
  const existing = app.server.address() as AddressInfo | null;
  if (existing) return `http://127.0.0.1:${existing.port}`;
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** Every status seen, counted: `{ 201: 1, 409: 19 }`. */
export function tally(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

/** Waits for the LISTEN connection, so whether credentials are cached does not depend on timing. */
export async function waitUntilLive(database: Database): Promise<void> {
  for (let i = 0; i < 200 && !database.notifier.live; i++) await new Promise((r) => setTimeout(r, 25));
  if (!database.notifier.live) throw new Error('the LISTEN connection did not come up');
}
