/**
 * Webhooks: deliveries per second to a local receiver (fan-out + signed POST + bookkeeping, through
 * the real job queue and workers), what `events.record` adds to a transaction (with no endpoint
 * subscribed — no fan-out job — and with one), and what the events add to POST /courses' work
 * (the course service with its events vs the same service with events switched off; target ≤ 10 %).
 *
 *   node --import tsx bench/webhooks.ts        (WORKERS=n for the worker concurrency, default 4)
 *
 * Runs on an embedded PostgreSQL in a temp dir (or BENCH_DATABASE_URL: a database it may fill).
 * Only 127.0.0.1 is ever contacted.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { runMigrations } from '../src/db/migrate.js';
import { startWorkers } from '../src/jobs/runner.js';
import { createCourseService } from '../src/modules/courses/courses.service.js';
import type { EventService } from '../src/modules/events/events.service.js';
import { createServices } from '../src/services.js';

const EVENTS = 1_000;
const ENDPOINTS = 2;
const RECORD_ROUNDS = 2_000;
const CREATE_ROUNDS = 400;
/** POST /courses may cost at most this much more with its events (issue 13). */
const CREATE_TARGET = 0.1;

async function main() {
  let url = process.env.BENCH_DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  let dataDir: string | undefined;
  if (!url) {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-bench-webhooks-'));
    const embedded = await startEmbeddedPostgres(dataDir, 'server');
    url = embedded.url;
    stop = embedded.stop;
  }
  const config = loadConfig({
    DATABASE_URL: url,
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir ?? os.tmpdir(),
    OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
    WORKERS: process.env.WORKERS ?? '4',
  });
  const database = createDb(url, 20);
  await runMigrations(database.db);
  const services = createServices(database, config);
  const school = await services.schools.create({ name: `Bench ${Date.now()}`, ownerEmail: 'bench@example.com' });
  const schoolId = school.school.id;

  let received = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  try {
    // 1. events.record inside a transaction vs the same transaction without it.
    const change = (tx: Parameters<Parameters<typeof database.db.transaction>[0]>[0]) =>
      tx.execute(`UPDATE schools SET updated_at = now() WHERE id = '${schoolId}'` as never);
    const time = async (withEvent: boolean) => {
      const start = performance.now();
      for (let i = 0; i < RECORD_ROUNDS; i++) {
        await database.db.transaction(async (tx) => {
          await change(tx);
          if (withEvent)
            await services.events.record(tx, {
              schoolId,
              type: 'course.updated',
              object: { object: 'course', id: `crs_${i}`, title: 'Bench' },
              previousAttributes: { title: 'Old' },
            });
        });
      }
      return ((performance.now() - start) * 1000) / RECORD_ROUNDS;
    };
    await time(false); // warm-up
    await time(true);
    const without = await time(false);
    const withEvent = await time(true);
    // The same with an endpoint that wants the event: the fan-out job is added in the same statement.
    const probe = await services.webhooks.create(schoolId, { url: hookUrl, events: ['course.updated'] });
    const withJob = await time(true);
    await services.webhooks.delete(schoolId, probe.data.id);
    await database.pool.query('DELETE FROM graphile_worker._private_jobs');
    await database.pool.query('DELETE FROM events');

    // POST /courses' service work with its events vs without (a course service whose events do nothing).
    const silent = {
      record: async () => ({}),
      recordMany: async () => {},
    } as unknown as EventService;
    const quiet = createCourseService({ ...services, db: database.db, events: silent });
    const create = async (svc: typeof services.courses) => {
      const start = performance.now();
      for (let i = 0; i < CREATE_ROUNDS; i++)
        await svc.create(schoolId, { title: `Bench ${i}`, sections: [{ title: 'S', lessons: [{ title: 'L' }] }] });
      return ((performance.now() - start) * 1000) / CREATE_ROUNDS;
    };
    await create(quiet); // warm-up
    await create(services.courses);
    // Interleaved, best of three each: the machine is shared, the minimum is the cost.
    let createWithout = Number.POSITIVE_INFINITY;
    let createWith = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 3; r++) {
      createWithout = Math.min(createWithout, await create(quiet));
      createWith = Math.min(createWith, await create(services.courses));
    }
    const createCost = createWith / createWithout - 1;
    await database.pool.query('DELETE FROM events');

    // 2. Deliveries per second: EVENTS events to ENDPOINTS endpoints, queued first, then drained.
    for (let i = 0; i < ENDPOINTS; i++) await services.webhooks.create(schoolId, { url: hookUrl, events: ['*'] });
    for (let i = 0; i < EVENTS; i++) {
      await database.db.transaction((tx) =>
        services.events.record(tx, { schoolId, type: 'course.created', object: { object: 'course', id: `crs_${i}` } }),
      );
    }
    const expected = EVENTS * ENDPOINTS;
    const start = performance.now();
    const workers = await startWorkers({ database, services, concurrency: config.workers, log: () => {} });
    while (received < expected) {
      if (performance.now() - start > 300_000) throw new Error(`only ${received} of ${expected} deliveries in 5 min`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - start) / 1000;
    await workers.stop();

    const rows = [
      `events.record in a transaction: ${withEvent.toFixed(0)} µs per transaction vs ${without.toFixed(0)} µs without (+${(withEvent - without).toFixed(0)} µs); with a subscribed endpoint (fan-out job) ${withJob.toFixed(0)} µs`,
      `POST /courses (1 section, 1 lesson) service work: ${createWith.toFixed(0)} µs with its 3 events vs ${createWithout.toFixed(0)} µs without (+${(createCost * 100).toFixed(1)} %, target ≤ ${CREATE_TARGET * 100} %) | ${createCost <= CREATE_TARGET ? 'ok' : 'BELOW TARGET'}`,
      `deliveries: ${expected} (${EVENTS} events × ${ENDPOINTS} endpoints) in ${seconds.toFixed(1)} s = ${(expected / seconds).toFixed(0)} per second with WORKERS=${config.workers}`,
    ];
    process.stdout.write(`${rows.join('\n')}\n`);
    if (createCost > CREATE_TARGET) process.exitCode = 1;
  } finally {
    receiver.close();
    await database.close();
    await stop?.();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
