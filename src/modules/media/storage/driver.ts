import type { Readable } from 'node:stream';

/** Where and how a client sends the bytes of one upload. */
export type UploadTarget = { method: 'PUT'; url: string; headers: Record<string, string>; expiresAt: string };

export type StoredObject = { size: number; contentType: string | undefined };

/** The object is no longer the version a condition named (it was replaced or removed meanwhile). */
export class ObjectChangedError extends Error {
  constructor(key: string) {
    super(`The object ${key} changed or disappeared while it was being read.`);
    this.name = 'ObjectChangedError';
  }
}

/** Answers for media bytes behind a signed link: no shared or browser cache may keep them. */
export const MEDIA_CACHE_CONTROL = 'private, no-store';

/**
 * A place to keep media bytes: the local disk under DATA_DIR (default) or an S3-compatible
 * bucket. Keys are opaque paths chosen by the media service (`<schoolId>/<mediaId>`).
 */
export interface StorageDriver {
  readonly kind: 'local' | 's3';
  /** A signed, expiring target for exactly one upload of at most `size` bytes of `mimeType`. */
  uploadTarget(input: {
    key: string;
    mediaId: string;
    mimeType: string;
    size: number;
    expiresAt: Date;
  }): Promise<UploadTarget>;
  /** Size and content type of a stored object, or null when there is none. */
  stat(key: string): Promise<StoredObject | null>;
  /** The first `bytes` bytes of an object (to check its type by magic numbers). */
  readStart(key: string, bytes: number): Promise<Buffer>;
  /**
   * The first bytes and the version they came from (`etag`, on S3; a later write changes it), so
   * what was checked can be moved and nothing else.
   */
  sample(key: string, bytes: number): Promise<{ start: Buffer; etag: string | undefined }>;
  /** A short-lived URL that serves the bytes (with HTTP range support). */
  downloadUrl(key: string, opts: { expiresAt: Date; fileName: string; mimeType: string }): Promise<string>;
  /** Stores bytes from a stream (server-side writes, e.g. an image fetched from a URL). */
  put(key: string, body: Readable | Buffer, opts: { mimeType: string; size: number }): Promise<void>;
  /**
   * Moves an object to another key (an upload, once checked, leaves the key its link can write to).
   * With `ifMatch`, only the version that was checked moves: if another write replaced it meanwhile,
   * nothing moves and ObjectChangedError is thrown.
   */
  move(fromKey: string, toKey: string, opts?: { ifMatch?: string | undefined }): Promise<void>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
}

/**
 * Images, audio, video and PDF display inline; anything else (HTML, SVG, archives) downloads as
 * an attachment, so uploaded bytes never run as a page on the origin that serves them.
 */
export function dispositionFor(mimeType: string): 'inline' | 'attachment' {
  return /^(image\/(png|jpeg|gif|webp|avif)$|video\/|audio\/|application\/pdf$)/.test(mimeType)
    ? 'inline'
    : 'attachment';
}
