import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDb } from '../src/db/client.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { runMigrations } from '../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testDb: { adminUrl: string; template: string };
  }
}

export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

type Shared = { adminUrl: string; template: string; teardown: () => Promise<void>; users: number };
/** Vitest calls the global setup once per project, in one process: they share one PostgreSQL. */
const shared = globalThis as { syllabusTestDb?: Promise<Shared> };

/**
 * One PostgreSQL per run: the embedded one in a temp dir, or TEST_DATABASE_URL's server. The
 * schema is migrated once into a template database that each test file clones (fast and isolated).
 * The app is also compiled to dist once (incrementally): tests that spawn the server or the CLI
 * run the compiled code, which starts in about half the time of `node --import tsx`.
 */
export default async function setup(project: TestProject) {
  shared.syllabusTestDb ??= start();
  const db = await shared.syllabusTestDb;
  db.users++;
  project.provide('testDb', { adminUrl: db.adminUrl, template: db.template });
  return async () => {
    if (--db.users > 0) return;
    shared.syllabusTestDb = undefined; // a later setup in this process (watch mode) starts afresh
    await db.teardown();
  };
}

async function start(): Promise<Shared> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  let adminUrl = process.env.TEST_DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  let dataDir: string | undefined;
  if (!adminUrl) {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-test-pg-'));
    const embedded = await startEmbeddedPostgres(dataDir, 'server');
    adminUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const template = `syllabus_tpl_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${template}`);
    const db = createDb(databaseUrl(adminUrl, template), 2);
    await runMigrations(db.db);
    await db.close();
    const { rows } = await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    console.log(`tests run on PostgreSQL ${rows[0]?.v} (${stopEmbedded ? 'embedded' : 'TEST_DATABASE_URL'})`);
  } catch (err) {
    // Leave nothing running behind a failed setup.
    await admin.end().catch(() => {});
    await stopEmbedded?.();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
    throw err;
  }

  const teardown = async () => {
    // Drop what this run created (test files drop their own; this catches crashed ones).
    const { rows: dbs } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`,
      [template, `${template}_%`],
    );
    for (const { datname } of dbs) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await admin.end();
    await stopEmbedded?.();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  };
  return { adminUrl, template, teardown, users: 0 };
}
