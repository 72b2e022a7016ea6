import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../../lib/errors.js';
import { signToken, verifyToken } from '../../../lib/signed-token.js';
import type { StorageDriver, UploadTarget } from './driver.js';

export type UploadGrant = { key: string; mediaId: string; size: number; mimeType: string; exp: number; use: 'upload' };
export type DownloadGrant = { key: string; fileName: string; mimeType: string; exp: number; use: 'download' };

/**
 * Files under DATA_DIR/media. Upload and download URLs point at this server and carry an HMAC
 * signature with the target and its expiry; the upload route streams the body to a temporary file
 * and this driver moves it into place once it has been checked.
 */
async function readFileStart(fullPath: string, bytes: number): Promise<Buffer> {
  const handle = await fs.open(fullPath, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export function createLocalDriver(opts: { root: string; publicUrl: string; secret: () => Promise<string> }) {
  const file = (key: string) => {
    const full = path.resolve(opts.root, key);
    if (!full.startsWith(path.resolve(opts.root) + path.sep)) throw new Error(`bad storage key ${key}`);
    return full;
  };

  const driver = {
    kind: 'local' as const,
    root: opts.root,

    async uploadTarget(input: {
      key: string;
      mediaId: string;
      mimeType: string;
      size: number;
      expiresAt: Date;
    }): Promise<UploadTarget> {
      const token = signToken(await opts.secret(), {
        key: input.key,
        mediaId: input.mediaId,
        size: input.size,
        mimeType: input.mimeType,
        exp: input.expiresAt.getTime(),
        use: 'upload',
      });
      return {
        method: 'PUT',
        url: `${opts.publicUrl}/api/v1/uploads/${token}`,
        headers: { 'content-type': input.mimeType },
        expiresAt: input.expiresAt.toISOString(),
      };
    },

    async verifyUpload(token: string): Promise<UploadGrant> {
      return verifyToken<UploadGrant>(await opts.secret(), token, 'upload');
    },

    async verifyDownload(token: string): Promise<DownloadGrant> {
      return verifyToken<DownloadGrant>(await opts.secret(), token, 'download');
    },

    /**
     * Streams a body to a temporary file, refusing it (413) as soon as it passes `maxBytes`:
     * nothing is held in memory but the stream's own small buffers.
     */
    async receive(body: Readable, maxBytes: number): Promise<{ tempFile: string; size: number }> {
      const tmpDir = path.join(opts.root, '.incoming');
      await fs.mkdir(tmpDir, { recursive: true });
      const tempFile = path.join(tmpDir, randomBytes(12).toString('hex'));
      let size = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (size > maxBytes)
            done(new AppError('payload_too_large', `The upload is larger than the ${maxBytes} bytes declared.`));
          else done(null, chunk);
        },
      });
      try {
        // The request is piped through a PassThrough so that stopping early destroys only that,
        // not the client's connection: it still gets its 413 (sent with Connection: close).
        const pass = new PassThrough();
        // A client that goes away mid-upload must end the pipeline (pipe() does not pass that on).
        body.once('close', () => {
          if (!body.readableEnded) pass.destroy(new AppError('validation_error', 'The upload was interrupted.'));
        });
        body.once('error', (err) => pass.destroy(err));
        await pipeline(body.pipe(pass), limit, createWriteStream(tempFile, { flags: 'wx' }));
      } catch (err) {
        await fs.rm(tempFile, { force: true });
        throw err;
      }
      return { tempFile, size };
    },

    async commit(tempFile: string, key: string): Promise<void> {
      await fs.mkdir(path.dirname(file(key)), { recursive: true });
      await fs.rename(tempFile, file(key));
    },

    async discard(tempFile: string): Promise<void> {
      await fs.rm(tempFile, { force: true });
    },

    readFileStart,

    async stat(key: string) {
      const st = await fs.stat(file(key)).catch(() => null);
      return st ? { size: st.size, contentType: undefined } : null;
    },

    readStart(key: string, bytes: number): Promise<Buffer> {
      return readFileStart(file(key), bytes);
    },

    /** Local uploads are claimed once and moved into place by this server: there are no versions. */
    async sample(key: string, bytes: number) {
      return { start: await readFileStart(file(key), bytes), etag: undefined };
    },

    async downloadUrl(key: string, o: { expiresAt: Date; fileName: string; mimeType: string }): Promise<string> {
      const token = signToken(await opts.secret(), {
        key,
        fileName: o.fileName,
        mimeType: o.mimeType,
        exp: o.expiresAt.getTime(),
        use: 'download',
      });
      return `${opts.publicUrl}/api/v1/media-files/${token}`;
    },

    /** The stored file's path relative to the root, for the download route (which serves ranges). */
    relativePath: (key: string) => path.relative(opts.root, file(key)),

    async put(key: string, body: Readable | Buffer): Promise<void> {
      await fs.mkdir(path.dirname(file(key)), { recursive: true });
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, createWriteStream(file(key)));
    },

    async move(fromKey: string, toKey: string): Promise<void> {
      await fs.mkdir(path.dirname(file(toKey)), { recursive: true });
      await fs.rename(file(fromKey), file(toKey));
    },

    async delete(key: string): Promise<void> {
      await fs.rm(file(key), { force: true });
    },
  } satisfies StorageDriver & Record<string, unknown>;
  return driver;
}
export type LocalDriver = ReturnType<typeof createLocalDriver>;
