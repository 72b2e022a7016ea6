import path from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type pg from 'pg';
import { migrateQueue } from '../jobs/queue.js';
import { PACKAGE_ROOT } from '../paths.js';
import type { Db } from './client.js';

/** The committed SQL migrations live in src/db/migrations, also when running the built dist/. */
const MIGRATIONS = path.join(PACKAGE_ROOT, 'src', 'db', 'migrations');

/**
 * Applies pending migrations, then the job queue's own schema (graphile_worker: every instance
 * enqueues jobs, workers or not); advisory locks make concurrent starts (several instances) safe.
 */
export async function runMigrations(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(7021848823)`);
    await migrate(tx as unknown as Db, { migrationsFolder: MIGRATIONS });
  });
  // drizzle keeps the pool it was made with (db/client.ts) as $client.
  await migrateQueue((db as unknown as { $client: pg.Pool }).$client);
}
