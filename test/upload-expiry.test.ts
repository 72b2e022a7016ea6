/**
 * Abandoned uploads (a presigned link that expired unused) give their reservation back through a
 * scheduled job, media.expire_uploads, for every school at once — no longer inside a school's
 * next presign. The quota ignores abandoned uploads even before the job has run.
 */
import { describe, expect, it } from 'vitest';
import { enqueue, TASKS } from '../src/jobs/queue.js';
import { SCHEDULES } from '../src/jobs/schedules.js';
import { call, createSchool, setupApp } from './helpers.js';
import { eventsOf, queueDrained, runWorkers, waitForEvent } from './jobs-helpers.js';

const ctx = await setupApp({ env: { MAX_UPLOAD_BYTES: '1000', MEDIA_QUOTA_BYTES: '1000' } });
const A = await createSchool(ctx);
const B = await createSchool(ctx);
await runWorkers(ctx);

const presign = (key: string, size: number) =>
  call(ctx.app, 'POST', '/api/v1/media/presigned', {
    key,
    body: { fileName: 'f.pdf', mimeType: 'application/pdf', size },
  });
const media = async (key: string, id: string) =>
  (await call(ctx.app, 'GET', `/api/v1/media/${id}`, { key })).json() as { status: string; failureReason: string };
/** Moves the upload link's expiry into the past, as if its 15 minutes (and the grace) were over. */
const expireLink = (id: string, minutesAgo: number) =>
  ctx.database.pool.query(`UPDATE media SET upload_expires_at = now() - make_interval(mins => $2::int) WHERE id = $1`, [
    id,
    minutesAgo,
  ]);

describe('abandoned-upload expiry', () => {
  it('is a schedule of its own, every 15 minutes', () => {
    expect(SCHEDULES).toContainEqual({ task: TASKS.expireUploads, match: '*/15 * * * *' });
  });

  it('the quota ignores an abandoned upload at once; presign expires nothing itself', async () => {
    const first = await presign(A.key, 1000);
    expect(first.statusCode).toBe(201);
    // While the link lives, the reservation holds the whole quota.
    expect((await presign(A.key, 1000)).json().details[0].code).toBe('quota_exceeded');
    await expireLink(first.json().mediaId, 2);
    const second = await presign(A.key, 1000);
    expect(second.statusCode).toBe(201);
    // The abandoned row itself is left to the job (which may just have run on its 15-minute tick).
    if (new Date().getMinutes() % 15 !== 0) expect((await media(A.key, first.json().mediaId)).status).toBe('pending');
    await expireLink(second.json().mediaId, 2);
  });

  it('the job expires every school’s abandoned uploads and nothing else', async () => {
    const a = (await presign(A.key, 10)).json().mediaId as string;
    const b = (await presign(B.key, 10)).json().mediaId as string;
    const fresh = (await presign(B.key, 10)).json().mediaId as string;
    const inGrace = (await presign(B.key, 10)).json().mediaId as string;
    await expireLink(a, 2);
    await expireLink(b, 2);
    // Expired less than the minute's grace ago: the client may still be uploading.
    await ctx.database.pool.query(`UPDATE media SET upload_expires_at = now() - interval '10 seconds' WHERE id = $1`, [
      inGrace,
    ]);

    await enqueue(ctx.database.db, { task: TASKS.expireUploads, payload: {} });
    await queueDrained(ctx, TASKS.expireUploads);

    for (const [key, id] of [
      [A.key, a],
      [B.key, b],
    ] as const) {
      expect(await media(key, id)).toMatchObject({
        status: 'failed',
        failureReason: 'The upload link expired before the upload was completed.',
      });
    }
    // Each school hears of its own expired upload (media.failed, the media as GET shows it).
    const failedA = await waitForEvent(ctx, A.key, 'media.failed', (e) => e.data.object.id === a);
    expect(failedA.data.object).toEqual((await call(ctx.app, 'GET', `/api/v1/media/${a}`, { key: A.key })).json());
    expect(failedA.actor).toEqual({ type: 'system', id: null });
    await waitForEvent(ctx, B.key, 'media.failed', (e) => e.data.object.id === b);
    expect((await eventsOf(ctx, A.key, 'media.failed')).some((e) => e.data.object.id === b)).toBe(false);
    expect((await media(B.key, fresh)).status).toBe('pending');
    expect((await media(B.key, inGrace)).status).toBe('pending');
    // The earlier test's two abandoned links went too.
    const { rows } = await ctx.database.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM media WHERE status = 'pending' AND upload_expires_at < now() - interval '1 minute'`,
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('an expired link can no longer be completed or used', async () => {
    const id = (await presign(A.key, 10)).json().mediaId as string;
    await expireLink(id, 2);
    await enqueue(ctx.database.db, { task: TASKS.expireUploads, payload: {} });
    await queueDrained(ctx, TASKS.expireUploads);
    expect((await media(A.key, id)).status).toBe('failed');
    // A failed media frees its bytes from the quota: a full-size reservation fits again.
    expect((await presign(A.key, 990)).statusCode).toBe(201);
  });

  it('an upload that completes records media.ready; one whose bytes do not match records media.failed', async () => {
    const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const C = await createSchool(ctx);
    const put = async (bytes: Buffer) => {
      const res = (await presign(C.key, bytes.length)).json();
      const done = await call(ctx.app, 'PUT', new URL(res.upload.url).pathname, {
        headers: res.upload.headers,
        body: bytes,
      });
      expect(done.statusCode).toBe(200);
      return done.json() as { id: string; status: string };
    };
    const ok = await put(PDF);
    expect(ok.status).toBe('ready');
    const ready = await waitForEvent(ctx, C.key, 'media.ready', (e) => e.data.object.id === ok.id);
    expect(ready.data.object).toMatchObject({ id: ok.id, status: 'ready', mimeType: 'application/pdf' });
    expect(ready.actor).toEqual({ type: 'system', id: null }); // the upload link, not a key, did it
    const bad = await put(Buffer.from('not a pdf at all'));
    expect(bad.status).toBe('failed');
    const failed = await waitForEvent(ctx, C.key, 'media.failed', (e) => e.data.object.id === bad.id);
    expect(failed.data.object).toMatchObject({
      status: 'failed',
      failureReason: expect.stringContaining('does not match'),
    });
  });
});
