/** The media flow over HTTP with the S3 driver, against a local s3rver (only 127.0.0.1 is used). */
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { afterAll, describe, expect, it } from 'vitest';
import { call, createSchool, setupApp } from './helpers.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-s3rver-'));
const s3rver = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory: dir,
  silent: true,
  configureBuckets: [{ name: 'media-test' }],
});
const { port } = (await s3rver.run()) as AddressInfo;
afterAll(async () => {
  await s3rver.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const ctx = await setupApp({
  env: {
    S3_BUCKET: 'media-test',
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
  },
});
const A = await createSchool(ctx);
const B = await createSchool(ctx);
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4d00000000049454e44ae426082',
  'hex',
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

async function presignAndPut(bytes: Buffer, mimeType: string) {
  const res = await call(ctx.app, 'POST', '/api/v1/media/presigned', {
    key: A.key,
    body: { fileName: 'f', mimeType, size: bytes.length },
  });
  expect(res.statusCode).toBe(201);
  const { mediaId, upload } = res.json();
  expect(new URL(upload.url).host).toBe(`127.0.0.1:${port}`);
  expect(new URL(upload.url).searchParams.get('X-Amz-SignedHeaders')).toContain('content-length');
  const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: new Uint8Array(bytes) });
  expect(put.status).toBe(200);
  return mediaId as string;
}

describe('media on S3', () => {
  it('presigned PUT, then complete checks the object and marks it ready; the URL serves the bytes', async () => {
    const id = await presignAndPut(PNG, 'image/png');
    expect((await call(ctx.app, 'GET', `/api/v1/media/${id}`, { key: A.key })).json().status).toBe('pending');
    const done = await call(ctx.app, 'POST', `/api/v1/media/${id}/complete`, { key: A.key, body: {} });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ status: 'ready', size: PNG.length });
    const bytes = Buffer.from(await (await fetch(done.json().url)).arrayBuffer());
    expect(bytes.equals(PNG)).toBe(true);
    const range = await fetch(done.json().url, { headers: { range: 'bytes=0-3' } });
    expect(range.status).toBe(206);
    const del = await call(ctx.app, 'DELETE', `/api/v1/media/${id}`, { key: A.key });
    expect(del.statusCode).toBe(204);
  });

  it('complete before any upload is 409; a PDF declared as an image fails', async () => {
    const res = await call(ctx.app, 'POST', '/api/v1/media/presigned', {
      key: A.key,
      body: { fileName: 'x.png', mimeType: 'image/png', size: 10 },
    });
    const early = await call(ctx.app, 'POST', `/api/v1/media/${res.json().mediaId}/complete`, { key: A.key, body: {} });
    expect(early.statusCode).toBe(409);
    const id = await presignAndPut(PDF, 'image/png');
    const done = await call(ctx.app, 'POST', `/api/v1/media/${id}/complete`, { key: A.key, body: {} });
    expect(done.json()).toMatchObject({ status: 'failed' });
  });

  it("school B cannot complete school A's upload", async () => {
    const id = await presignAndPut(PNG, 'image/png');
    expect((await call(ctx.app, 'POST', `/api/v1/media/${id}/complete`, { key: B.key, body: {} })).statusCode).toBe(
      404,
    );
    expect((await call(ctx.app, 'GET', `/api/v1/media/${id}`, { key: A.key })).json().status).toBe('pending');
  });
});

describe('S3 review follow-ups', () => {
  it('a second PUT to the link after complete cannot replace the checked bytes', async () => {
    const res = await call(ctx.app, 'POST', '/api/v1/media/presigned', {
      key: A.key,
      body: { fileName: 'p.png', mimeType: 'image/png', size: PNG.length },
    });
    const { mediaId, upload } = res.json();
    await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: new Uint8Array(PNG) });
    const done = (await call(ctx.app, 'POST', `/api/v1/media/${mediaId}/complete`, { key: A.key, body: {} })).json();
    expect(done.status).toBe('ready');
    const evil = Buffer.alloc(PNG.length, 0x41);
    await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: new Uint8Array(evil) });
    const bytes = Buffer.from(
      await (
        await fetch((await call(ctx.app, 'GET', `/api/v1/media/${mediaId}`, { key: A.key })).json().url)
      ).arrayBuffer(),
    );
    expect(bytes.equals(PNG)).toBe(true);
  });
});
