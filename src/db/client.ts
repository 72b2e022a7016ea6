import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { createNotifier, type Notifier } from './notify.js';
import * as schema from './schema/index.js';

export type Db = NodePgDatabase<typeof schema>;
/** A transaction handle; repos accept `Db | Tx` so services decide where the transaction is. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export type Database = {
  db: Db;
  pool: pg.Pool;
  /** Queries sent since start; tests read it to prove a request costs a bounded number of queries. */
  queryCount(): number;
  /** LISTEN/NOTIFY for cache invalidation across instances (connects on first subscription). */
  notifier: Notifier;
  close(): Promise<void>;
};

// timestamptz → Date is pg's default; bigint counts (COUNT(*)) are parsed as numbers: they stay < 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createDb(url: string, poolSize = 10): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    application_name: 'syllabus',
    connectionTimeoutMillis: 5000,
  });
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  let queries = 0;
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: typeof query }).query = (...args: unknown[]) => {
      queries++;
      return query(...args);
    };
  });
  const db = drizzle(pool, { schema });
  const notifier = createNotifier(url);
  return {
    db,
    pool,
    notifier,
    queryCount: () => queries,
    async close() {
      await notifier.close();
      await pool.end();
    },
  };
}

/**
 * A query built once per database handle. Drizzle builds the SQL text on every `prepare()`, which
 * on a hot path costs more than PostgreSQL's run of the prepared statement. A transaction handle
 * is new for every transaction, so there the query is built once per transaction.
 */
export function builtOncePer<Q>(build: (db: DbOrTx) => Q): (db: DbOrTx) => Q {
  const built = new WeakMap<DbOrTx, Q>();
  return (db) => {
    let query = built.get(db);
    if (!query) {
      query = build(db);
      built.set(db, query);
    }
    return query;
  };
}
