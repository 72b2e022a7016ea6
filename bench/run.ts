/**
 * `npm run bench`: each scenario is measured on the real app and, in the same run, on a bare
 * Fastify route that answers the same request with one hand-written SQL query. The ratio of the
 * two is the number to watch; absolute numbers depend on the machine.
 *
 * Runs on an embedded PostgreSQL in a temp dir (or BENCH_DATABASE_URL: a database it may fill).
 * BENCH_SECONDS (default 5) and BENCH_CONNECTIONS (default 10) tune each measurement;
 * BENCH_ONLY=name runs one scenario.
 *
 * Then the timed scenarios (bench/imports.ts): one large request at a time, BENCH_RUNS times
 * (default 5); the median must stay under the target. Each also reports the event loop's longest
 * stall while it ran (the app runs in this process; limit: 100 ms).
 */

import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import autocannon from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDb, type Database } from '../src/db/client.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { runMigrations } from '../src/db/migrate.js';
import { createServices, type Services } from '../src/services.js';
import { timedScenarios } from './imports.js';
import { scenarios } from './scenarios.js';

export type BenchContext = { database: Database; services: Services; pool: pg.Pool };

export type Seeded = {
  path: string;
  key: string;
  schoolId: string;
  method?: 'GET' | 'PATCH' | 'POST';
  body?: string;
  courseId?: string;
  lessonId?: string;
  /** Several paths to rotate through (e.g. many learners' enrollments) instead of one. */
  paths?: string[];
  after?: { id: string; created_at: Date };
};

export type Scenario = {
  name: string;
  /** Creates the data; returns the request to measure (path and API key). */
  seed(ctx: BenchContext): Promise<Seeded>;
  /** The bare baseline: the same answer from one SQL query, no auth, no validation. */
  baseline(app: FastifyInstance, pool: pg.Pool, seeded: Seeded): void;
  /** The app must reach at least this fraction of the baseline's requests/s. */
  target?: number;
};

/** One request measured alone: POST `body(run)` to /api/v1/courses as a school's owner key. */
export type Timed = {
  name: string;
  /** The median time must stay below this. */
  targetMs: number;
  body(run: number): string;
};

/** The event loop may never stall longer than this while a request runs (API.md §1). */
const MAX_STALL_MS = 100;

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const only = (name: string) => !process.env.BENCH_ONLY || name === process.env.BENCH_ONLY;

async function measure(
  url: string,
  opts: { key?: string; method?: string; body?: string; paths?: string[] | undefined },
) {
  let next = 0;
  const rotate = opts.paths?.length
    ? {
        requests: [
          {
            setupRequest: (req: Record<string, unknown>) => ({
              ...req,
              path: opts.paths![next++ % opts.paths!.length],
            }),
          },
        ],
      }
    : {};
  const run = (duration: number) =>
    autocannon({
      url,
      ...(rotate as object),
      connections,
      duration,
      method: (opts.method ?? 'GET') as 'GET',
      headers: {
        ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
        ...(opts.body ? { 'content-type': 'application/json' } : {}),
      },
      ...(opts.body ? { body: opts.body } : {}),
    });
  await run(1); // warm-up: JIT, connection pools, caches
  const r = await run(seconds);
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, p99: r.latency.p99 };
}

async function main() {
  let adminUrl = process.env.BENCH_DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  let dataDir: string | undefined;
  if (!adminUrl) {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-bench-'));
    const embedded = await startEmbeddedPostgres(dataDir, 'server');
    adminUrl = embedded.url;
    stop = embedded.stop;
  }
  const config = loadConfig({
    DATABASE_URL: adminUrl,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '1000000',
    DATA_DIR: dataDir ?? os.tmpdir(),
  });
  const database = createDb(adminUrl, 10);
  await runMigrations(database.db);
  const services = createServices(database, config);
  const pool = new pg.Pool({ connectionString: adminUrl, max: 10 });
  const ctx: BenchContext = { database, services, pool };

  const app = await buildApp(config, { database, services });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const appBase = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const rows: string[] = [];
  let failed = false;
  try {
    for (const scenario of scenarios.filter((s) => only(s.name))) {
      const seeded = await scenario.seed(ctx);
      const bare = Fastify({ logger: false });
      scenario.baseline(bare, pool, seeded);
      await bare.listen({ port: 0, host: '127.0.0.1' });
      const bareBase = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}`;
      const base = await measure(bareBase + seeded.path, { ...seeded, paths: undefined });
      const ours = await measure(appBase + seeded.path, seeded);
      await bare.close();
      const ratio = ours.rps / base.rps;
      const target = scenario.target ?? 0;
      const verdict = ratio >= target ? 'ok' : `BELOW TARGET ${Math.round(target * 100)} %`;
      if (ratio < target) failed = true;
      rows.push(
        `${scenario.name.padEnd(38)} ${ours.rps.toFixed(0).padStart(7)} req/s  p99 ${String(ours.p99).padStart(4)} ms | baseline ${base.rps
          .toFixed(0)
          .padStart(
            7,
          )} req/s  p99 ${String(base.p99).padStart(4)} ms | ${(ratio * 100).toFixed(0).padStart(3)} % ${verdict}`,
      );
      console.log(rows[rows.length - 1]);
    }
    const timed = timedScenarios.filter((s) => only(s.name));
    if (timed.length) {
      const school = await services.schools.create({
        name: 'Bench imports',
        ownerEmail: 'bench-i@example.com',
        ownerPassword: 'bench password',
      });
      for (const scenario of timed) {
        const times: number[] = [];
        let stall = 0;
        for (let run = 0; run <= runs; run++) {
          const body = scenario.body(run);
          const delay = monitorEventLoopDelay({ resolution: 10 });
          delay.enable();
          const start = performance.now();
          const res = await fetch(`${appBase}/api/v1/courses`, {
            method: 'POST',
            headers: { authorization: `Bearer ${school.apiKey}`, 'content-type': 'application/json' },
            body,
          });
          await res.arrayBuffer();
          const ms = performance.now() - start;
          delay.disable();
          if (res.status !== 201) throw new Error(`${scenario.name}: ${res.status}`);
          if (run === 0) continue; // warm-up
          times.push(ms);
          stall = Math.max(stall, delay.max / 1e6);
        }
        times.sort((a, b) => a - b);
        const median = times[Math.floor(times.length / 2)]!;
        const met = median < scenario.targetMs && stall < MAX_STALL_MS;
        if (!met) failed = true;
        console.log(
          `${scenario.name.padEnd(38)} median ${median.toFixed(0).padStart(5)} ms (target < ${scenario.targetMs} ms) | longest event-loop stall ${stall.toFixed(0).padStart(3)} ms (limit ${MAX_STALL_MS}) | ${met ? 'ok' : 'BELOW TARGET'}`,
        );
      }
    }
  } finally {
    await app.close();
    await pool.end();
    await database.close();
    await stop?.();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  }
  console.log(`\n${connections} connections, ${seconds} s per measurement, ${os.cpus().length} cores`);
  process.exit(failed ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
