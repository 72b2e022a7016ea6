/** Media on the local driver: presigned upload, magic-byte check, signed downloads, limits, isolation. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { call, createKey, createSchool, setupApp } from './helpers.js';
import { queueDrained, runWorkers, waitForEvent } from './jobs-helpers.js';

const ctx = await setupApp({ env: { MAX_UPLOAD_BYTES: '1000000', MEDIA_QUOTA_BYTES: '3000000' } });
const A = await createSchool(ctx);
const B = await createSchool(ctx);
// Image URLs are copied by the queue's workers (media.copy_image), as in `npm start`.
await runWorkers(ctx);

/** A real 1×1 PNG, and a minimal PDF. */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4d00000000049454e44ae426082',
  'hex',
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

async function presign(key: string, body: Record<string, unknown>) {
  return call(ctx.app, 'POST', '/api/v1/media/presigned', { key, body });
}
const pathOf = (url: string) => new URL(url).pathname;

async function upload(key: string, bytes: Buffer, mimeType: string, declared = bytes.length) {
  const res = await presign(key, { fileName: 'f.bin', mimeType, size: declared });
  expect(res.statusCode).toBe(201);
  const { mediaId, upload: target } = res.json();
  const put = await call(ctx.app, 'PUT', pathOf(target.url), { headers: target.headers, body: bytes });
  return { mediaId: mediaId as string, target, put };
}

describe('presigned upload, local driver', () => {
  it('uploads, checks the bytes, and serves them with ranges', async () => {
    const res = await presign(A.key, { fileName: 'pixel.png', mimeType: 'image/png', size: PNG.length });
    expect(res.statusCode).toBe(201);
    const { mediaId, upload: target } = res.json();
    expect(mediaId).toMatch(/^med_/);
    expect(target).toMatchObject({ method: 'PUT', headers: { 'content-type': 'image/png' } });
    expect(new Date(target.expiresAt).getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    expect((await call(ctx.app, 'GET', `/api/v1/media/${mediaId}`, { key: A.key })).json()).toMatchObject({
      status: 'pending',
      url: null,
    });

    const put = await call(ctx.app, 'PUT', pathOf(target.url), { headers: target.headers, body: PNG });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ id: mediaId, status: 'ready', size: PNG.length, mimeType: 'image/png' });

    const got = (await call(ctx.app, 'GET', `/api/v1/media/${mediaId}`, { key: A.key })).json();
    expect(got.url).toMatch(/\/api\/v1\/media-files\//);
    const file = await call(ctx.app, 'GET', pathOf(got.url));
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(PNG)).toBe(true);
    expect(file.headers['content-type']).toBe('image/png');
    const range = await call(ctx.app, 'GET', pathOf(got.url), { headers: { range: 'bytes=1-3' } });
    expect(range.statusCode).toBe(206);
    expect(range.rawPayload.equals(PNG.subarray(1, 4))).toBe(true);
    expect(range.headers['content-range']).toBe(`bytes 1-3/${PNG.length}`);
  });

  it('a URL works once; a tampered or expired one is refused', async () => {
    const { target, put } = await upload(A.key, PNG, 'image/png');
    expect(put.statusCode).toBe(200);
    const again = await call(ctx.app, 'PUT', pathOf(target.url), { headers: target.headers, body: PNG });
    expect(again.statusCode).toBe(403);
    expect(again.json().error).toBe('forbidden');

    const fresh = (await presign(A.key, { fileName: 'x.png', mimeType: 'image/png', size: PNG.length })).json();
    const url = pathOf(fresh.upload.url);
    const at = url.length - 10; // a character in the middle of the signature
    const tampered = url.slice(0, at) + (url[at] === 'A' ? 'B' : 'A') + url.slice(at + 1);
    const bad = await call(ctx.app, 'PUT', tampered, { headers: fresh.upload.headers, body: PNG });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error).toBe('unauthorized');
    const lastChar = url.slice(0, -1) + (url.endsWith('A') ? 'B' : 'A'); // same bytes, other encoding
    expect((await call(ctx.app, 'PUT', lastChar, { headers: fresh.upload.headers, body: PNG })).statusCode).toBe(401);

    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 16 * 60_000 });
    try {
      const late = await call(ctx.app, 'PUT', pathOf(fresh.upload.url), { headers: fresh.upload.headers, body: PNG });
      expect(late.statusCode).toBe(401);
      expect(late.json().message).toMatch(/expired/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a PDF declared as video is rejected and the media marked failed', async () => {
    const { mediaId, put } = await upload(A.key, PDF, 'video/mp4');
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ status: 'failed', url: null });
    expect(put.json().failureReason).toMatch(/application\/pdf.*video\/mp4/);
    const got = (await call(ctx.app, 'GET', `/api/v1/media/${mediaId}`, { key: A.key })).json();
    expect(got.status).toBe('failed');
    expect(existsSync(path.join(ctx.config.dataDir, 'media', A.id, mediaId))).toBe(false);
  });

  it('a Content-Length above the declared size → 413 before anything is read; the link stays usable', async () => {
    const { mediaId, target, put } = await upload(
      A.key,
      Buffer.concat([PDF, Buffer.alloc(100)]),
      'application/pdf',
      PDF.length,
    );
    expect(put.statusCode).toBe(413);
    expect(put.json().error).toBe('payload_too_large');
    expect((await call(ctx.app, 'GET', `/api/v1/media/${mediaId}`, { key: A.key })).json().status).toBe('pending');
    const retry = await call(ctx.app, 'PUT', pathOf(target.url), { headers: target.headers, body: PDF });
    expect(retry.json().status).toBe('ready');
  });

  it('a streamed body that passes the declared size is cut off with 413 and the media failed', async () => {
    // Over a real connection, so the client is seen to get its 413 rather than a reset.
    const { listen } = await import('./helpers.js');
    const base = await listen(ctx.app);
    const res = await presign(A.key, { fileName: 'doc.pdf', mimeType: 'application/pdf', size: PDF.length });
    const { mediaId, upload: target } = res.json();
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(PDF);
        controller.enqueue(new Uint8Array(256 * 1024));
        controller.close();
      },
    });
    const put = await fetch(base + pathOf(target.url), {
      method: 'PUT',
      headers: target.headers,
      body,
      duplex: 'half',
    } as RequestInit);
    expect(put.status).toBe(413);
    expect(((await put.json()) as { error: string }).error).toBe('payload_too_large');
    const got = (await call(ctx.app, 'GET', `/api/v1/media/${mediaId}`, { key: A.key })).json();
    expect(got.status).toBe('failed');
    expect(got.failureReason).toMatch(/larger than/);
  });

  it.each([
    [{ fileName: '', mimeType: 'image/png', size: 1 }, 400, 'fileName'],
    [{ fileName: 'a/b.png', mimeType: 'image/png', size: 1 }, 400, 'fileName'],
    [{ fileName: 'a.png', mimeType: 'png', size: 1 }, 400, 'mimeType'],
    [{ fileName: 'a.png', mimeType: 'image/png', size: 0 }, 400, 'size'],
    [{ fileName: 'a.png', mimeType: 'image/png', size: 1.5 }, 400, 'size'],
    [{ fileName: 'a.png', mimeType: 'image/png', size: 1_000_001 }, 413, 'size'],
    [{ fileName: 'a.png', mimeType: 'image/png', size: 1, schoolId: 'x' }, 400, 'schoolId'],
  ])('%j → %i at %s', async (body, status, p) => {
    const res = await presign(A.key, body);
    expect(res.statusCode).toBe(status);
    expect(res.json().details[0].path).toBe(p);
  });

  it('the school quota counts pending and ready uploads', async () => {
    const Q = await createSchool(ctx);
    for (let i = 0; i < 3; i++)
      expect(
        (await presign(Q.key, { fileName: `${i}.bin`, mimeType: 'application/zip', size: 1_000_000 })).statusCode,
      ).toBe(201);
    const over = await presign(Q.key, { fileName: 'more.bin', mimeType: 'application/zip', size: 1 });
    expect(over.statusCode).toBe(413);
    expect(over.json().details[0]).toMatchObject({ path: 'size', code: 'quota_exceeded' });
  });
});

describe('media API', () => {
  it('lists with type and status filters, deletes with the bytes', async () => {
    const S = await createSchool(ctx);
    const img = await upload(S.key, PNG, 'image/png');
    const pdf = await upload(S.key, PDF, 'application/pdf');
    await upload(S.key, PDF, 'image/png'); // fails the check
    const list = (q: string) => call(ctx.app, 'GET', `/api/v1/media?${q}`, { key: S.key }).then((r) => r.json());
    expect((await list('')).data).toHaveLength(3);
    expect((await list('type=image&status=ready')).data.map((m: { id: string }) => m.id)).toEqual([img.mediaId]);
    expect((await list('type=pdf')).data.map((m: { id: string }) => m.id)).toEqual([pdf.mediaId]);
    expect((await list('status=failed')).data).toHaveLength(1);
    expect((await call(ctx.app, 'GET', '/api/v1/media?type=movie', { key: S.key })).statusCode).toBe(400);
    const del = await call(ctx.app, 'DELETE', `/api/v1/media/${img.mediaId}`, { key: S.key });
    expect(del.statusCode).toBe(204);
    expect(existsSync(path.join(ctx.config.dataDir, 'media', S.id, img.mediaId))).toBe(false);
    expect((await call(ctx.app, 'GET', `/api/v1/media/${img.mediaId}`, { key: S.key })).statusCode).toBe(404);
  });

  it("school B cannot read, complete or delete school A's media; scopes apply", async () => {
    const { mediaId } = await upload(A.key, PNG, 'image/png');
    for (const [method, url] of [
      ['GET', `/api/v1/media/${mediaId}`],
      ['POST', `/api/v1/media/${mediaId}/complete`],
      ['DELETE', `/api/v1/media/${mediaId}`],
    ] as const) {
      const res = await call(ctx.app, method, url, { key: B.key, body: method === 'POST' ? {} : undefined });
      expect(res.statusCode, url).toBe(404);
    }
    expect(
      (await call(ctx.app, 'GET', '/api/v1/media?limit=100', { key: B.key }))
        .json()
        .data.map((m: { id: string }) => m.id),
    ).not.toContain(mediaId);
    const reader = (await createKey(ctx, A.id, ['media:read'])).key;
    expect((await call(ctx.app, 'GET', `/api/v1/media/${mediaId}`, { key: reader })).statusCode).toBe(200);
    expect((await presign(reader, { fileName: 'a.png', mimeType: 'image/png', size: 1 })).statusCode).toBe(403);
    const courses = (await createKey(ctx, A.id, ['courses:*'])).key;
    expect((await call(ctx.app, 'GET', '/api/v1/media', { key: courses })).statusCode).toBe(403);
  });
});

describe('media-backed lessons', () => {
  it('video, audio, pdf and file lessons take ready media of the school that fits; include=lessons.media embeds it', async () => {
    const pdf = await upload(A.key, PDF, 'application/pdf');
    const png = await upload(A.key, PNG, 'image/png');
    const failed = await upload(A.key, PDF, 'video/mp4');
    const pending = (await presign(A.key, { fileName: 'p.pdf', mimeType: 'application/pdf', size: 10 })).json().mediaId;
    const foreign = await upload(B.key, PDF, 'application/pdf');
    const course = (
      await call(ctx.app, 'POST', '/api/v1/courses', { key: A.key, body: { title: 'With media' } })
    ).json();
    const lesson = (body: unknown) =>
      call(ctx.app, 'POST', `/api/v1/courses/${course.id}/lessons`, { key: A.key, body });

    const ok = await lesson({ title: 'Slides', type: 'pdf', media: { mediaId: pdf.mediaId }, downloadable: true });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ type: 'pdf', mediaId: pdf.mediaId, downloadable: true });
    expect((await lesson({ title: 'Any file', type: 'file', media: { mediaId: png.mediaId } })).statusCode).toBe(201);

    for (const [body, message] of [
      [{ title: 'x', type: 'pdf' }, /needs media/],
      [{ title: 'x', type: 'video', media: { mediaId: pdf.mediaId } }, /does not fit/],
      [{ title: 'x', type: 'audio', media: { mediaId: png.mediaId } }, /does not fit/],
      [{ title: 'x', type: 'pdf', media: { mediaId: failed.mediaId } }, /failed, not ready/],
      [{ title: 'x', type: 'pdf', media: { mediaId: pending } }, /pending, not ready/],
      [{ title: 'x', type: 'pdf', media: { mediaId: foreign.mediaId } }, /No such media/],
      [{ title: 'x', type: 'text', media: { mediaId: pdf.mediaId } }, /has no media/],
    ] as const) {
      const res = await lesson(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().details[0].message).toMatch(message);
    }

    const doc = (
      await call(ctx.app, 'GET', `/api/v1/courses/${course.id}?include=lessons.media`, { key: A.key })
    ).json();
    expect(doc.unsectionedLessons[0].media).toMatchObject({
      object: 'media',
      id: pdf.mediaId,
      mimeType: 'application/pdf',
      status: 'ready',
    });

    // Media in use cannot be deleted; once the lesson is gone it can.
    const inUse = await call(ctx.app, 'DELETE', `/api/v1/media/${pdf.mediaId}`, { key: A.key });
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().error).toBe('conflict');
    await call(ctx.app, 'DELETE', `/api/v1/courses/${course.id}/lessons/${ok.json().id}`, { key: A.key });
    expect((await call(ctx.app, 'DELETE', `/api/v1/media/${pdf.mediaId}`, { key: A.key })).statusCode).toBe(204);
  });
});

describe('per-school limits', () => {
  it('PATCH /school sets the school’s own file size and quota limits', async () => {
    const S = await createSchool(ctx);
    const school = (await call(ctx.app, 'GET', '/api/v1/school', { key: S.key })).json();
    expect(school).toMatchObject({ maxUploadBytes: 1_000_000, mediaQuotaBytes: 3_000_000 });
    const patched = await call(ctx.app, 'PATCH', '/api/v1/school', {
      key: S.key,
      body: { maxUploadBytes: 100, mediaQuotaBytes: 150 },
    });
    expect(patched.json()).toMatchObject({ maxUploadBytes: 100, mediaQuotaBytes: 150 });
    expect(
      (await presign(S.key, { fileName: 'a', mimeType: 'application/zip', size: 101 })).json().details[0].path,
    ).toBe('size');
    expect((await presign(S.key, { fileName: 'a', mimeType: 'application/zip', size: 100 })).statusCode).toBe(201);
    const quota = await presign(S.key, { fileName: 'b', mimeType: 'application/zip', size: 100 });
    expect(quota.statusCode).toBe(413);
    expect(quota.json().details[0].code).toBe('quota_exceeded');
    for (const body of [{ maxUploadBytes: 0 }, { mediaQuotaBytes: -1 }, { maxUploadBytes: 1.5 }]) {
      expect((await call(ctx.app, 'PATCH', '/api/v1/school', { key: S.key, body })).statusCode).toBe(400);
    }
    const reset = await call(ctx.app, 'PATCH', '/api/v1/school', {
      key: S.key,
      body: { maxUploadBytes: null, mediaQuotaBytes: null },
    });
    expect(reset.json()).toMatchObject({ maxUploadBytes: 1_000_000, mediaQuotaBytes: 3_000_000 });
  });
});

/** The media.ready event of the copy made for `targetId` (the target's own updated event names it). */
async function copiedFor(type: 'course' | 'section' | 'lesson', targetId: string) {
  const field = { course: 'featuredImage', section: 'posterMediaId', lesson: 'thumbnailMediaId' }[type];
  const updated = await waitForEvent(
    ctx,
    A.key,
    `${type}.updated`,
    (e) => e.data.object.id === targetId && e.data.previousAttributes?.[field] === null,
  );
  const mediaId =
    type === 'course'
      ? (updated.data.object.featuredImage as { mediaId: string }).mediaId
      : (updated.data.object[field] as string);
  const ready = await waitForEvent(ctx, A.key, 'media.ready', (e) => e.data.object.id === mediaId);
  return ready.data.object as { id: string; status: string; mimeType: string; size: number };
}

describe('images from URLs (copied as media in the background, SSRF-safe)', () => {
  it('lesson thumbnails, section posters and course images are fetched and kept as media', async () => {
    const { strayConnections } = await import('./helpers.js');
    const course = await call(ctx.app, 'POST', '/api/v1/courses', {
      key: A.key,
      body: {
        title: 'Pictures',
        thumbnailUrl: 'http://cdn.example.com/cover.png',
        sections: [
          {
            title: 'S',
            posterImageUrl: 'http://cdn.example.com/poster.png',
            lessons: [{ title: 'L', thumbnailUrl: 'http://cdn.example.com/thumb.png' }],
          },
        ],
      },
    });
    expect(course.statusCode).toBe(201);
    const c = course.json();
    // The write answers at once with the URLs as sent; the copies follow.
    expect(c.thumbnailUrl).toBe('http://cdn.example.com/cover.png');
    expect(c.sections[0].posterImageUrl).toBe('http://cdn.example.com/poster.png');
    const copies = [
      await copiedFor('course', c.id),
      await copiedFor('section', c.sections[0].id),
      await copiedFor('lesson', c.sections[0].lessons[0].id),
    ];
    for (const m of copies) expect(m).toMatchObject({ status: 'ready', mimeType: 'image/png', size: PNG.length });
    const after = (await call(ctx.app, 'GET', `/api/v1/courses/${c.id}`, { key: A.key })).json();
    const ids = [
      after.featuredImage.mediaId,
      after.sections[0].posterMediaId,
      after.sections[0].lessons[0].thumbnailMediaId,
    ];
    expect(ids).toEqual(copies.map((m) => m.id));
    for (const id of ids) {
      const m = (await call(ctx.app, 'GET', `/api/v1/media/${id}`, { key: A.key })).json();
      expect(m).toMatchObject({ status: 'ready', mimeType: 'image/png', size: PNG.length });
      expect((await call(ctx.app, 'GET', pathOf(m.url))).rawPayload.equals(PNG)).toBe(true);
    }
    expect(ids[0]).not.toBe(ids[1]);
    expect(strayConnections).toEqual([]);
  });

  it.each([
    ['http://internal.example.com/x.png', 'url_not_allowed'], // resolves to 10.0.0.1
    ['http://127.0.0.1:9/x.png', 'url_not_allowed'],
    ['http://[::1]/x.png', 'url_not_allowed'],
    ['http://169.254.169.254/latest/meta-data', 'url_not_allowed'],
    ['http://cdn.example.com/redirect-internal', 'url_not_allowed'],
    ['http://cdn.example.com/text', 'not_an_image'],
  ])('%s is refused (%s): the write succeeds, media.failed is recorded, nothing is stored', async (url, code) => {
    const { strayConnections } = await import('./helpers.js');
    const course = (
      await call(ctx.app, 'POST', '/api/v1/courses', { key: A.key, body: { title: `Refused ${url}` } })
    ).json();
    const before = (await call(ctx.app, 'GET', '/api/v1/media?limit=100', { key: A.key })).json().pagination.total;
    const res = await call(ctx.app, 'POST', `/api/v1/courses/${course.id}/lessons`, {
      key: A.key,
      body: { title: 'L', thumbnailUrl: url },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ thumbnailUrl: url, thumbnailMediaId: null });
    const failed = await waitForEvent(
      ctx,
      A.key,
      'media.failed',
      (e) => (e.data.object.target as { id: string } | undefined)?.id === res.json().id,
    );
    expect(failed.data.object).toMatchObject({ url, target: { type: 'lesson', id: res.json().id }, code });
    expect(failed.data.object.reason).toEqual(expect.any(String));
    await queueDrained(ctx, 'media.copy_image');
    expect((await call(ctx.app, 'GET', '/api/v1/media?limit=100', { key: A.key })).json().pagination.total).toBe(
      before,
    );
    const lesson = await call(ctx.app, 'GET', `/api/v1/courses/${course.id}/lessons/${res.json().id}`, { key: A.key });
    expect(lesson.json()).toMatchObject({ thumbnailUrl: url, thumbnailMediaId: null });
    expect(strayConnections).toEqual([]);
  });

  it('featuredImage takes an uploaded image of the school', async () => {
    const img = await upload(A.key, PNG, 'image/png');
    const pdf = await upload(A.key, PDF, 'application/pdf');
    const ok = await call(ctx.app, 'POST', '/api/v1/courses', {
      key: A.key,
      body: { title: 'Featured', featuredImage: { mediaId: img.mediaId } },
    });
    expect(ok.json().featuredImage).toEqual({ mediaId: img.mediaId });
    const bad = await call(ctx.app, 'POST', '/api/v1/courses', {
      key: A.key,
      body: { title: 'Featured pdf', featuredImage: { mediaId: pdf.mediaId } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details[0].path).toBe('featuredImage.mediaId');
  });
});

describe('review follow-ups', () => {
  it('uploaded HTML is served as an attachment, sandboxed and nosniff', async () => {
    const html = Buffer.from('<script>fetch("/api/v1/api-keys",{method:"POST"})</script>');
    const { mediaId, put } = await upload(A.key, html, 'text/html');
    expect(put.json().status).toBe('ready');
    const url = (await call(ctx.app, 'GET', `/api/v1/media/${mediaId}`, { key: A.key })).json().url;
    const res = await call(ctx.app, 'GET', pathOf(url));
    expect(res.headers['content-disposition']).toMatch(/^attachment;/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain('sandbox');
    const png = (
      await call(ctx.app, 'GET', `/api/v1/media/${(await upload(A.key, PNG, 'image/png')).mediaId}`, { key: A.key })
    ).json().url;
    expect((await call(ctx.app, 'GET', pathOf(png))).headers['content-disposition']).toMatch(/^inline;/);
  });

  it('forged download links are 401; an unsatisfiable range is 416', async () => {
    const url = (
      await call(ctx.app, 'GET', `/api/v1/media/${(await upload(A.key, PNG, 'image/png')).mediaId}`, { key: A.key })
    ).json().url;
    const p = pathOf(url);
    const at = p.length - 10;
    expect(
      (await call(ctx.app, 'GET', p.slice(0, at) + (p[at] === 'A' ? 'B' : 'A') + p.slice(at + 1))).statusCode,
    ).toBe(401);
    const upload2 = (await presign(A.key, { fileName: 'x.png', mimeType: 'image/png', size: 10 })).json();
    const asDownload = pathOf(upload2.upload.url).replace('/uploads/', '/media-files/');
    expect((await call(ctx.app, 'GET', asDownload)).statusCode).toBe(401); // an upload token is not a download token
    const range = await call(ctx.app, 'GET', p, { headers: { range: 'bytes=500-600' } });
    expect(range.statusCode).toBe(416);
  });

  it('a client that aborts mid-upload frees the request (the media fails)', async () => {
    const { listen } = await import('./helpers.js');
    const http = await import('node:http');
    const base = await listen(ctx.app);
    const { mediaId, upload: target } = (
      await presign(A.key, { fileName: 'big.pdf', mimeType: 'application/pdf', size: 1_000_000 })
    ).json();
    await new Promise<void>((resolve) => {
      const req = http.request(base + pathOf(target.url), {
        method: 'PUT',
        headers: { ...target.headers, 'content-length': '1000000' },
      });
      req.on('error', () => resolve());
      req.write(PDF);
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    let status = 'pending';
    for (let i = 0; i < 50 && status === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await call(ctx.app, 'GET', `/api/v1/media/${mediaId}`, { key: A.key })).json().status;
    }
    expect(status).toBe('failed');
    const incoming = path.join(ctx.config.dataDir, 'media', '.incoming');
    const { readdirSync } = await import('node:fs');
    expect(existsSync(incoming) ? readdirSync(incoming) : []).toEqual([]);
  });

  it('media in use as a course image or thumbnail cannot be deleted; replaced copies are removed', async () => {
    const img = await upload(A.key, PNG, 'image/png');
    const course = (
      await call(ctx.app, 'POST', '/api/v1/courses', {
        key: A.key,
        body: { title: 'Featured use', featuredImage: { mediaId: img.mediaId } },
      })
    ).json();
    expect((await call(ctx.app, 'DELETE', `/api/v1/media/${img.mediaId}`, { key: A.key })).statusCode).toBe(409);
    const lesson = (
      await call(ctx.app, 'POST', `/api/v1/courses/${course.id}/lessons`, {
        key: A.key,
        body: { title: 'T', thumbnailUrl: 'http://cdn.example.com/one.png' },
      })
    ).json();
    const first = (await copiedFor('lesson', lesson.id)).id;
    expect((await call(ctx.app, 'DELETE', `/api/v1/media/${first}`, { key: A.key })).statusCode).toBe(409);
    const replaced = (
      await call(ctx.app, 'PATCH', `/api/v1/courses/${course.id}/lessons/${lesson.id}`, {
        key: A.key,
        body: { thumbnailUrl: 'http://cdn.example.com/two.png' },
      })
    ).json();
    // The old copy is gone with the old URL; the new one follows.
    expect(replaced.thumbnailMediaId).toBeNull();
    expect((await call(ctx.app, 'GET', `/api/v1/media/${first}`, { key: A.key })).statusCode).toBe(404);
    await waitForEvent(
      ctx,
      A.key,
      'lesson.updated',
      (e) =>
        e.data.object.id === lesson.id && !!e.data.object.thumbnailMediaId && e.data.object.thumbnailMediaId !== first,
    );
  });

  it('a failed request queues no image copy and leaves no media behind', async () => {
    const before = (await call(ctx.app, 'GET', '/api/v1/media?limit=100&type=image', { key: A.key })).json().pagination
      .total;
    const res = await call(ctx.app, 'POST', '/api/v1/courses', {
      key: A.key,
      body: {
        title: 'Half',
        sections: [
          {
            title: 'S',
            lessons: [
              { title: 'ok', thumbnailUrl: 'http://cdn.example.com/a.png' },
              { title: 'bad', thumbnailUrl: 'http://cdn.example.com/b.png', type: 'audio' },
            ],
          },
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().details[0].path).toBe('sections.0.lessons.1.media');
    await queueDrained(ctx, 'media.copy_image');
    expect(
      (await call(ctx.app, 'GET', '/api/v1/media?limit=100&type=image', { key: A.key })).json().pagination.total,
    ).toBe(before);
  });

  it('changing a lesson type checks its media again', async () => {
    const vid = Buffer.concat([
      Buffer.from('000000206674797069736f6d0000020069736f6d69736f32617663316d703431', 'hex'),
      Buffer.alloc(64),
    ]);
    const video = await upload(A.key, vid, 'video/mp4');
    expect(video.put.json().status).toBe('ready');
    const course = (await call(ctx.app, 'POST', '/api/v1/courses', { key: A.key, body: { title: 'Retype' } })).json();
    const lesson = (
      await call(ctx.app, 'POST', `/api/v1/courses/${course.id}/lessons`, {
        key: A.key,
        body: { title: 'V', type: 'video', media: { mediaId: video.mediaId } },
      })
    ).json();
    const toAudio = await call(ctx.app, 'PATCH', `/api/v1/courses/${course.id}/lessons/${lesson.id}`, {
      key: A.key,
      body: { type: 'pdf' },
    });
    expect(toAudio.statusCode).toBe(400);
    expect(toAudio.json().details[0]).toMatchObject({ path: 'type' });
    expect(
      (
        await call(ctx.app, 'PATCH', `/api/v1/courses/${course.id}/lessons/${lesson.id}`, {
          key: A.key,
          body: { type: 'file' },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('DELETE honours If-Match', async () => {
    const { mediaId } = await upload(A.key, PNG, 'image/png');
    const stale = await call(ctx.app, 'DELETE', `/api/v1/media/${mediaId}`, {
      key: A.key,
      headers: { 'if-match': '"med_x.1"' },
    });
    expect(stale.statusCode).toBe(412);
  });
});

describe('media concurrency (real connections)', () => {
  it('concurrent PUTs to one link: one succeeds, the others are refused', async () => {
    const { listen } = await import('./helpers.js');
    const base = await listen(ctx.app);
    const { upload: target } = (
      await presign(A.key, { fileName: 'c.png', mimeType: 'image/png', size: PNG.length })
    ).json();
    const statuses = await Promise.all(
      Array.from({ length: 6 }, () =>
        fetch(base + pathOf(target.url), { method: 'PUT', headers: target.headers, body: new Uint8Array(PNG) }).then(
          (r) => r.status,
        ),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 403)).toHaveLength(5);
  });

  it('concurrent presigns cannot pass the quota together', async () => {
    const { listen } = await import('./helpers.js');
    const base = await listen(ctx.app);
    const Q = await createSchool(ctx);
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        fetch(`${base}/api/v1/media/presigned`, {
          method: 'POST',
          headers: { authorization: `Bearer ${Q.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ fileName: `${i}.zip`, mimeType: 'application/zip', size: 1_000_000 }),
        }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 413)).toHaveLength(3);
  });
});
