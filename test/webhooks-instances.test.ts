/**
 * Two instances on one database, each with its own pool and workers: 200 events reach each
 * subscribed endpoint exactly 200 times (once per event), and both instances did some of the work.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/db/client.js';
import { startWorkers } from '../src/jobs/runner.js';
import { createServices } from '../src/services.js';
import { call, createSchool } from './helpers.js';
import { FAST_POLICY, setupWebhookApp, sleep, startReceiver, waitFor } from './webhooks-helpers.js';

const one = await setupWebhookApp();
const otherDatabase = createDb(one.dbUrl, 10);
const other = createServices(otherDatabase, one.config, { webhooks: { policy: FAST_POLICY } });

/** Counts the delivery attempts each instance ran. */
const ran = { one: 0, two: 0 };
for (const [services, name] of [
  [one.services, 'one'],
  [other, 'two'],
] as const) {
  const deliver = services.webhooks.deliver;
  services.webhooks.deliver = (schoolId, deliveryId) => {
    ran[name]++;
    return deliver(schoolId, deliveryId);
  };
}
await one.startWorkers(4);
const otherWorkers = await startWorkers({
  database: otherDatabase,
  services: other,
  concurrency: 4,
  pollIntervalMs: 100,
  log: () => {},
});
afterAll(async () => {
  await otherWorkers.stop();
  await otherDatabase.close();
});

describe('several instances share the work', () => {
  it('delivers 200 events exactly once to each of two endpoints', { timeout: 120_000 }, async () => {
    const school = await createSchool(one);
    const a = await startReceiver();
    const b = await startReceiver();
    for (const r of [a, b]) {
      const res = await call(one.app, 'POST', '/api/v1/webhooks', {
        key: school.key,
        body: { url: r.url, events: ['enrollment.created'] },
      });
      expect(res.statusCode).toBe(201);
    }
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async (_, lane) => {
        for (let i = 0; i < 50; i++) {
          // Half the events are recorded through each instance.
          const services = lane % 2 === 0 ? one : { database: otherDatabase, services: other };
          const event = await services.database.db.transaction((tx) =>
            services.services.events.record(tx, {
              schoolId: school.id,
              type: 'enrollment.created',
              object: { object: 'enrollment', id: `enr_${lane}_${i}` },
            }),
          );
          ids.push(event.id);
        }
      }),
    );
    await waitFor(() => a.received.length >= 200 && b.received.length >= 200, 90_000, '400 deliveries');
    await sleep(1000);
    for (const receiver of [a, b]) {
      expect(receiver.received).toHaveLength(200);
      const seen = receiver.received.map((r) => String(r.headers['webhook-id']));
      expect(new Set(seen).size).toBe(200);
      expect(new Set(seen)).toEqual(new Set(ids));
    }
    expect(ran.one + ran.two).toBe(400);
    expect(ran.one).toBeGreaterThan(0);
    expect(ran.two).toBeGreaterThan(0);
    const { rows } = await one.database.pool.query(
      'SELECT status, count(*)::int AS n, max(attempts) AS most FROM webhook_deliveries GROUP BY status',
    );
    expect(rows).toEqual([{ status: 'succeeded', n: 400, most: 1 }]);
  });
});
