/**
 * Media on S3 (issue 11): `complete` moves only the version it checked, and abandoned uploads'
 * staged objects are deleted. s3rver ignores x-amz-copy-source-if-match, so a small proxy in front
 * of it evaluates that condition as S3 does (412 PreconditionFailed when the source's ETag differs)
 * and lets a test act at the moment the copy arrives, between the check and the move.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { afterAll, describe, expect, it } from 'vitest';
import { media } from '../src/db/schema/index.js';
import { createS3Driver } from '../src/modules/media/storage/s3.js';
import { call, createSchool, PNG, setupApp } from './helpers.js';

const BUCKET = 'security-test';
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-s3rver-'));
const s3rver = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory: dir,
  silent: true,
  configureBuckets: [{ name: BUCKET }],
});
const { port: s3Port } = (await s3rver.run()) as AddressInfo;

/** Copy requests seen by the proxy, with the condition each carried. */
const copies: { source: string; ifMatch: string | undefined }[] = [];
/** Run once when the next copy request arrives, before its condition is evaluated. */
let beforeNextCopy: (() => Promise<void>) | undefined;
const unquote = (etag: string | null | undefined) => etag?.replace(/"/g, '');

const proxy = http.createServer((req, res) => {
  const source = req.headers['x-amz-copy-source'];
  const forward = () => {
    const upstream = http.request(
      { host: '127.0.0.1', port: s3Port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    upstream.on('error', (err) => res.destroy(err));
    req.pipe(upstream);
  };
  if (req.method !== 'PUT' || typeof source !== 'string') return forward();
  const ifMatch = req.headers['x-amz-copy-source-if-match'] as string | undefined;
  copies.push({ source, ifMatch });
  void (async () => {
    const hook = beforeNextCopy;
    beforeNextCopy = undefined;
    await hook?.();
    if (ifMatch !== undefined) {
      const head = await fetch(`http://127.0.0.1:${s3Port}/${source.replace(/^\//, '')}`, { method: 'HEAD' });
      if (!head.ok || unquote(head.headers.get('etag')) !== unquote(ifMatch)) {
        req.resume();
        res.writeHead(412, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>',
        );
        return;
      }
    }
    forward();
  })();
});
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
const proxyPort = (proxy.address() as AddressInfo).port;

/** The bucket seen directly (not through the proxy), to check what it holds. */
const bucket = createS3Driver({
  bucket: BUCKET,
  endpoint: `http://127.0.0.1:${s3Port}`,
  region: 'us-east-1',
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
  forcePathStyle: true,
});

afterAll(async () => {
  bucket.close();
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await s3rver.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const ctx = await setupApp({
  env: {
    S3_BUCKET: BUCKET,
    S3_ENDPOINT: `http://127.0.0.1:${proxyPort}`,
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
  },
});
const A = await createSchool(ctx);

async function presign(bytes: Buffer, mimeType = 'image/png') {
  const res = await call(ctx.app, 'POST', '/api/v1/media/presigned', {
    key: A.key,
    body: { fileName: 'f.png', mimeType, size: bytes.length },
  });
  expect(res.statusCode).toBe(201);
  return res.json() as { mediaId: string; upload: { url: string; headers: Record<string, string> } };
}
const put = async (upload: { url: string; headers: Record<string, string> }, bytes: Buffer) =>
  (await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: new Uint8Array(bytes) })).status;
const complete = (id: string) => call(ctx.app, 'POST', `/api/v1/media/${id}/complete`, { key: A.key, body: {} });
const mediaRow = async (id: string) =>
  (
    await ctx.database.db
      .select()
      .from(media)
      .where(and(eq(media.schoolId, A.id), eq(media.id, id)))
  )[0]!;

describe('complete moves only the version it checked', () => {
  it('copies with CopySourceIfMatch on the ETag of the checked bytes; an untouched upload becomes ready', async () => {
    const { mediaId, upload } = await presign(PNG);
    expect(await put(upload, PNG)).toBe(200);
    const staged = await fetch(`http://127.0.0.1:${s3Port}/${BUCKET}/${A.id}/${mediaId}.upload`, { method: 'HEAD' });
    const done = await complete(mediaId);
    expect(done.statusCode).toBe(200);
    expect(done.json().status).toBe('ready');
    const copy = copies.at(-1)!;
    expect(copy.source).toContain(`${mediaId}.upload`);
    expect(unquote(copy.ifMatch)).toBe(unquote(staged.headers.get('etag')));
    expect(await bucket.stat(`${A.id}/${mediaId}`)).toMatchObject({ size: PNG.length });
  });

  it('a second PUT between the check and the move makes complete fail: nothing unchecked becomes ready', async () => {
    const { mediaId, upload } = await presign(PNG);
    expect(await put(upload, PNG)).toBe(200);
    const evil = Buffer.alloc(PNG.length, 0x41); // same length and type header: the link allows it
    beforeNextCopy = async () => {
      expect(await put(upload, evil)).toBe(200);
    };
    const raced = await complete(mediaId);
    expect(raced.statusCode).toBe(409);
    expect(raced.json()).toMatchObject({ error: 'conflict', message: expect.stringMatching(/replaced/) });
    expect((await mediaRow(mediaId)).status).toBe('pending');
    expect(await bucket.stat(`${A.id}/${mediaId}`)).toBeNull(); // nothing reached the final key

    // Called again, complete checks the bytes now staged: they are not a PNG.
    const again = await complete(mediaId);
    expect(again.statusCode).toBe(200);
    expect(again.json().status).toBe('failed');
    expect(await bucket.stat(`${A.id}/${mediaId}`)).toBeNull();
  });
});

describe('abandoned uploads', () => {
  it('an expired upload link that was used but never completed: its staged object is deleted', async () => {
    const { mediaId, upload } = await presign(PNG);
    expect(await put(upload, PNG)).toBe(200);
    const stagedKey = `${A.id}/${mediaId}.upload`;
    expect(await bucket.stat(stagedKey)).not.toBeNull();
    // The link expired two minutes ago (past the minute of grace).
    await ctx.database.db
      .update(media)
      .set({ uploadExpiresAt: new Date(Date.now() - 120_000) })
      .where(eq(media.id, mediaId));
    expect(await ctx.services.media.expireAbandonedUploads(A.id)).toBe(1);
    expect(await bucket.stat(stagedKey)).toBeNull();
    expect(await mediaRow(mediaId)).toMatchObject({
      status: 'failed',
      failureReason: expect.stringMatching(/expired/),
    });
    expect(await ctx.services.media.expireAbandonedUploads(A.id)).toBe(0);
  });

  it('the expiry job cleans up (a presign no longer does), and a late complete finds the media failed', async () => {
    const first = await presign(PNG);
    expect(await put(first.upload, PNG)).toBe(200);
    await ctx.database.db
      .update(media)
      .set({ uploadExpiresAt: new Date(Date.now() - 120_000) })
      .where(eq(media.id, first.mediaId));
    await presign(PNG);
    // The presign leaves the abandoned upload to the scheduled job (media.expire_uploads).
    expect(await bucket.stat(`${A.id}/${first.mediaId}.upload`)).not.toBeNull();
    expect(await ctx.services.media.expireAbandonedUploadsEverywhere()).toBeGreaterThanOrEqual(1);
    expect(await bucket.stat(`${A.id}/${first.mediaId}.upload`)).toBeNull();
    const late = await complete(first.mediaId);
    expect(late.statusCode).toBe(200);
    expect(late.json().status).toBe('failed');

    const second = await presign(PNG);
    expect(await put(second.upload, PNG)).toBe(200);
    await ctx.database.db
      .update(media)
      .set({ uploadExpiresAt: new Date(Date.now() - 120_000) })
      .where(eq(media.id, second.mediaId));
    // complete itself sees the abandoned link and cleans up instead of checking
    const expired = await complete(second.mediaId);
    expect(expired.json().status).toBe('failed');
    expect(await bucket.stat(`${A.id}/${second.mediaId}.upload`)).toBeNull();
    expect(await bucket.stat(`${A.id}/${second.mediaId}`)).toBeNull();
  });

  it('a link within its time is left alone', async () => {
    const { mediaId, upload } = await presign(PNG);
    expect(await put(upload, PNG)).toBe(200);
    await ctx.services.media.expireAbandonedUploads(A.id);
    expect(await bucket.stat(`${A.id}/${mediaId}.upload`)).not.toBeNull();
    expect((await complete(mediaId)).json().status).toBe('ready');
  });
});

describe('signed download links', () => {
  it('the presigned GET answers Cache-Control: private, no-store', async () => {
    const { mediaId, upload } = await presign(PNG);
    await put(upload, PNG);
    const url = (await complete(mediaId)).json().url as string;
    expect(new URL(url).searchParams.get('response-cache-control')).toBe('private, no-store');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
  });
});
