/**
 * Webhooks and events end to end: endpoints created over the API, events recorded through the
 * events service inside transactions, delivered by real workers to receivers on 127.0.0.1 and
 * verified with standardwebhooks' own Webhook#verify.
 */
import { describe, expect, it } from 'vitest';
import type { EVENT_TYPES } from '../src/modules/events/events.schemas.js';
import { call, createKey, createSchool } from './helpers.js';
import { type Received, setupWebhookApp, sleep, startReceiver, verify, waitFor } from './webhooks-helpers.js';

const ctx = await setupWebhookApp();
await ctx.startWorkers();

type School = Awaited<ReturnType<typeof createSchool>>;

async function createHook(school: School, body: Record<string, unknown>) {
  const res = await call(ctx.app, 'POST', '/api/v1/webhooks', { key: school.key, body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; secret: string; url: string; events: string[] };
}

/** Records an event the way services will: inside their transaction. */
function record(schoolId: string, type: (typeof EVENT_TYPES)[number], object: Record<string, unknown>, extra = {}) {
  return ctx.database.db.transaction((tx) => ctx.services.events.record(tx, { schoolId, type, object, ...extra }));
}

const deliveriesOf = async (school: School, hookId: string, query = '') => {
  const res = await call(ctx.app, 'GET', `/api/v1/webhooks/${hookId}/deliveries${query}`, { key: school.key });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data as {
    id: string;
    eventId: string;
    eventType: string;
    status: string;
    attempts: number;
    lastResponseStatus: number | null;
    lastError: string | null;
    nextAttemptAt: string | null;
  }[];
};

describe('webhook endpoints (CRUD)', () => {
  it('creates with the secret shown once, reads without it, updates and deletes', async () => {
    const school = await createSchool(ctx);
    const created = await call(ctx.app, 'POST', '/api/v1/webhooks', {
      key: school.key,
      body: { url: 'https://example.com/hook', events: ['course.created', 'course.created'], description: 'CRM' },
    });
    expect(created.statusCode).toBe(201);
    const hook = created.json();
    expect(hook).toMatchObject({
      object: 'webhook',
      url: 'https://example.com/hook',
      events: ['course.created'],
      description: 'CRM',
      enabled: true,
      previousSecretExpiresAt: null,
    });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(created.headers.location).toBe(`/api/v1/webhooks/${hook.id}`);

    const got = await call(ctx.app, 'GET', `/api/v1/webhooks/${hook.id}`, { key: school.key });
    expect(got.statusCode).toBe(200);
    expect(got.json()).not.toHaveProperty('secret');
    const list = await call(ctx.app, 'GET', '/api/v1/webhooks', { key: school.key });
    expect(list.json().data.map((h: { id: string }) => h.id)).toEqual([hook.id]);
    expect(list.body).not.toContain('whsec_');

    // The secret is stored encrypted, never in clear.
    const stored = await ctx.database.pool.query('SELECT secret FROM webhooks WHERE id = $1', [hook.id]);
    expect(stored.rows[0].secret).not.toContain(hook.secret.slice(6));
    expect(stored.rows[0].secret).toMatch(/^v1\./);

    const patched = await call(ctx.app, 'PATCH', `/api/v1/webhooks/${hook.id}`, {
      key: school.key,
      headers: { 'if-match': got.headers.etag as string },
      body: { events: ['*'], enabled: false, description: null },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ events: ['*'], enabled: false, description: null });
    const stale = await call(ctx.app, 'PATCH', `/api/v1/webhooks/${hook.id}`, {
      key: school.key,
      headers: { 'if-match': got.headers.etag as string },
      body: { enabled: true },
    });
    expect(stale.statusCode).toBe(412);

    expect((await call(ctx.app, 'DELETE', `/api/v1/webhooks/${hook.id}`, { key: school.key })).statusCode).toBe(204);
    expect((await call(ctx.app, 'GET', `/api/v1/webhooks/${hook.id}`, { key: school.key })).statusCode).toBe(404);
  });

  it('refuses bad input with the path and code of each problem', async () => {
    const school = await createSchool(ctx);
    const cases: [Record<string, unknown>, string, string | undefined][] = [
      [{ url: 'http://example.com/hook', events: ['*'] }, 'url', 'https_required'],
      [{ url: 'https://10.0.0.1/hook', events: ['*'] }, 'url', 'url_not_allowed'],
      [{ url: 'https://169.254.169.254/latest', events: ['*'] }, 'url', 'url_not_allowed'],
      [{ url: 'https://user:pw@example.com/hook', events: ['*'] }, 'url', 'url_not_allowed'],
      [{ url: 'ftp://example.com/hook', events: ['*'] }, 'url', 'invalid_url'],
      [{ url: 'not a url', events: ['*'] }, 'url', 'invalid_url'],
      [{ url: 'https://example.com/hook', events: ['course.exploded'] }, 'events.0', undefined],
      [{ url: 'https://example.com/hook', events: [] }, 'events', undefined],
      [{ url: 'https://example.com/hook' }, 'events', undefined],
      [{ url: 'https://example.com/hook', events: ['*'], schoolId: 'sch_x' }, '', undefined],
      [{ url: 'https://example.com/hook', events: ['*'], description: 'x'.repeat(501) }, 'description', undefined],
    ];
    for (const [body, path, code] of cases) {
      const res = await call(ctx.app, 'POST', '/api/v1/webhooks', { key: school.key, body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error).toBe('validation_error');
      const detail = res.json().details.find((d: { path: string }) => d.path === path) ?? res.json().details[0];
      if (path !== '') expect(detail.path, JSON.stringify(body)).toBe(path);
      if (code) expect(detail.code).toBe(code);
    }
    // A loopback http URL is fine only because the operator allows 127.0.0.1 here.
    const allowed = await call(ctx.app, 'POST', '/api/v1/webhooks', {
      key: school.key,
      body: { url: 'http://127.0.0.1:9/hook', events: ['*'] },
    });
    expect(allowed.statusCode).toBe(201);
    const patchBad = await call(ctx.app, 'PATCH', `/api/v1/webhooks/${allowed.json().id}`, {
      key: school.key,
      body: { url: 'http://example.com/x' },
    });
    expect(patchBad.statusCode).toBe(400);
    expect(patchBad.json().details[0]).toMatchObject({ path: 'url', code: 'https_required' });
    // Nothing was written by the refused requests.
    const list = await call(ctx.app, 'GET', '/api/v1/webhooks', { key: school.key });
    expect(list.json().data).toHaveLength(1);
  });

  it('needs webhooks:read to read and webhooks:write to change', async () => {
    const school = await createSchool(ctx);
    const reader = await createKey(ctx, school.id, ['webhooks:read']);
    const other = await createKey(ctx, school.id, ['courses:write']);
    const body = { url: 'https://example.com/hook', events: ['*'] };
    const denied = await call(ctx.app, 'POST', '/api/v1/webhooks', { key: reader.key, body });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toContain('webhooks:write');
    expect((await call(ctx.app, 'GET', '/api/v1/webhooks', { key: reader.key })).statusCode).toBe(200);
    expect((await call(ctx.app, 'GET', '/api/v1/events', { key: reader.key })).statusCode).toBe(200);
    expect((await call(ctx.app, 'GET', '/api/v1/webhooks', { key: other.key })).statusCode).toBe(403);
    expect((await call(ctx.app, 'GET', '/api/v1/events', { key: other.key })).statusCode).toBe(403);
  });

  it('never replays a response holding a secret (Idempotency-Key)', async () => {
    const school = await createSchool(ctx);
    const req = {
      key: school.key,
      headers: { 'idempotency-key': 'create-hook-1' },
      body: { url: 'https://example.com/hook', events: ['*'] },
    };
    const first = await call(ctx.app, 'POST', '/api/v1/webhooks', req);
    expect(first.statusCode).toBe(201);
    const again = await call(ctx.app, 'POST', '/api/v1/webhooks', req);
    expect(again.statusCode).toBe(409);
    expect(again.body).not.toContain('whsec_');
    expect((await call(ctx.app, 'GET', '/api/v1/webhooks', { key: school.key })).json().data).toHaveLength(1);
  });
});

describe('delivery', () => {
  it('delivers an event recorded in a transaction once, signed, with the event as body', async () => {
    const school = await createSchool(ctx);
    const receiver = await startReceiver();
    const hook = await createHook(school, { url: receiver.url, events: ['course.created'] });
    const course = { object: 'course', id: 'crs_01JD3Q8Z7N0000000000000000', title: 'SQL' };
    const event = await record(school.id, 'course.created', course);

    await waitFor(() => receiver.received.length >= 1, 10_000, 'delivery');
    await sleep(300); // nothing else arrives
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0]!;
    expect(got.headers['webhook-id']).toBe(event.id);
    expect(got.headers['content-type']).toBe('application/json');
    expect(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    expect(String(got.headers['webhook-signature'])).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    const payload = verify(hook.secret, got);
    expect(payload).toEqual({
      object: 'event',
      id: event.id,
      type: 'course.created',
      createdAt: event.createdAt,
      apiVersion: 'v1',
      actor: { type: 'system', id: null },
      data: { object: course },
    });
    // A tampered body or another secret does not verify.
    expect(() => verify(hook.secret, { ...got, body: got.body.replace('SQL', 'SQM') })).toThrow();
    expect(() => verify('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', got)).toThrow();

    const [delivery] = await deliveriesOf(school, hook.id);
    expect(delivery).toMatchObject({
      eventId: event.id,
      eventType: 'course.created',
      status: 'succeeded',
      attempts: 1,
      lastResponseStatus: 200,
      lastError: null,
      nextAttemptAt: null,
    });
  });

  it('delivers nothing for a transaction that rolls back, nor to unsubscribed or disabled endpoints', async () => {
    const school = await createSchool(ctx);
    const receiver = await startReceiver();
    const wanted = await createHook(school, { url: receiver.url, events: ['student.created'] });
    await createHook(school, { url: `${receiver.url}?other`, events: ['course.created'] });
    await createHook(school, { url: `${receiver.url}?disabled`, events: ['*'], enabled: false });
    await expect(
      ctx.database.db.transaction(async (tx) => {
        await ctx.services.events.record(tx, {
          schoolId: school.id,
          type: 'student.created',
          object: { object: 'student', id: 'usr_rolledback' },
        });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const kept = await record(school.id, 'student.created', { object: 'student', id: 'usr_kept' });
    await waitFor(() => receiver.received.length >= 1, 10_000, 'delivery');
    await sleep(500);
    expect(receiver.received.map((r) => [r.headers['webhook-id'], r.headers.host])).toHaveLength(1);
    expect(receiver.received[0]!.headers['webhook-id']).toBe(kept.id);
    verify(wanted.secret, receiver.received[0]!);
    const events = await call(ctx.app, 'GET', '/api/v1/events', { key: school.key });
    expect(events.json().data.map((e: { id: string }) => e.id)).toEqual([kept.id]);
  });

  it('retries a receiver that answers 500 with the same webhook-id, until it succeeds', async () => {
    const school = await createSchool(ctx);
    let calls = 0;
    const receiver = await startReceiver(() => (++calls <= 3 ? 500 : 204));
    const hook = await createHook(school, { url: receiver.url, events: ['*'] });
    const event = await record(school.id, 'enrollment.created', { object: 'enrollment', id: 'enr_1' });
    await waitFor(() => receiver.received.length >= 4, 15_000, '4 attempts');
    await sleep(300);
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([event.id]));
    for (const r of receiver.received) verify(hook.secret, r);
    // Backoff: each wait is at least half the base delay (50 ms) times 2^(n-1).
    const gaps = receiver.received.slice(1).map((r, i) => r.at - receiver.received[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(20);
    const [delivery] = await waitFor(async () => {
      const list = await deliveriesOf(school, hook.id);
      return list[0]?.status === 'succeeded' ? list : undefined;
    });
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 4, lastResponseStatus: 204, lastError: null });
  });

  it('gives up after the retry window, marks the delivery failed, and retries on request', async () => {
    const school = await createSchool(ctx);
    let status = 503;
    const receiver = await startReceiver(() => status);
    const hook = await createHook(school, { url: receiver.url, events: ['*'] });
    // This school's retry window is the policy's; to reach its end fast, age the delivery.
    await record(school.id, 'media.failed', { object: 'media', id: 'med_1' });
    await waitFor(() => receiver.received.length >= 1, 10_000, 'first attempt');
    await ctx.database.pool.query(
      "UPDATE webhook_deliveries SET created_at = now() - interval '25 hours' WHERE webhook_id = $1",
      [hook.id],
    );
    const [failed] = await waitFor(async () => {
      const list = await deliveriesOf(school, hook.id);
      return list[0]?.status === 'failed' ? list : undefined;
    });
    expect(failed).toMatchObject({
      status: 'failed',
      lastResponseStatus: 503,
      lastError: 'HTTP 503',
      nextAttemptAt: null,
    });
    const attemptsBefore = receiver.received.length;
    await sleep(400);
    expect(receiver.received).toHaveLength(attemptsBefore);

    status = 200;
    const retried = await call(ctx.app, 'POST', `/api/v1/webhooks/${hook.id}/deliveries/${failed!.id}/retry`, {
      key: school.key,
    });
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ id: failed!.id, status: 'pending' });
    await waitFor(async () => (await deliveriesOf(school, hook.id))[0]?.status === 'succeeded');
    expect(receiver.received).toHaveLength(attemptsBefore + 1);
    expect(receiver.received.at(-1)!.headers['webhook-id']).toBe(failed!.eventId);
  });

  it('delivers an event recorded while the receiver was down once it is back up', async () => {
    const school = await createSchool(ctx);
    const first = await startReceiver();
    const port = first.port;
    await first.close();
    const hook = await createHook(school, { url: `http://127.0.0.1:${port}/hook`, events: ['*'] });
    const event = await record(school.id, 'course.published', { object: 'course', id: 'crs_down' });
    const [pending] = await waitFor(async () => {
      const list = await deliveriesOf(school, hook.id);
      return list[0]?.lastError ? list : undefined;
    });
    expect(pending).toMatchObject({ status: 'pending', lastResponseStatus: null });
    expect(pending!.lastError).toBe('The server could not be reached.');
    const back = await startReceiver(() => 200, port);
    await waitFor(() => back.received.length >= 1, 10_000, 'delivery after restart');
    await sleep(300);
    expect(back.received).toHaveLength(1);
    expect(verify(hook.secret, back.received[0]!)).toMatchObject({ id: event.id, type: 'course.published' });
  });

  it('signs with both secrets for 24 h after a rotation', async () => {
    const school = await createSchool(ctx);
    const receiver = await startReceiver();
    const hook = await createHook(school, { url: receiver.url, events: ['*'] });
    const rotated = await call(ctx.app, 'POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, { key: school.key });
    expect(rotated.statusCode).toBe(200);
    const { secret: newSecret, previousSecretExpiresAt } = rotated.json();
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(hook.secret);
    const overlapMs = Date.parse(previousSecretExpiresAt) - Date.now();
    expect(overlapMs).toBeGreaterThan(23.9 * 3600_000);
    expect(overlapMs).toBeLessThanOrEqual(24 * 3600_000);

    const test = await call(ctx.app, 'POST', `/api/v1/webhooks/${hook.id}/test`, { key: school.key });
    expect(test.statusCode).toBe(202);
    await waitFor(() => receiver.received.length >= 1, 10_000, 'delivery');
    const got = receiver.received[0]!;
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(newSecret, got)).toMatchObject({ id: test.json().id, type: 'webhook.test' });
    expect(verify(hook.secret, got)).toMatchObject({ id: test.json().id });
    // Each signature alone verifies with its own secret.
    const [sigNew, sigOld] = String(got.headers['webhook-signature']).split(' ');
    const only = (sig: string): Received => ({ ...got, headers: { ...got.headers, 'webhook-signature': sig } });
    verify(newSecret, only(sigNew!));
    verify(hook.secret, only(sigOld!));
    expect(() => verify(newSecret, only(sigOld!))).toThrow();
  });

  it('sends webhook.test to that endpoint only, with the endpoint as data.object and the key as actor', async () => {
    const school = await createSchool(ctx);
    const a = await startReceiver();
    const b = await startReceiver();
    const hookA = await createHook(school, { url: a.url, events: ['*'] });
    await createHook(school, { url: b.url, events: ['*'] });
    const test = await call(ctx.app, 'POST', `/api/v1/webhooks/${hookA.id}/test`, { key: school.key });
    expect(test.statusCode).toBe(202);
    await waitFor(() => a.received.length >= 1);
    await sleep(400);
    expect(b.received).toHaveLength(0);
    const payload = verify(hookA.secret, a.received[0]!) as { actor: { type: string; id: string }; data: unknown };
    expect(payload.actor.type).toBe('key');
    expect(payload.actor.id).toMatch(/^key_/);
    expect(payload.data).toEqual({ object: expect.objectContaining({ object: 'webhook', id: hookA.id, url: a.url }) });

    await call(ctx.app, 'PATCH', `/api/v1/webhooks/${hookA.id}`, { key: school.key, body: { enabled: false } });
    const refused = await call(ctx.app, 'POST', `/api/v1/webhooks/${hookA.id}/test`, { key: school.key });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toBe('conflict');
  });

  it("never delivers a school's events to another school's endpoints", async () => {
    const schoolA = await createSchool(ctx);
    const schoolB = await createSchool(ctx);
    const receiverA = await startReceiver();
    const receiverB = await startReceiver();
    await createHook(schoolA, { url: receiverA.url, events: ['*'] });
    await createHook(schoolB, { url: receiverB.url, events: ['*'] });
    for (let i = 0; i < 5; i++) await record(schoolA.id, 'course.created', { object: 'course', id: `crs_a${i}` });
    await waitFor(() => receiverA.received.length >= 5);
    await sleep(500);
    expect(receiverA.received).toHaveLength(5);
    expect(receiverB.received).toHaveLength(0);
  });
});

describe('GET /events', () => {
  it('pages oldest first after a cursor, filters by type, and returns the position to poll from', async () => {
    const school = await createSchool(ctx);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const type = i % 2 === 0 ? 'course.created' : 'course.updated';
      ids.push((await record(school.id, type, { object: 'course', id: `crs_${i}` })).id);
    }
    const first = await call(ctx.app, 'GET', '/api/v1/events?limit=2', { key: school.key });
    expect(first.statusCode).toBe(200);
    expect(first.json().data.map((e: { id: string }) => e.id)).toEqual(ids.slice(0, 2));
    expect(first.json().pagination).toMatchObject({ limit: 2, hasMore: true });
    const cursor = first.json().pagination.nextCursor;
    const second = await call(ctx.app, 'GET', `/api/v1/events?limit=2&after=${cursor}`, { key: school.key });
    expect(second.json().data.map((e: { id: string }) => e.id)).toEqual(ids.slice(2, 4));
    const third = await call(ctx.app, 'GET', `/api/v1/events?limit=2&after=${second.json().pagination.nextCursor}`, {
      key: school.key,
    });
    expect(third.json().data.map((e: { id: string }) => e.id)).toEqual(ids.slice(4));
    expect(third.json().pagination.hasMore).toBe(false);
    // Polling from the last position: nothing yet, then the new event.
    const last = third.json().pagination.nextCursor;
    const empty = await call(ctx.app, 'GET', `/api/v1/events?after=${last}`, { key: school.key });
    expect(empty.json().data).toEqual([]);
    expect(empty.json().pagination.nextCursor).toBe(last);
    const later = await record(school.id, 'course.deleted', { object: 'course', id: 'crs_9' });
    const polled = await call(ctx.app, 'GET', `/api/v1/events?after=${last}`, { key: school.key });
    expect(polled.json().data.map((e: { id: string }) => e.id)).toEqual([later.id]);

    const updates = await call(ctx.app, 'GET', '/api/v1/events?type=course.updated', { key: school.key });
    expect(updates.json().data.map((e: { id: string }) => e.id)).toEqual([ids[1], ids[3]]);

    const one = await call(ctx.app, 'GET', `/api/v1/events/${ids[0]}`, { key: school.key });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ object: 'event', id: ids[0], type: 'course.created', apiVersion: 'v1' });
  });

  it('refuses a bad cursor, type or limit', async () => {
    const school = await createSchool(ctx);
    const bad = await call(ctx.app, 'GET', '/api/v1/events?after=nonsense', { key: school.key });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'invalid_cursor', details: [{ path: 'after' }] });
    const type = await call(ctx.app, 'GET', '/api/v1/events?type=course.exploded', { key: school.key });
    expect(type.statusCode).toBe(400);
    expect(type.json().details[0].path).toBe('type');
    const limit = await call(ctx.app, 'GET', '/api/v1/events?limit=101', { key: school.key });
    expect(limit.statusCode).toBe(400);
    expect(limit.json().details[0].path).toBe('limit');
  });

  it('hides events older than 30 days', async () => {
    const school = await createSchool(ctx);
    const old = await record(school.id, 'course.created', { object: 'course', id: 'crs_old' });
    await ctx.database.pool.query("UPDATE events SET created_at = now() - interval '31 days' WHERE id = $1", [old.id]);
    expect((await call(ctx.app, 'GET', `/api/v1/events/${old.id}`, { key: school.key })).statusCode).toBe(404);
    expect((await call(ctx.app, 'GET', '/api/v1/events', { key: school.key })).json().data).toEqual([]);
  });
});

describe('tenancy', () => {
  it("answers 404 to another school's webhook, event and delivery ids", async () => {
    const schoolA = await createSchool(ctx);
    const schoolB = await createSchool(ctx);
    const receiver = await startReceiver();
    const hook = await createHook(schoolA, { url: receiver.url, events: ['*'] });
    const event = await record(schoolA.id, 'course.created', { object: 'course', id: 'crs_t' });
    await waitFor(() => receiver.received.length >= 1);
    const [delivery] = await deliveriesOf(schoolA, hook.id);
    const asB = { key: schoolB.key };
    const requests: [string, string, unknown?][] = [
      ['GET', `/api/v1/webhooks/${hook.id}`],
      ['PATCH', `/api/v1/webhooks/${hook.id}`, { enabled: false }],
      ['DELETE', `/api/v1/webhooks/${hook.id}`],
      ['POST', `/api/v1/webhooks/${hook.id}/test`],
      ['POST', `/api/v1/webhooks/${hook.id}/rotate-secret`],
      ['GET', `/api/v1/webhooks/${hook.id}/deliveries`],
      ['POST', `/api/v1/webhooks/${hook.id}/deliveries/${delivery!.id}/retry`],
      ['GET', `/api/v1/events/${event.id}`],
    ];
    for (const [method, url, body] of requests) {
      const res = await call(ctx.app, method as 'GET', url, { ...asB, ...(body ? { body } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error).toBe('not_found');
    }
    // B's own webhook cannot reach A's delivery either.
    const own = await createHook(schoolB, { url: receiver.url, events: ['*'] });
    const cross = await call(ctx.app, 'POST', `/api/v1/webhooks/${own.id}/deliveries/${delivery!.id}/retry`, asB);
    expect(cross.statusCode).toBe(404);
    expect((await call(ctx.app, 'GET', '/api/v1/events', asB)).json().data).toEqual([]);
    // A's webhook is untouched.
    const still = await call(ctx.app, 'GET', `/api/v1/webhooks/${hook.id}`, { key: schoolA.key });
    expect(still.json()).toMatchObject({ enabled: true });
  });
});
