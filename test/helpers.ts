import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { type AppDeps, buildApp } from '../src/app.js';
import { type Config, loadConfig } from '../src/config.js';
import { createDb, type Database } from '../src/db/client.js';
import { createServices, type Services } from '../src/services.js';
import { databaseUrl } from './global-setup.js';

/** The repository root: spawned processes run there. */
export const ROOT = path.resolve(import.meta.dirname, '..');
/** The compiled CLI and server (the global setup builds dist): what spawned processes run. */
export const CLI_ENTRY = path.join(ROOT, 'dist/src/cli/main.js');
export const SERVER_ENTRY = path.join(ROOT, 'dist/src/server.js');

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
  return loadConfig({
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_MAX_PER_MINUTE: '100000',
    // Suites send many bad credentials on purpose; the throttle has its own suite with low limits.
    AUTH_FAILURES_PER_MINUTE: '100000',
    LOGIN_ATTEMPTS_PER_MINUTE: '100000',
    VERIFY_PER_MINUTE: '100000',
    DATA_DIR: '/tmp/syllabus-test-unused',
    ...env,
  });
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
export async function setupApp(
  options: {
    env?: Record<string, string>;
    deps?: Partial<AppDeps>;
    captureLogs?: boolean;
    routes?: (app: FastifyInstance) => void;
    now?: () => Date;
  } = {},
): Promise<TestContext> {
  const testDb = await createTestDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-test-data-'));
  const config = testConfig({
    DATABASE_URL: testDb.url,
    DATA_DIR: dataDir,
    ...(options.captureLogs ? { LOG_LEVEL: 'info' } : {}),
    ...options.env,
  });
  const database = createDb(testDb.url, 10);
  const services = createServices(database, config, {
    imageFetch: await testImageFetch(),
    ...(options.now ? { now: options.now } : {}),
  });
  const logs: string[] = [];
  const logStream = options.captureLogs
    ? new Writable({
        write(chunk, _enc, cb) {
          logs.push(String(chunk));
          cb();
        },
      })
    : undefined;
  const app = await buildApp(config, {
    database,
    services,
    contractCheck: true,
    ...(logStream ? { logStream } : {}),
    ...options.deps,
  });
  options.routes?.(app);
  settleEventReads(app, database);
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
export async function createKey(
  ctx: TestContext,
  schoolId: string,
  permissions: string[],
  extra: { expiresInDays?: number } = {},
) {
  return ctx.services.apiKeys.create(schoolId, { name: 'test', permissions, ...extra }, null);
}

type Req = Omit<InjectOptions, 'method' | 'url' | 'payload' | 'body'> & { body?: unknown; key?: string | null };

/** The database of each app whose events-feed reads `call` settles first. */
const databases = new WeakMap<FastifyInstance, Database>();

/** Makes `call` settle the cluster's transactions before it reads the app's events feed. */
export function settleEventReads(app: FastifyInstance, database: Database): void {
  databases.set(app, database);
}

/**
 * Waits until the transactions of other databases of the PostgreSQL cluster that had a
 * transaction id before this call have ended. GET /events lists only events of transactions older
 * than every running one, and transaction ids are the cluster's: test files running in parallel
 * (each on its own database) would otherwise hide each other's events for a moment. The app's
 * own database is not waited for: a transaction the app left open must show in the tests.
 */
export async function settleTransactions(database: Database): Promise<void> {
  const started = Date.now();
  await database.pool.query('SELECT pg_current_xact_id()');
  for (;;) {
    const { rows } = await database.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname IS DISTINCT FROM current_database() AND backend_xid IS NOT NULL
          AND xact_start <= to_timestamp($1::double precision / 1000)`,
      [started],
    );
    if (rows[0]!.n === 0) return;
    if (Date.now() - started > 30_000) throw new Error('another database kept a transaction open for 30 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * `app.inject` with the key as a Bearer token and a JSON body. A read of the events feed first
 * waits for the cluster's older transactions (settleTransactions), so it sees every write before it.
 */
export async function call(
  app: FastifyInstance,
  method: InjectOptions['method'],
  url: string,
  req: Req = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...(req.headers as Record<string, string>) };
  if (req.key) headers.authorization = `Bearer ${req.key}`;
  const { body, key: _key, ...rest } = req;
  const options: InjectOptions = { ...rest, method, url, headers };
  if (body !== undefined) options.payload = body as InjectOptions['payload'];
  const database = databases.get(app);
  if (database && method === 'GET' && /^\/api\/v1\/events(\?|$)/.test(url)) await settleTransactions(database);
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

/** A real 1×1 PNG. */
export const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4d00000000049454e44ae426082',
  'hex',
);
/** The public-looking address every image host name resolves to in tests. */
export const TEST_PUBLIC_IP = '93.184.216.34';
let imageServer: Promise<number> | undefined;
/** Connections the test connector was asked to open anywhere but the image server (must stay 0). */
export const strayConnections: string[] = [];

/**
 * Image fetching for tests: names resolve to TEST_PUBLIC_IP (names starting with "internal."
 * resolve to 10.0.0.1, which the guard must refuse), and the connector sends TEST_PUBLIC_IP to a
 * local image server on 127.0.0.1. Any other connection attempt throws: nothing leaves the machine.
 */
export async function testImageFetch() {
  const http = await import('node:http');
  const net = await import('node:net');
  imageServer ??= new Promise<number>((resolve) => {
    const server = http.createServer((req, res) => {
      if (req.url?.startsWith('/redirect-internal')) {
        res.writeHead(302, { location: 'http://internal.example.com/pixel.png' }).end();
      } else if (req.url?.endsWith('.png')) {
        res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      } else {
        res.writeHead(200, { 'content-type': 'image/png' }).end('this is not an image');
      }
    });
    server.unref();
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const port = await imageServer;
  return {
    resolve: async (hostname: string) => [
      { address: hostname.startsWith('internal.') ? '10.0.0.1' : TEST_PUBLIC_IP, family: 4 as const },
    ],
    connect: (o: { host: string; port: number; tls: boolean }) => {
      if (o.host !== TEST_PUBLIC_IP || o.tls) {
        strayConnections.push(`${o.host}:${o.port}`);
        throw new Error(`test connector: refusing ${o.host}:${o.port}${o.tls ? ' (tls)' : ''}`);
      }
      return net.connect({ host: '127.0.0.1', port });
    },
  };
}
