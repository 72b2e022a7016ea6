/**
 * Signed media answers are never cached (issue 11): a signed link is a credential for one caller,
 * so the bytes it serves (whole, ranges, revalidations) and the upload answer that carries a
 * download link say `Cache-Control: private, no-store`. Local driver; S3 is in security-s3.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { call, createSchool, PNG, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const pathOf = (url: string) => new URL(url).pathname;

describe('Cache-Control on signed media', () => {
  it('the upload answer and every download answer say private, no-store', async () => {
    const res = await call(ctx.app, 'POST', '/api/v1/media/presigned', {
      key: A.key,
      body: { fileName: 'pixel.png', mimeType: 'image/png', size: PNG.length },
    });
    expect(res.headers['cache-control']).toBe('private, no-store');
    const { upload } = res.json();
    const put = await call(ctx.app, 'PUT', pathOf(upload.url), { headers: upload.headers, body: PNG });
    expect(put.statusCode).toBe(200);
    expect(put.json().url).toMatch(/\/media-files\//);
    expect(put.headers['cache-control']).toBe('private, no-store');

    const url = pathOf(put.json().url);
    const whole = await call(ctx.app, 'GET', url);
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['cache-control']).toBe('private, no-store');
    const range = await call(ctx.app, 'GET', url, { headers: { range: 'bytes=0-3' } });
    expect(range.statusCode).toBe(206);
    expect(range.headers['cache-control']).toBe('private, no-store');
    const revalidate = await call(ctx.app, 'GET', url, { headers: { 'if-none-match': whole.headers.etag as string } });
    expect(revalidate.statusCode).toBe(304);
    expect(revalidate.headers['cache-control']).toBe('private, no-store');
  });
});
