/**
 * An endpoint that failed every delivery for 3 days is disabled, with a webhook.disabled event;
 * any success in between starts the clock again. The webhook clock is injected and moved forward.
 */
import { describe, expect, it } from 'vitest';
import { call, createSchool } from './helpers.js';
import { setupWebhookApp, startReceiver, verify, waitFor } from './webhooks-helpers.js';

let offsetMs = 0;
const ctx = await setupWebhookApp({ now: () => new Date(Date.now() + offsetMs) });
await ctx.startWorkers();
const DAY = 24 * 3600_000;

const getHook = async (key: string, id: string) =>
  (await call(ctx.app, 'GET', `/api/v1/webhooks/${id}`, { key })).json() as { enabled: boolean };

describe('disabling failing endpoints', () => {
  it('disables an endpoint after 3 days of failures only, and says so with webhook.disabled', async () => {
    const school = await createSchool(ctx);
    let failing = true;
    const broken = await startReceiver(() => (failing ? 500 : 200));
    const watcher = await startReceiver();
    const hook = (
      await call(ctx.app, 'POST', '/api/v1/webhooks', { key: school.key, body: { url: broken.url, events: ['*'] } })
    ).json();
    const watch = (
      await call(ctx.app, 'POST', '/api/v1/webhooks', {
        key: school.key,
        body: { url: watcher.url, events: ['webhook.disabled'] },
      })
    ).json();

    const record = (id: string) =>
      ctx.database.db.transaction((tx) =>
        ctx.services.events.record(tx, {
          schoolId: school.id,
          type: 'course.created',
          object: { object: 'course', id },
        }),
      );

    // Day 0: failures start.
    await record('crs_1');
    await waitFor(() => broken.received.length >= 2, 10_000, 'failed attempts');
    // Day 2: a success resets the clock.
    offsetMs = 2 * DAY;
    failing = false;
    await record('crs_2');
    await waitFor(async () => {
      const r = await ctx.database.pool.query('SELECT failing_since FROM webhooks WHERE id = $1', [hook.id]);
      return r.rows[0].failing_since === null;
    });
    // Day 2 to day 4: failing again, under 3 days of it → still enabled.
    failing = true;
    await record('crs_3');
    await waitFor(async () => {
      const r = await ctx.database.pool.query('SELECT failing_since FROM webhooks WHERE id = $1', [hook.id]);
      return r.rows[0].failing_since !== null;
    });
    offsetMs = 4 * DAY;
    await record('crs_4');
    const before = broken.received.length;
    await waitFor(() => broken.received.length >= before + 2, 10_000, 'failures on day 4');
    expect((await getHook(school.key, hook.id)).enabled).toBe(true);

    // Day 5 + 1 minute: 3 days of nothing but failures → disabled.
    offsetMs = 5 * DAY + 60_000;
    await record('crs_5');
    await waitFor(async () => (await getHook(school.key, hook.id)).enabled === false, 10_000, 'disabled');

    await waitFor(() => watcher.received.length >= 1, 10_000, 'webhook.disabled delivery');
    const payload = verify(watch.secret, watcher.received[0]!) as {
      type: string;
      actor: unknown;
      data: { object: { id: string; enabled: boolean } };
    };
    expect(payload.type).toBe('webhook.disabled');
    expect(payload.actor).toEqual({ type: 'system', id: null });
    expect(payload.data.object).toMatchObject({ id: hook.id, enabled: false });
    const events = await call(ctx.app, 'GET', '/api/v1/events?type=webhook.disabled', { key: school.key });
    expect(events.json().data).toHaveLength(1);

    // A disabled endpoint gets nothing more; its pending deliveries end as failed.
    const count = broken.received.length;
    await record('crs_6');
    await waitFor(async () => {
      const r = await ctx.database.pool.query(
        "SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1 AND status = 'pending'",
        [hook.id],
      );
      return r.rows[0].n === 0;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(broken.received.length).toBe(count);
    const retry = await call(ctx.app, 'GET', `/api/v1/webhooks/${hook.id}/deliveries?status=failed`, {
      key: school.key,
    });
    expect(retry.json().data.length).toBeGreaterThan(0);
    const refused = await call(
      ctx.app,
      'POST',
      `/api/v1/webhooks/${hook.id}/deliveries/${retry.json().data[0].id}/retry`,
      { key: school.key },
    );
    expect(refused.statusCode).toBe(409);

    // Enabling it again starts afresh.
    const enabled = await call(ctx.app, 'PATCH', `/api/v1/webhooks/${hook.id}`, {
      key: school.key,
      body: { enabled: true },
    });
    expect(enabled.json().enabled).toBe(true);
    const r = await ctx.database.pool.query('SELECT failing_since FROM webhooks WHERE id = $1', [hook.id]);
    expect(r.rows[0].failing_since).toBeNull();
  });
});
