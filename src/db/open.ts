import type { Config } from '../config.js';
import { createDb, type Database } from './client.js';
import { type EmbeddedRole, startEmbeddedPostgres } from './embedded.js';
import { runMigrations } from './migrate.js';

export type OpenDatabase = Database & {
  /** Closes the pool, then stops the embedded PostgreSQL if this process owns it. */
  shutdown(): Promise<void>;
};

/** DATABASE_URL when set, else the embedded PostgreSQL under DATA_DIR/pg; migrated before use. */
export async function openDatabase(
  config: Config,
  role: EmbeddedRole,
  log: (msg: string) => void = () => {},
): Promise<OpenDatabase> {
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.dataDir, role, log);
  try {
    const database = createDb(config.databaseUrl ?? embedded!.url, config.dbPoolSize);
    await runMigrations(database.db);
    return {
      ...database,
      async shutdown() {
        await database.close();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}
