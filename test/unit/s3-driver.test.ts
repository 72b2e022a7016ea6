import { createHash, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectChangedError } from '../../src/modules/media/storage/driver.js';
import { contentDisposition, createS3Driver, type S3Driver } from '../../src/modules/media/storage/s3.js';

/*
 * The driver against s3rver, a local S3-compatible server (only ever on 127.0.0.1).
 *
 * What s3rver 3.7 checks (lib/middleware/authentication.js): that a V4 presigned URL is well formed,
 * names a known access key and has not expired (X-Amz-Date + X-Amz-Expires) — but it does NOT
 * compute V4 signatures ("Signature version 4 calculation is unimplemeneted"), so it accepts a
 * tampered signature and a body whose Content-Type or Content-Length differs from the signed ones.
 * Real S3 refuses those (403 SignatureDoesNotMatch) because the signature covers the headers listed
 * in X-Amz-SignedHeaders. So the signature tests go through a small proxy in front of s3rver that
 * checks presigned requests exactly as S3 does (an independent SigV4 implementation below, which
 * must also accept the SDK's untampered URLs) and forwards only the good ones.
 */

type S3rverInstance = { run(): Promise<AddressInfo>; close(): Promise<void> };
type S3rverClass = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;
// s3rver ships no type declarations.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

const BUCKET = 'test-bucket';
const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';
const REGION = 'us-east-1';

let dir: string;
let s3rver: S3rverInstance;
let s3Port: number;
let proxy: http.Server;
let proxyPort: number;
let driver: S3Driver;
/** The same bucket, addressed through the signature-checking proxy. */
let checkedDriver: S3Driver;

function makeDriver(port: number): S3Driver {
  return createS3Driver({
    bucket: BUCKET,
    endpoint: `http://127.0.0.1:${port}`,
    region: REGION,
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    forcePathStyle: true,
  });
}

// --- an independent SigV4 check of presigned (query-string) requests, as S3 does it ---------------

const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

/** Null when the presigned request is valid, else why S3 would refuse it. */
function presignedRequestError(req: http.IncomingMessage, secretKey: string): string | null {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const pairs = (q === -1 ? '' : rawUrl.slice(q + 1))
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      const k = eq === -1 ? p : p.slice(0, eq);
      const v = eq === -1 ? '' : p.slice(eq + 1);
      return [decodeURIComponent(k), decodeURIComponent(v)] as const;
    });
  const param = (name: string) => pairs.find(([k]) => k === name)?.[1];
  const signature = param('X-Amz-Signature');
  const credential = param('X-Amz-Credential');
  const amzDate = param('X-Amz-Date');
  const expires = param('X-Amz-Expires');
  const signedHeaders = param('X-Amz-SignedHeaders');
  if (!signature || !credential || !amzDate || !expires || !signedHeaders) return 'AuthorizationQueryParametersError';

  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) return 'AuthorizationQueryParametersError';
  const signedAt = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Date.now() > signedAt + Number(expires) * 1000) return 'Request has expired';

  const canonicalQuery = pairs
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headerNames = signedHeaders.split(';');
  const canonicalHeaders: string[] = [];
  for (const name of headerNames) {
    const value = req.headers[name];
    if (typeof value !== 'string') return `SignatureDoesNotMatch (no ${name} header)`;
    canonicalHeaders.push(`${name}:${value.trim().replace(/\s+/g, ' ')}\n`);
  }
  const canonicalRequest = [
    req.method,
    rawPath,
    canonicalQuery,
    canonicalHeaders.join(''),
    signedHeaders,
    param('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');

  const [, date, region, service, terminator] = credential.split('/');
  if (!date || !region || !service || terminator !== 'aws4_request') return 'AuthorizationQueryParametersError';
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretKey}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return expected === signature ? null : 'SignatureDoesNotMatch';
}

/** Forwards to s3rver; presigned requests only when their signature checks out. */
function startCheckingProxy(upstreamPort: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const presigned = (req.url ?? '').includes('X-Amz-Algorithm=');
    const error = presigned ? presignedRequestError(req, SECRET_KEY) : null;
    if (error) {
      req.resume();
      req.on('end', () => {
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${error}</Message></Error>`,
        );
      });
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    upstream.on('error', (err) => res.destroy(err));
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-s3rver-'));
  s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: dir,
    silent: true,
    configureBuckets: [{ name: BUCKET }],
  });
  s3Port = (await s3rver.run()).port;
  proxy = await startCheckingProxy(s3Port);
  proxyPort = (proxy.address() as AddressInfo).port;
  driver = makeDriver(s3Port);
  checkedDriver = makeDriver(proxyPort);
});

afterAll(async () => {
  driver?.close();
  checkedDriver?.close();
  if (proxy) {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  }
  await s3rver?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(48)]);
const in15min = () => new Date(Date.now() + 15 * 60_000);
const uniqueKey = () => `school-1/${randomBytes(8).toString('hex')}`;

async function presignedPut(
  d: S3Driver,
  key: string,
  body: Buffer,
  mimeType = 'image/png',
  size = body.length,
  expiresAt = in15min(),
) {
  return d.uploadTarget({ key, mediaId: key.split('/')[1] ?? key, mimeType, size, expiresAt });
}

describe('S3 driver against s3rver', () => {
  it('has kind s3', () => {
    expect(driver.kind).toBe('s3');
  });

  it('uploads through a presigned PUT that signs type and length, then stats, reads and serves the object', async () => {
    const key = uniqueKey();
    const before = Date.now();
    const target = await presignedPut(driver, key, PNG);
    expect(target.method).toBe('PUT');
    expect(target.headers).toEqual({ 'content-type': 'image/png', 'content-length': String(PNG.length) });
    const expiresAt = Date.parse(target.expiresAt);
    expect(expiresAt).toBeLessThanOrEqual(before + 15 * 60_000 + 1000);
    expect(expiresAt).toBeGreaterThan(before + 15 * 60_000 - 2000);

    const url = new URL(target.url);
    expect(url.origin).toBe(`http://127.0.0.1:${s3Port}`);
    expect(url.pathname).toBe(`/${BUCKET}/${key}`);
    // s3rver does not verify this (see the top of the file); real S3 refuses another type or size.
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(
      expect.arrayContaining(['content-length', 'content-type', 'host']),
    );
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeGreaterThanOrEqual(899);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(900);
    // No checksum of an empty body may be baked into the URL.
    expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);

    const put = await fetch(target.url, { method: 'PUT', headers: target.headers, body: PNG });
    expect(put.status).toBe(200);

    expect(await driver.stat(key)).toEqual({ size: PNG.length, contentType: 'image/png' });
    expect(await driver.readStart(key, 8)).toEqual(PNG.subarray(0, 8));
    expect(await driver.readStart(key, 4096)).toEqual(PNG);

    const downloadUrl = await driver.downloadUrl(key, {
      expiresAt: in15min(),
      fileName: 'Logo – ünïcode.png',
      mimeType: 'image/png',
    });
    expect(new URL(downloadUrl).origin).toBe(`http://127.0.0.1:${s3Port}`);
    const whole = await fetch(downloadUrl);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('image/png');
    expect(whole.headers.get('content-disposition')).toBe(contentDisposition('Logo – ünïcode.png'));
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(PNG);

    const range = await fetch(downloadUrl, { headers: { range: 'bytes=2-5' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 2-5/${PNG.length}`);
    expect(Buffer.from(await range.arrayBuffer())).toEqual(PNG.subarray(2, 6));
  });

  it('puts a Buffer and a Readable, then deletes them', async () => {
    const bufKey = uniqueKey();
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(1000)]);
    await driver.put(bufKey, pdf, { mimeType: 'application/pdf', size: pdf.length });
    expect(await driver.stat(bufKey)).toEqual({ size: pdf.length, contentType: 'application/pdf' });
    expect(await driver.readStart(bufKey, 5)).toEqual(Buffer.from('%PDF-'));

    // A stream of several chunks (3 MiB), sent with its length so nothing is buffered whole.
    const streamKey = uniqueKey();
    const chunks = Array.from({ length: 48 }, () => randomBytes(64 * 1024));
    const all = Buffer.concat(chunks);
    await driver.put(streamKey, Readable.from(chunks), { mimeType: 'video/mp4', size: all.length });
    expect(await driver.stat(streamKey)).toEqual({ size: all.length, contentType: 'video/mp4' });
    expect(await driver.readStart(streamKey, 12)).toEqual(all.subarray(0, 12));
    const served = await fetch(
      await driver.downloadUrl(streamKey, { expiresAt: in15min(), fileName: 'clip.mp4', mimeType: 'video/mp4' }),
    );
    expect(Buffer.from(await served.arrayBuffer()).equals(all)).toBe(true);

    await driver.delete(bufKey);
    await driver.delete(streamKey);
    expect(await driver.stat(bufKey)).toBeNull();
    expect(await driver.stat(streamKey)).toBeNull();
  });

  it('fails to read the start of a missing object', async () => {
    await expect(driver.readStart(uniqueKey(), 16)).rejects.toThrow();
  });

  it('reads the start of an empty object as no bytes (S3 answers 416 InvalidRange to the range)', async () => {
    // s3rver answers a range on an empty object with a broken 206 (Content-Length 1, no body), so
    // this uses a stub that answers as S3 and MinIO do.
    const ranges: (string | undefined)[] = [];
    const stub = http.createServer((req, res) => {
      req.resume();
      ranges.push(req.headers.range);
      res.writeHead(416, { 'content-type': 'application/xml', 'content-range': 'bytes */0' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>',
      );
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const stubDriver = makeDriver((stub.address() as AddressInfo).port);
    try {
      expect(await stubDriver.readStart('school-1/empty', 16)).toEqual(Buffer.alloc(0));
      expect(await stubDriver.readStart('school-1/empty', 0)).toEqual(Buffer.alloc(0));
      expect(ranges).toEqual(['bytes=0-15']); // no request at all for 0 bytes
    } finally {
      stubDriver.close();
      stub.closeAllConnections();
      await new Promise((resolve) => stub.close(resolve));
    }
  });

  it('stats a missing key as null and deletes it without an error', async () => {
    const key = uniqueKey();
    expect(await driver.stat(key)).toBeNull();
    await expect(driver.delete(key)).resolves.toBeUndefined();
  });

  it('refuses an upload after the target has expired (s3rver checks X-Amz-Date + X-Amz-Expires)', async () => {
    const key = uniqueKey();
    const target = await presignedPut(driver, key, PNG, 'image/png', PNG.length, new Date(Date.now() + 1000));
    expect(new URL(target.url).searchParams.get('X-Amz-Expires')).toBe('1');
    expect(Date.parse(target.expiresAt)).toBeLessThanOrEqual(Date.now() + 1000);
    await sleep(2100);
    const put = await fetch(target.url, { method: 'PUT', headers: target.headers, body: PNG });
    expect(put.status).toBe(403);
    expect(await put.text()).toMatch(/expired/i);
    expect(await driver.stat(key)).toBeNull();
  });

  it('gives an expiry in the past or now at least one second', async () => {
    const target = await presignedPut(driver, uniqueKey(), PNG, 'image/png', PNG.length, new Date(Date.now() - 60_000));
    expect(new URL(target.url).searchParams.get('X-Amz-Expires')).toBe('1');
  });
});

describe('S3 presigned PUT: what the signature binds (checked as S3 does, by the proxy)', () => {
  it('accepts the untampered target with its headers', async () => {
    const key = uniqueKey();
    const target = await presignedPut(checkedDriver, key, PNG);
    const put = await fetch(target.url, { method: 'PUT', headers: target.headers, body: PNG });
    expect(put.status).toBe(200);
    expect(await driver.stat(key)).toEqual({ size: PNG.length, contentType: 'image/png' });
  });

  it('refuses a tampered signature', async () => {
    const key = uniqueKey();
    const target = await presignedPut(checkedDriver, key, PNG);
    const url = new URL(target.url);
    const sig = url.searchParams.get('X-Amz-Signature') ?? '';
    url.searchParams.set('X-Amz-Signature', sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0'));
    const put = await fetch(url, { method: 'PUT', headers: target.headers, body: PNG });
    expect(put.status).toBe(403);
    expect(await put.text()).toContain('SignatureDoesNotMatch');
    expect(await driver.stat(key)).toBeNull();
  });

  it('refuses a lengthened lifetime', async () => {
    const key = uniqueKey();
    const target = await presignedPut(checkedDriver, key, PNG);
    const url = new URL(target.url);
    url.searchParams.set('X-Amz-Expires', '604800');
    const put = await fetch(url, { method: 'PUT', headers: target.headers, body: PNG });
    expect(put.status).toBe(403);
    expect(await driver.stat(key)).toBeNull();
  });

  it('refuses a body of another size', async () => {
    const key = uniqueKey();
    const target = await presignedPut(checkedDriver, key, PNG);
    const bigger = Buffer.concat([PNG, randomBytes(100)]);
    const put = await fetch(target.url, {
      method: 'PUT',
      headers: { ...target.headers, 'content-length': String(bigger.length) },
      body: bigger,
    });
    expect(put.status).toBe(403);
    expect(await put.text()).toContain('SignatureDoesNotMatch');
    expect(await driver.stat(key)).toBeNull();
  });

  it('refuses another content type', async () => {
    const key = uniqueKey();
    const target = await presignedPut(checkedDriver, key, PNG);
    const put = await fetch(target.url, {
      method: 'PUT',
      headers: { ...target.headers, 'content-type': 'text/html' },
      body: PNG,
    });
    expect(put.status).toBe(403);
    expect(await driver.stat(key)).toBeNull();
  });

  it('refuses a download URL whose response headers were changed', async () => {
    const key = uniqueKey();
    await driver.put(key, PNG, { mimeType: 'image/png', size: PNG.length });
    const url = new URL(
      await checkedDriver.downloadUrl(key, { expiresAt: in15min(), fileName: 'a.png', mimeType: 'image/png' }),
    );
    expect((await fetch(url)).status).toBe(200);
    url.searchParams.set('response-content-type', 'text/html');
    expect((await fetch(url)).status).toBe(403);
  });
});

describe('contentDisposition', () => {
  it('quotes plain ASCII names and adds filename* for others', () => {
    expect(contentDisposition('report.pdf')).toBe('inline; filename="report.pdf"');
    expect(contentDisposition('Résumé (final).pdf')).toBe(
      `inline; filename="R_sum_ (final).pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%28final%29.pdf`,
    );
    expect(contentDisposition('a"b\\c.txt')).toBe(`inline; filename="a_b_c.txt"; filename*=UTF-8''a%22b%5Cc.txt`);
    expect(contentDisposition('evil\r\nSet-Cookie: x.txt')).toBe('inline; filename="evilSet-Cookie: x.txt"');
    expect(contentDisposition('')).toBe('inline; filename="download"');
  });
});

describe('S3: only the checked version moves (issue 11)', () => {
  it('sample gives the first bytes and the ETag of their version', async () => {
    const key = uniqueKey();
    await driver.put(key, PNG, { mimeType: 'image/png', size: PNG.length });
    const head = await fetch(`http://127.0.0.1:${s3Port}/${BUCKET}/${key}`, { method: 'HEAD' });
    const { start, etag } = await driver.sample(key, 8);
    expect(start).toEqual(PNG.subarray(0, 8));
    expect(etag).toBe(head.headers.get('etag'));
  });

  it('move sends x-amz-copy-source-if-match and reports a 412 as ObjectChangedError (recorded request)', async () => {
    const seen: { method?: string; source?: string; ifMatch?: string }[] = [];
    const stub = http.createServer((req, res) => {
      req.resume();
      seen.push({
        method: req.method,
        source: req.headers['x-amz-copy-source'] as string,
        ifMatch: req.headers['x-amz-copy-source-if-match'] as string,
      });
      res.writeHead(412, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>',
      );
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const stubDriver = makeDriver((stub.address() as AddressInfo).port);
    try {
      await expect(stubDriver.move('school-1/m.upload', 'school-1/m', { ifMatch: '"abc"' })).rejects.toThrow(
        ObjectChangedError,
      );
      // The copy was refused, so the source is not deleted: one request, the conditional copy.
      expect(seen).toEqual([{ method: 'PUT', source: `${BUCKET}/school-1/m.upload`, ifMatch: '"abc"' }]);
    } finally {
      stubDriver.close();
      stub.closeAllConnections();
      await new Promise((resolve) => stub.close(resolve));
    }
  });

  it('download URLs make S3 answer Cache-Control: private, no-store', async () => {
    const key = uniqueKey();
    await driver.put(key, PNG, { mimeType: 'image/png', size: PNG.length });
    const url = await driver.downloadUrl(key, { expiresAt: in15min(), fileName: 'a.png', mimeType: 'image/png' });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
  });
});
