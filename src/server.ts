import { buildApp } from './app.js';
import { printBootstrap } from './cli/output.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/open.js';
import { startWorkers, type Workers } from './jobs/runner.js';
import { createServices } from './services.js';

/**
 * Entry point: config, database (embedded or external), first-start bootstrap, workers (unless
 * WORKERS=0), listen, graceful close.
 */
async function main() {
  const config = loadConfig();
  const log = (msg: string) => process.stderr.write(`syllabus: ${msg}\n`);
  const database = await openDatabase(config, 'server', log);
  const services = createServices(database, config);

  const created = await services.schools.bootstrapIfEmpty({
    name: config.bootstrap.schoolName,
    ownerEmail: config.bootstrap.ownerEmail,
  });
  if (created) printBootstrap(created, config.publicUrl);

  const app = await buildApp(config, { database, services });
  let workers: Workers | undefined;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await app.close(); // stops accepting, drains in-flight requests
    await workers?.stop(); // lets running jobs end; queued ones wait for the next start or another worker
    await database.shutdown(); // then the pool, then the embedded PostgreSQL
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    if (config.workers > 0) {
      workers = await startWorkers({
        database,
        services,
        concurrency: config.workers,
        log: (level, message, meta) => app.log[level]({ meta }, `jobs: ${message}`),
      });
    }
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    app.log.error({ err }, 'could not start');
    await workers?.stop();
    await database.shutdown();
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `syllabus: ${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
