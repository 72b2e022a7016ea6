import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { StorageDriver, StoredObject, UploadTarget } from './driver.js';
import { dispositionFor, MEDIA_CACHE_CONTROL, ObjectChangedError } from './driver.js';

export type S3DriverOptions = {
  bucket: string;
  /** An S3-compatible server (MinIO, R2, …); unset: AWS S3 of `region`. */
  endpoint?: string | undefined;
  region: string;
  /** Both or neither; neither: the SDK's default credential chain (env, profile, instance role …). */
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  /** Address the bucket in the path (`endpoint/bucket/key`), as MinIO-style servers need. */
  forcePathStyle: boolean;
};

export type S3Driver = StorageDriver & { readonly kind: 's3'; close(): void };

/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;

/**
 * Signing time (whole seconds, as X-Amz-Date has no finer precision) and lifetime of a presigned
 * URL so that it stops working at `expiresAt` at the latest (and lives at least one second).
 */
function presignWindow(expiresAt: Date): { signingDate: Date; expiresIn: number; effectiveExpiresAt: Date } {
  const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
  const expiresIn = Math.min(
    MAX_PRESIGN_SECONDS,
    Math.max(1, Math.floor((expiresAt.getTime() - signingDate.getTime()) / 1000)),
  );
  return { signingDate, expiresIn, effectiveExpiresAt: new Date(signingDate.getTime() + expiresIn * 1000) };
}

/**
 * `inline; filename="<ASCII fallback>"`, plus RFC 5987/6266 `filename*=UTF-8''…` when the name is
 * not plain printable ASCII. Control characters, quotes and backslashes never reach the header.
 */
export function contentDisposition(fileName: string, disposition: 'inline' | 'attachment' = 'inline'): string {
  const cleaned = fileName.replace(/[\u0000-\u001f\u007f]/g, '').trim() || 'download';
  const fallback = cleaned.replace(/[^\x20-\x7e]|["\\]/g, '_');
  if (fallback === cleaned) return `${disposition}; filename="${cleaned}"`;
  const encoded = encodeURIComponent(cleaned).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

type SdkError = { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: number } };

function isNotFound(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as SdkError;
  return (
    e.name === 'NotFound' || e.name === 'NoSuchKey' || e.Code === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404
  );
}

/** S3's answer to a failed If-Match or x-amz-copy-source-if-match: 412 PreconditionFailed. */
function isPreconditionFailed(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as SdkError;
  return e.name === 'PreconditionFailed' || e.Code === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412;
}

function isInvalidRange(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as SdkError;
  return e.name === 'InvalidRange' || e.Code === 'InvalidRange' || e.$metadata?.httpStatusCode === 416;
}

/** Reads at most `limit` bytes of a response body, then drops the rest of it. */
async function readAtMost(body: unknown, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const stream = body as AsyncIterable<Uint8Array> & { destroy?: () => void };
  try {
    for await (const chunk of stream) {
      const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      chunks.push(buf);
      total += buf.length;
      if (total >= limit) break;
    }
  } finally {
    // Breaking out of for-await destroys a Node stream; this also covers other iterables.
    stream.destroy?.();
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

/**
 * Media bytes in an S3-compatible bucket. Clients upload straight to the bucket with a presigned
 * PUT whose signature covers the object's content type and exact length; downloads are presigned
 * GETs that S3 serves itself (ranges included) with the file name and type set by the URL.
 */
export function createS3Driver(opts: S3DriverOptions): S3Driver {
  if ((opts.accessKeyId === undefined) !== (opts.secretAccessKey === undefined)) {
    throw new Error(
      'S3: give both an access key id and a secret access key, or neither (to use the default credential chain)',
    );
  }
  const config: S3ClientConfig = {
    region: opts.region,
    forcePathStyle: opts.forcePathStyle,
    // Checksums only where S3 demands them: otherwise presigned PUTs would carry a checksum of an
    // empty body and streamed puts would be sent aws-chunked, which S3-compatible servers often reject.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  };
  if (opts.endpoint !== undefined) config.endpoint = opts.endpoint;
  if (opts.accessKeyId !== undefined && opts.secretAccessKey !== undefined) {
    config.credentials = { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey };
  }
  const client = new S3Client(config);
  const Bucket = opts.bucket;

  return {
    kind: 's3',

    async uploadTarget(input): Promise<UploadTarget> {
      const { signingDate, expiresIn, effectiveExpiresAt } = presignWindow(input.expiresAt);
      const command = new PutObjectCommand({
        Bucket,
        Key: input.key,
        ContentType: input.mimeType,
        ContentLength: input.size,
      });
      const url = await getSignedUrl(client, command, {
        expiresIn,
        signingDate,
        // The presigner leaves content-type unsigned by default and would not sign the length:
        // signing both makes S3 refuse a body of another type or size (SignatureDoesNotMatch).
        signableHeaders: new Set(['content-type', 'content-length']),
      });
      return {
        method: 'PUT',
        url,
        headers: { 'content-type': input.mimeType, 'content-length': String(input.size) },
        expiresAt: effectiveExpiresAt.toISOString(),
      };
    },

    async stat(key): Promise<StoredObject | null> {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return { size: head.ContentLength ?? 0, contentType: head.ContentType };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },

    async readStart(key, bytes): Promise<Buffer> {
      if (bytes <= 0) return Buffer.alloc(0);
      return (await this.sample(key, bytes)).start;
    },

    async sample(key, bytes) {
      // One ranged GET: the first bytes (at least one is asked for) and the ETag of their version.
      try {
        const res = await client.send(
          new GetObjectCommand({ Bucket, Key: key, Range: `bytes=0-${Math.max(bytes, 1) - 1}` }),
        );
        return { start: res.Body ? await readAtMost(res.Body, bytes) : Buffer.alloc(0), etag: res.ETag };
      } catch (err) {
        // S3 answers 416 to any range on an empty object: no bytes, and no version to bind to.
        if (isInvalidRange(err)) return { start: Buffer.alloc(0), etag: undefined };
        throw err;
      }
    },

    async downloadUrl(key, o): Promise<string> {
      const { signingDate, expiresIn } = presignWindow(o.expiresAt);
      const command = new GetObjectCommand({
        Bucket,
        Key: key,
        ResponseContentDisposition: contentDisposition(o.fileName, dispositionFor(o.mimeType)),
        ResponseContentType: o.mimeType,
        // Signed links are per caller and short-lived: no shared cache may keep the bytes.
        ResponseCacheControl: MEDIA_CACHE_CONTROL,
      });
      return getSignedUrl(client, command, { expiresIn, signingDate });
    },

    async put(key, body: Readable | Buffer, o): Promise<void> {
      // With ContentLength given, a stream is sent as it is read (not buffered, not chunk-encoded).
      await client.send(
        new PutObjectCommand({ Bucket, Key: key, Body: body, ContentType: o.mimeType, ContentLength: o.size }),
      );
    },

    async move(fromKey, toKey, o = {}): Promise<void> {
      try {
        await client.send(
          new CopyObjectCommand({
            Bucket,
            Key: toKey,
            CopySource: `${Bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`,
            // Only the checked version: a PUT that replaced it since makes S3 refuse the copy (412).
            CopySourceIfMatch: o.ifMatch,
          }),
        );
      } catch (err) {
        if (o.ifMatch !== undefined && (isPreconditionFailed(err) || isNotFound(err)))
          throw new ObjectChangedError(fromKey);
        throw err;
      }
      await this.delete(fromKey);
    },

    async delete(key): Promise<void> {
      try {
        await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
      } catch (err) {
        // S3 answers 204 for a missing key; some compatible servers answer 404.
        if (!isNotFound(err)) throw err;
      }
    },

    close(): void {
      client.destroy();
    },
  };
}
