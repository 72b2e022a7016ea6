/**
 * Image URLs are copied by a job (media.copy_image), never inside the write: the write stores the
 * URL and answers; the job fetches through the SSRF-safe connector (here: a local server the
 * operator allows, 127.0.0.1), stores the media and sets it on the target only while the target
 * still has that URL, with media.ready; a failure is media.failed and never fails the write.
 * Transient failures are retried by the queue, definitive ones are not.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createDb } from '../src/db/client.js';
import { TASKS } from '../src/jobs/queue.js';
import { countJobs } from '../src/jobs/queue.repo.js';
import { startWorkers } from '../src/jobs/runner.js';
import { buildTaskList } from '../src/jobs/tasks.js';
import { requestContext } from '../src/lib/request-context.js';
import { createServices } from '../src/services.js';
import {
  call,
  createSchool,
  createTestDatabase,
  PNG,
  settleEventReads,
  type TestContext,
  testConfig,
  waitUntilLive,
} from './helpers.js';
import { eventsOf, queueDrained, waitForEvent } from './jobs-helpers.js';

// ---- a local image server: each path answers in its own way, and counts its hits ----
const hits = new Map<string, number>();
let releaseSlow: () => void = () => {};
let slowArrived: () => void = () => {};
const slowStarted = new Promise<void>((r) => {
  slowArrived = r;
});
const server = http.createServer((req, res) => {
  const p = req.url ?? '/';
  hits.set(p, (hits.get(p) ?? 0) + 1);
  if (p.startsWith('/ok')) res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
  else if (p === '/busy.png') res.writeHead(503).end();
  else if (p === '/gone.png') res.writeHead(404).end();
  else if (p === '/text.png') res.writeHead(200, { 'content-type': 'image/png' }).end('not an image');
  else if (p === '/slow.png') {
    slowArrived();
    releaseSlow = () => res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
  } else res.writeHead(404).end();
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// ---- an app whose outbound connector may reach 127.0.0.1 (the operator's allow-list) ----
const testDb = await createTestDatabase();
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-test-data-'));
const config = testConfig({
  DATABASE_URL: testDb.url,
  DATA_DIR: dataDir,
  OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
  MEDIA_QUOTA_BYTES: '100000',
});
const database = createDb(testDb.url, 10);
const services = createServices(database, config);
const app = await buildApp(config, { database, services, contractCheck: true });
settleEventReads(app, database);
await app.ready();
await waitUntilLive(database);
const ctx: TestContext = { app, database, services, config, dbUrl: testDb.url, logs: [] };
let workers: { stop(): Promise<void> } | undefined;
afterAll(async () => {
  await workers?.stop();
  await app.close();
  await database.close();
  await testDb.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
  server.close();
});
const runWorkers = async () => {
  workers ??= await startWorkers({ database, services, concurrency: 2, pollIntervalMs: 100, log: () => {} });
};

const A = await createSchool(ctx);
const B = await createSchool(ctx);
const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, key = A.key) =>
  call(app, method, `/api/v1${url}`, { key, ...(body === undefined ? {} : { body }) });
const mediaCount = async (key = A.key) => (await api('GET', '/media?limit=1', undefined, key)).json().pagination.total;
const copyJobs = () => countJobs(database.db, 'media.copy_image');

async function lessonIn(courseId: string, body: Record<string, unknown>) {
  const res = await api('POST', `/courses/${courseId}/lessons`, { title: 'L', ...body });
  expect(res.statusCode).toBe(201);
  return res.json();
}

describe('before any worker runs', () => {
  it('the write stores the URL and answers at once; a newer URL replaces the waiting copy job', async () => {
    const course = (await api('POST', '/courses', { title: 'Queue' })).json();
    const jobs = await copyJobs();
    const lesson = await lessonIn(course.id, { thumbnailUrl: `${base}/ok-1.png` });
    expect(lesson).toMatchObject({ thumbnailUrl: `${base}/ok-1.png`, thumbnailMediaId: null });
    expect(await copyJobs()).toBe(jobs + 1);
    const patched = await api('PATCH', `/courses/${course.id}/lessons/${lesson.id}`, {
      thumbnailUrl: `${base}/ok-2.png`,
    });
    expect(patched.statusCode).toBe(200);
    expect(await copyJobs()).toBe(jobs + 1); // replaced, not added (job_key per target)
    // The same URL again changes nothing: no job, no event.
    expect(
      (await api('PATCH', `/courses/${course.id}/lessons/${lesson.id}`, { thumbnailUrl: `${base}/ok-2.png` }))
        .statusCode,
    ).toBe(200);
    expect(await copyJobs()).toBe(jobs + 1);
    expect(hits.get('/ok-1.png')).toBeUndefined(); // nothing was fetched in the request

    await runWorkers();
    const ready = await waitForEvent(
      ctx,
      A.key,
      'lesson.updated',
      (e) => e.data.object.id === lesson.id && !!e.data.object.thumbnailMediaId,
    );
    await queueDrained(ctx, 'media.copy_image');
    expect(hits.get('/ok-1.png')).toBeUndefined(); // the superseded job never ran
    expect(hits.get('/ok-2.png')).toBe(1);
    const media = (await api('GET', `/media/${ready.data.object.thumbnailMediaId}`)).json();
    expect(media).toMatchObject({ status: 'ready', mimeType: 'image/png', fileName: 'ok-2.png' });
    const mediaReady = await waitForEvent(ctx, A.key, 'media.ready', (e) => e.data.object.id === media.id);
    expect(mediaReady.actor).toEqual({ type: 'system', id: null });
    expect(mediaReady.data.object).toMatchObject({ object: 'media', id: media.id, status: 'ready', size: PNG.length });
  });

  it('a write that rolls back queues no copy', async () => {
    const course = (await api('POST', '/courses', { title: 'Rollback' })).json();
    const jobs = await copyJobs();
    const res = await api('PATCH', `/courses/${course.id}`, { thumbnailUrl: `${base}/ok-rb.png`, status: 'published' });
    expect(res.statusCode).toBe(409); // publish_blocked: the whole write is undone
    expect(await copyJobs()).toBe(jobs);
    expect((await api('GET', `/courses/${course.id}`)).json().thumbnailUrl).toBeNull();
    await new Promise((r) => setTimeout(r, 300));
    expect(hits.get('/ok-rb.png')).toBeUndefined();
  });
});

describe('with workers', () => {
  it('definitive failures record media.failed once, without retries; the write stays as it was', async () => {
    await runWorkers();
    const course = (await api('POST', '/courses', { title: 'Failures' })).json();
    const before = await mediaCount();
    for (const [file, code] of [
      ['gone.png', 'fetch_failed'],
      ['text.png', 'not_an_image'],
    ] as const) {
      const lesson = await lessonIn(course.id, { thumbnailUrl: `${base}/${file}` });
      const failed = await waitForEvent(
        ctx,
        A.key,
        'media.failed',
        (e) => (e.data.object.target as { id: string } | undefined)?.id === lesson.id,
      );
      expect(failed.data.object).toMatchObject({
        url: `${base}/${file}`,
        target: { type: 'lesson', id: lesson.id },
        code,
        reason: expect.any(String),
      });
      expect(failed.actor).toEqual({ type: 'system', id: null });
    }
    await queueDrained(ctx, 'media.copy_image');
    expect(hits.get('/gone.png')).toBe(1);
    expect(hits.get('/text.png')).toBe(1);
    expect(await mediaCount()).toBe(before);
  });

  it('a copy over the school quota is media.failed (quota_exceeded), the write succeeds', async () => {
    // A school whose quota an upload link (pending media count against it) has almost filled.
    const C = await createSchool(ctx);
    const held = await api(
      'POST',
      '/media/presigned',
      { fileName: 'big.pdf', mimeType: 'application/pdf', size: 99_990 },
      C.key,
    );
    expect(held.statusCode).toBe(201);
    const res = await api('POST', '/courses', { title: 'Quota', thumbnailUrl: `${base}/ok-quota.png` }, C.key);
    expect(res.statusCode).toBe(201);
    const failed = await waitForEvent(
      ctx,
      C.key,
      'media.failed',
      (e) => (e.data.object.target as { id: string } | undefined)?.id === res.json().id,
    );
    expect(failed.data.object).toMatchObject({ target: { type: 'course', id: res.json().id }, code: 'quota_exceeded' });
    expect(await mediaCount(C.key)).toBe(1);
  });

  it('a school whose quota is used up downloads nothing: media.failed (quota_exceeded) without a fetch', async () => {
    const D = await createSchool(ctx);
    const held = await api(
      'POST',
      '/media/presigned',
      { fileName: 'full.pdf', mimeType: 'application/pdf', size: 100_000 },
      D.key,
    );
    expect(held.statusCode).toBe(201);
    const res = await api('POST', '/courses', { title: 'Full', thumbnailUrl: `${base}/ok-full.png` }, D.key);
    expect(res.statusCode).toBe(201);
    const failed = await waitForEvent(
      ctx,
      D.key,
      'media.failed',
      (e) => (e.data.object.target as { id: string } | undefined)?.id === res.json().id,
    );
    expect(failed.data.object).toMatchObject({ code: 'quota_exceeded' });
    expect(hits.get('/ok-full.png')).toBeUndefined();
  });

  it('section posters and course images: set when ready, with the target updated event', async () => {
    const res = await api('POST', '/courses', {
      title: 'Posters',
      thumbnailUrl: `${base}/ok-cover.png`,
      sections: [{ title: 'S', posterImageUrl: `${base}/ok-poster.png` }],
    });
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c.featuredImage).toBeNull();
    expect(c.thumbnailMediaId).toBeNull();
    expect(c.sections[0].posterMediaId).toBeNull();
    const section = await waitForEvent(ctx, A.key, 'section.updated', (e) => e.data.object.id === c.sections[0].id);
    expect(section.data.previousAttributes).toEqual({ posterMediaId: null });
    const course = await waitForEvent(ctx, A.key, 'course.updated', (e) => e.data.object.id === c.id);
    expect(course.data.previousAttributes).toEqual({ thumbnailMediaId: null, featuredImage: null });
    const got = (await api('GET', `/courses/${c.id}`)).json();
    expect(got.featuredImage).toEqual(course.data.object.featuredImage);
    expect(got.thumbnailMediaId).toMatch(/^med_/);
    expect(got.thumbnailMediaId).toBe(got.featuredImage.mediaId);
    expect(got.sections[0].posterMediaId).toBe(section.data.object.posterMediaId);
    // Clearing the URL drops the copy (it is no longer used by anything).
    const cleared = await api('PATCH', `/courses/${c.id}/sections/${c.sections[0].id}`, { posterImageUrl: null });
    expect(cleared.json()).toMatchObject({ posterImageUrl: null, posterMediaId: null });
    expect((await api('GET', `/media/${section.data.object.posterMediaId}`)).statusCode).toBe(404);
  });

  it("school B never sees school A's image events", async () => {
    const bEvents = await eventsOf(ctx, B.key);
    expect(bEvents.filter((e) => e.type.startsWith('media.'))).toEqual([]);
    expect((await eventsOf(ctx, A.key, 'media.ready')).length).toBeGreaterThan(0);
  });
});

describe('the job itself', () => {
  it('a transient failure (503) is retried by the queue; the last try records media.failed', async () => {
    const course = (await api('POST', '/courses', { title: 'Busy' })).json();
    // The URL is stored without a job: the test plays the queue's tries itself.
    const lesson = await lessonIn(course.id, {});
    await database.pool.query('UPDATE lessons SET thumbnail_url = $1 WHERE id = $2', [`${base}/busy.png`, lesson.id]);
    const copy = { target: { type: 'lesson' as const, id: lesson.id }, url: `${base}/busy.png` };
    await expect(services.courses.copyImage(A.id, copy, false)).rejects.toMatchObject({
      details: [{ code: 'fetch_failed' }],
    });
    expect(
      (await eventsOf(ctx, A.key, 'media.failed')).some(
        (e) => (e.data.object.target as { id: string } | undefined)?.id === lesson.id,
      ),
    ).toBe(false);
    expect(await services.courses.copyImage(A.id, copy, true)).toBe('failed');
    const failed = await waitForEvent(
      ctx,
      A.key,
      'media.failed',
      (e) => (e.data.object.target as { id: string } | undefined)?.id === lesson.id,
    );
    expect(failed.data.object).toMatchObject({ code: 'fetch_failed', url: `${base}/busy.png` });
    expect(hits.get('/busy.png')).toBe(2);
  });

  it("runs as the system even when woken inside a request's async context", async () => {
    // The queue's LISTEN connection may have been opened by a request: its callbacks carry that
    // request's context. Events the job records must still name the system, not that request's key.
    const course = (await api('POST', '/courses', { title: 'Context' })).json();
    const lesson = await lessonIn(course.id, {});
    await database.pool.query('UPDATE lessons SET thumbnail_url = $1 WHERE id = $2', [`${base}/gone.png`, lesson.id]);
    const copyImage = buildTaskList({ db: database.db, services, log: () => {} })[TASKS.copyImage]!;
    const payload = { schoolId: A.id, target: { type: 'lesson', id: lesson.id }, url: `${base}/gone.png` };
    const helpers = { job: { attempts: 1, max_attempts: 1 } } as Parameters<typeof copyImage>[1];
    await requestContext.run({ actor: { type: 'key', id: 'key_from_a_request' } }, () => copyImage(payload, helpers));
    const failed = await waitForEvent(
      ctx,
      A.key,
      'media.failed',
      (e) => (e.data.object.target as { id: string } | undefined)?.id === lesson.id,
    );
    expect(failed.actor).toEqual({ type: 'system', id: null });
  });

  it('a copy that arrives after the URL changed is thrown away (no media, no media.ready)', async () => {
    const course = (await api('POST', '/courses', { title: 'Race' })).json();
    const lesson = await lessonIn(course.id, {});
    await database.pool.query('UPDATE lessons SET thumbnail_url = $1 WHERE id = $2', [`${base}/slow.png`, lesson.id]);
    const before = await mediaCount();
    const copying = services.courses.copyImage(
      A.id,
      { target: { type: 'lesson', id: lesson.id }, url: `${base}/slow.png` },
      true,
    );
    await slowStarted; // the fetch is under way
    const patched = await api('PATCH', `/courses/${course.id}/lessons/${lesson.id}`, { removeThumbnail: true });
    expect(patched.statusCode).toBe(200);
    releaseSlow();
    expect(await copying).toBe('superseded');
    expect(await mediaCount()).toBe(before);
    const got = (await api('GET', `/courses/${course.id}/lessons/${lesson.id}`)).json();
    expect(got).toMatchObject({ thumbnailUrl: null, thumbnailMediaId: null });
  });
});
