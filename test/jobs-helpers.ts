/**
 * Background jobs in tests: a worker pool on a test app's own services (stopped after the file),
 * and waiting for the events the jobs record (GET /events, as an integration would).
 */
import { afterAll, expect } from 'vitest';
import { countJobs } from '../src/jobs/queue.repo.js';
import { startWorkers } from '../src/jobs/runner.js';
import { call, type TestContext } from './helpers.js';

/** Starts workers on the app's queue for the rest of the file (call it at the top level, after setupApp). */
export async function runWorkers(ctx: TestContext, concurrency = 2) {
  const workers = await startWorkers({
    database: ctx.database,
    services: ctx.services,
    concurrency,
    pollIntervalMs: 100,
    log: (level, message) => {
      // A job that throws to be retried, or the test database dropped at the end: not findings.
      if (level === 'error' && !message.includes('administrator command') && !message.includes('retry'))
        process.stderr.write(`jobs: ${message}\n`);
    },
  });
  afterAll(() => workers.stop());
  return workers;
}

export type ListedEvent = {
  id: string;
  type: string;
  actor: { type: string; id: string | null };
  data: { object: Record<string, unknown>; previousAttributes?: Record<string, unknown> };
};

/** Every event of the school visible to its key (all pages), optionally of one type. */
export async function eventsOf(ctx: TestContext, key: string, type?: string): Promise<ListedEvent[]> {
  const out: ListedEvent[] = [];
  let after: string | null = null;
  for (;;) {
    const q = new URLSearchParams({ limit: '100', ...(type ? { type } : {}), ...(after ? { after } : {}) });
    const res = await call(ctx.app, 'GET', `/api/v1/events?${q}`, { key });
    expect(res.statusCode).toBe(200);
    const page = res.json() as { data: ListedEvent[]; pagination: { hasMore: boolean; nextCursor: string | null } };
    out.push(...page.data);
    if (!page.pagination.hasMore) return out;
    after = page.pagination.nextCursor;
  }
}

/** Waits (up to `ms`) for an event of the school that `match` accepts, and returns it. */
export async function waitForEvent(
  ctx: TestContext,
  key: string,
  type: string,
  match: (e: ListedEvent) => boolean = () => true,
  ms = 15_000,
): Promise<ListedEvent> {
  const until = Date.now() + ms;
  for (;;) {
    const found = (await eventsOf(ctx, key, type)).find(match);
    if (found) return found;
    if (Date.now() > until) throw new Error(`no ${type} event within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until no job of the task is waiting or running. */
export async function queueDrained(ctx: TestContext, task: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while ((await countJobs(ctx.database.db, task)) > 0) {
    if (Date.now() > until) throw new Error(`${task} jobs still queued after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
