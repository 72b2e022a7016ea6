/**
 * Nothing committed is lost: an API process killed with SIGKILL right after a change committed
 * (before any delivery) delivers it once it runs again; work whose job was lost with a crashed
 * worker is queued again by the sweep; retention and Idempotency-Key purges run as jobs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { TASKS } from '../src/jobs/queue.js';
import { buildTaskList } from '../src/jobs/tasks.js';
import { createSchool, ROOT, SERVER_ENTRY } from './helpers.js';
import { setupWebhookApp, sleep, startReceiver, verify, waitFor } from './webhooks-helpers.js';

const ctx = await setupWebhookApp();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function startServer(env: Record<string, string>) {
  const port = await freePort();
  const { TEST_DATABASE_URL: _t, ...rest } = process.env;
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: ROOT,
    env: {
      ...rest,
      DATABASE_URL: ctx.dbUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      OUTBOUND_ALLOW_HOSTS: '127.0.0.1,localhost',
      ...env,
    },
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    const ok = await fetch(`${base}/api/v1/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { base, child };
    await sleep(200);
  }
  throw new Error(`server did not start: ${out}`);
}

const kill9 = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

const jobs = () =>
  buildTaskList({ db: ctx.database.db, services: ctx.services, log: () => {} }) as Record<
    string,
    (payload: unknown, helpers: never) => Promise<void>
  >;

describe('recovery', () => {
  it('delivers a change committed just before the process was killed, once it runs again', {
    timeout: 120_000,
  }, async () => {
    const school = await createSchool(ctx);
    const receiver = await startReceiver();
    // An API-only instance (WORKERS=0): the change commits, nothing is delivered yet.
    const api = await startServer({ WORKERS: '0' });
    const headers = { authorization: `Bearer ${school.key}`, 'content-type': 'application/json' };
    const created = await fetch(`${api.base}/api/v1/webhooks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ url: receiver.url, events: ['*'] }),
    });
    expect(created.status).toBe(201);
    const hook = (await created.json()) as { id: string; secret: string };
    const test = await fetch(`${api.base}/api/v1/webhooks/${hook.id}/test`, { method: 'POST', headers });
    expect(test.status).toBe(202);
    const event = (await test.json()) as { id: string };
    await kill9(api.child);
    await sleep(500);
    expect(receiver.received).toHaveLength(0);

    // Started again with workers: the committed event goes out, once.
    const again = await startServer({ WORKERS: '2' });
    await waitFor(() => receiver.received.length >= 1, 30_000, 'delivery after restart');
    await sleep(500);
    expect(receiver.received).toHaveLength(1);
    expect(verify(hook.secret, receiver.received[0]!)).toMatchObject({ id: event.id, type: 'webhook.test' });
    await kill9(again.child);
  });

  it('the sweep queues again a fan-out and a delivery whose jobs were lost with a worker', async () => {
    const school = await createSchool(ctx);
    const receiver = await startReceiver();
    const { data: hook } = await ctx.services.webhooks.create(school.id, { url: receiver.url, events: ['*'] });
    const record = (id: string) =>
      ctx.database.db.transaction((tx) =>
        ctx.services.events.record(tx, {
          schoolId: school.id,
          type: 'course.created',
          object: { object: 'course', id },
        }),
      );
    // No workers run in this process yet: drop the queued jobs as a crash would strand them.
    const lostFanOut = await record('crs_lost_fanout');
    const lostDelivery = await record('crs_lost_delivery');
    await ctx.services.webhooks.fanOut(school.id, lostDelivery.id);
    await ctx.database.pool.query('DELETE FROM graphile_worker._private_jobs');
    await ctx.database.pool.query("UPDATE events SET created_at = now() - interval '2 minutes' WHERE school_id = $1", [
      school.id,
    ]);
    await ctx.database.pool.query(
      "UPDATE webhook_deliveries SET next_attempt_at = now() - interval '2 minutes' WHERE school_id = $1",
      [school.id],
    );
    await jobs()[TASKS.sweep]!({}, undefined as never);
    const workers = await ctx.startWorkers(2);
    await waitFor(() => receiver.received.length >= 2, 15_000, 'both deliveries');
    await sleep(300);
    expect(receiver.received.map((r) => r.headers['webhook-id']).sort()).toEqual(
      [lostFanOut.id, lostDelivery.id].sort(),
    );
    for (const r of receiver.received) verify(hook.secret, r);
    await workers.stop();
  });

  it('purges events after 30 days (with their deliveries) and Idempotency-Key rows after 24 h', async () => {
    const school = await createSchool(ctx);
    const { data: hook } = await ctx.services.webhooks.create(school.id, {
      url: 'https://example.com/h',
      events: ['*'],
    });
    const record = (id: string) =>
      ctx.database.db.transaction((tx) =>
        ctx.services.events.record(tx, {
          schoolId: school.id,
          type: 'course.created',
          object: { object: 'course', id },
        }),
      );
    const old = await record('crs_old');
    const recent = await record('crs_recent');
    await ctx.services.webhooks.fanOut(school.id, old.id);
    await ctx.database.pool.query("UPDATE events SET created_at = now() - interval '31 days' WHERE id = $1", [old.id]);
    await ctx.database.pool.query(
      `INSERT INTO idempotency_keys (school_id, key, fingerprint, created_at) VALUES
       ($1, 'old', 'x', now() - interval '25 hours'), ($1, 'new', 'y', now())`,
      [school.id],
    );
    await jobs()[TASKS.purgeEvents]!({}, undefined as never);
    await jobs()[TASKS.purgeIdempotencyKeys]!({}, undefined as never);
    const events = await ctx.database.pool.query('SELECT id FROM events WHERE school_id = $1', [school.id]);
    expect(events.rows.map((r) => r.id)).toEqual([recent.id]);
    const deliveries = await ctx.database.pool.query('SELECT event_id FROM webhook_deliveries WHERE webhook_id = $1', [
      hook.id,
    ]);
    expect(deliveries.rows.map((r) => r.event_id)).not.toContain(old.id);
    const keys = await ctx.database.pool.query('SELECT key FROM idempotency_keys WHERE school_id = $1', [school.id]);
    expect(keys.rows.map((r) => r.key)).toEqual(['new']);
  });
});
