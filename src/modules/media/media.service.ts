import type { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import type { Db } from '../../db/client.js';
import { cursorValue } from '../../db/keyset.js';
import { AppError, notFound } from '../../lib/errors.js';
import { assertIfMatch, etagOf } from '../../lib/etag.js';
import { newId } from '../../lib/ids.js';
import { paginate, toListRequest } from '../../lib/pagination.js';
import { fetchImage, type SafeFetchOptions } from '../../lib/safe-fetch.js';
import type { EventService } from '../events/events.service.js';
import type { SchoolService } from '../schools/schools.service.js';
import * as repo from './media.repo.js';
import type { Media, Presign } from './media.schemas.js';
import { ObjectChangedError, type StorageDriver } from './storage/driver.js';
import type { LocalDriver } from './storage/local.js';

/** Upload and download links live this long (API.md: 15 min). */
const LINK_TTL_MS = 15 * 60_000;
/** An upload link may still be used this long after it expires (clock skew); then it is abandoned. */
const ABANDON_GRACE_MS = 60_000;
/** Abandoned uploads cleaned up per call (a school's next presign, or a job, continues). */
const SWEEP_BATCH = 100;
/** file-type needs at most this many leading bytes. */
const SNIFF_BYTES = 4100;

/**
 * Whether the bytes' real type fits the declared MIME type. Families that file-type recognises
 * (images, video, audio, PDF) must match; a container declared as audio may hold audio in a
 * video container (mp4, webm, ogg). Other declared types (documents, archives) are taken as sent.
 */
export function fitsDeclared(declared: string, detected: string | undefined): boolean {
  const family = (m: string) => (m === 'application/pdf' ? 'pdf' : m.split('/')[0]!);
  const strict = ['image', 'video', 'audio', 'pdf'];
  if (!strict.includes(family(declared))) return true;
  if (!detected) return false;
  if (family(declared) === family(detected)) return true;
  return family(declared) === 'audio' && ['video/mp4', 'video/webm', 'video/ogg'].includes(detected);
}

/**
 * Storage keys are `{schoolId}/{mediaId}`, so a signed upload grant (which holds the key) names the
 * school of the media it may write.
 */
const storageKeyOf = (schoolId: string, mediaId: string) => `${schoolId}/${mediaId}`;
const schoolOfKey = (key: string) => key.slice(0, key.indexOf('/'));

type Deps = {
  db: Db;
  driver: StorageDriver;
  schools: SchoolService;
  /** Uploads that become ready or fail record media.ready / media.failed (image copies: the copy job does). */
  events?: EventService | undefined;
  imageFetch?: SafeFetchOptions | undefined;
};

/** Media: presigned uploads to local disk or S3, checked by magic bytes, served by signed links. */
export function createMediaService({ db, driver, schools, events, imageFetch }: Deps) {
  /**
   * Records a new pending media item after checking the school's size and quota limits; one at a
   * time per school, so two uploads cannot both fit the last of the quota.
   */
  async function reserve(
    schoolId: string,
    file: { fileName: string; mimeType: string; size: number },
    expiresAt: Date,
    path = 'size',
  ) {
    const { maxUploadBytes, mediaQuotaBytes: quotaBytes } = (await schools.get(schoolId)).data;
    if (file.size > maxUploadBytes) {
      throw new AppError('payload_too_large', `Files may be at most ${maxUploadBytes} bytes.`, [
        { path, message: `At most ${maxUploadBytes} bytes.` },
      ]);
    }
    const id = newId('media');
    return db.transaction(async (tx) => {
      await repo.lockQuota(tx, schoolId);
      const used = await repo.usedBytes(tx, schoolId);
      if (used + file.size > quotaBytes) {
        throw new AppError(
          'payload_too_large',
          `This file would pass the school's storage quota (${quotaBytes} bytes; ${used} in use).`,
          [{ path, message: 'Over the storage quota.', code: 'quota_exceeded' }],
        );
      }
      return repo.insertMedia(tx, schoolId, {
        id,
        ...file,
        storageKey: storageKeyOf(schoolId, id),
        driver: driver.kind,
        uploadExpiresAt: expiresAt,
      });
    });
  }

  async function present(row: repo.MediaRow): Promise<Media> {
    const expiresAt = new Date(Date.now() + LINK_TTL_MS);
    const url =
      row.status === 'ready'
        ? await driver.downloadUrl(row.storageKey, { expiresAt, fileName: row.fileName, mimeType: row.mimeType })
        : null;
    return {
      object: 'media',
      id: row.id,
      fileName: row.fileName,
      mimeType: row.mimeType,
      size: row.size,
      status: row.status,
      failureReason: row.failureReason,
      duration: row.duration,
      url,
      urlExpiresAt: url ? expiresAt.toISOString() : null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  /**
   * Where an upload link writes. On S3 a presigned PUT cannot be revoked, so it writes to a staging
   * key and `complete` moves the checked object to the final key: a second PUT cannot replace bytes
   * that passed the check. (Give the `…upload` keys a short bucket lifecycle rule.)
   */
  const linkAbandoned = (row: repo.MediaRow) => row.uploadExpiresAt.getTime() < Date.now() - ABANDON_GRACE_MS;

  function uploadKey(row: repo.MediaRow) {
    return driver.kind === 's3' ? `${row.storageKey}.upload` : row.storageKey;
  }

  /**
   * Upload links that expired unused (a minute's grace) give their reservation back: their staged
   * bytes, if a client sent any but never called `complete`, are deleted first, then the media
   * becomes failed. Per school (`complete` of an abandoned upload calls it); returns how many it
   * cleaned up, at most SWEEP_BATCH per call. The quota already ignores abandoned uploads, so
   * nothing waits for this: the scheduled job (media.expire_uploads) runs it for every school.
   */
  async function expireAbandonedUploads(schoolId: string): Promise<number> {
    return expire(await repo.findAbandonedUploads(db, schoolId, SWEEP_BATCH));
  }

  async function expire(abandoned: repo.MediaRow[]): Promise<number> {
    // Bytes first: if the process stops midway, the rows are still pending and the next run retries.
    // A delete that fails (e.g. storage permissions) is logged and its row expired anyway: stuck
    // rows at the head of the oldest-first batch would otherwise stop the expiry of every school.
    for (const row of abandoned) {
      try {
        await driver.delete(uploadKey(row));
      } catch (err) {
        console.error(`media expiry: could not delete staged bytes ${uploadKey(row)}:`, err);
      }
    }
    const bySchool = new Map<string, string[]>();
    for (const r of abandoned) bySchool.set(r.schoolId, [...(bySchool.get(r.schoolId) ?? []), r.id]);
    for (const [schoolId, ids] of bySchool)
      await db.transaction(async (tx) => {
        const failed = await repo.expireAbandoned(tx, schoolId, ids);
        await events?.recordMany(
          tx,
          await Promise.all(
            failed.map(async (row) => ({ schoolId, type: 'media.failed' as const, object: await present(row) })),
          ),
        );
      });
    return abandoned.length;
  }

  /** An upload's end: the media becomes ready or failed, with its event, in one transaction. */
  async function finish(schoolId: string, id: string, patch: repo.MediaPatch): Promise<repo.MediaRow> {
    return db.transaction(async (tx) => {
      const row = await repo.updateMedia(tx, schoolId, id, patch);
      if (row.status === 'ready' || row.status === 'failed')
        await events?.recordMany(tx, [{ schoolId, type: `media.${row.status}`, object: await present(row) }]);
      return row;
    });
  }

  const sniff = async (start: Buffer) => (await fileTypeFromBuffer(start))?.mime;

  /** Marks the media ready when the bytes fit the declared type, else failed (and removes them). */
  async function settle(row: repo.MediaRow, detected: string | undefined, size: number): Promise<repo.MediaRow> {
    if (!fitsDeclared(row.mimeType, detected)) {
      await driver.delete(row.storageKey);
      return finish(row.schoolId, row.id, {
        status: 'failed',
        failureReason: `The file's content (${detected ?? 'unknown type'}) does not match the declared ${row.mimeType}.`,
      });
    }
    return finish(row.schoolId, row.id, { status: 'ready', size, failureReason: null });
  }

  return {
    driverKind: driver.kind,
    present,

    async presign(schoolId: string, input: Presign) {
      const expiresAt = new Date(Date.now() + LINK_TTL_MS);
      const row = await reserve(schoolId, input, expiresAt);
      const upload = await driver.uploadTarget({
        key: uploadKey(row),
        mediaId: row.id,
        mimeType: row.mimeType,
        size: row.size,
        expiresAt,
      });
      return { mediaId: row.id, upload };
    },

    /**
     * Fetches an image from a URL the client gave (SSRF-safe: public addresses only, checked on
     * every redirect, 10 MB, JPG/PNG/GIF/WebP by magic bytes) and keeps a copy as ready media, so
     * the image keeps working when the original goes away. `path` names the request field.
     */
    async importImage(schoolId: string, url: string, path: string): Promise<repo.MediaRow> {
      // A school with no room left downloads nothing (the reservation below checks the real size).
      const { mediaQuotaBytes } = (await schools.get(schoolId)).data;
      if ((await repo.usedBytes(db, schoolId)) >= mediaQuotaBytes) {
        throw new AppError('payload_too_large', `The school's storage quota (${mediaQuotaBytes} bytes) is used up.`, [
          { path, message: 'Over the storage quota.', code: 'quota_exceeded' },
        ]);
      }
      const image = await fetchImage(url, path, imageFetch);
      const last = new URL(image.finalUrl).pathname.split('/').pop() ?? '';
      let name: string;
      try {
        name = decodeURIComponent(last);
      } catch {
        name = last; // a stray % in the URL: keep the name as written
      }
      name = name.replace(/[\u0000-\u001f/\\]/g, '') || `image.${image.ext}`;
      const row = await reserve(
        schoolId,
        { fileName: name.slice(0, 255), mimeType: image.mimeType, size: image.bytes.length },
        new Date(),
        path,
      );
      try {
        await driver.put(row.storageKey, image.bytes, { mimeType: image.mimeType, size: image.bytes.length });
      } catch (err) {
        await repo.deleteMedia(db, schoolId, row.id);
        throw err;
      }
      return repo.updateMedia(db, schoolId, row.id, { status: 'ready', uploadedAt: new Date() });
    },

    /**
     * The local driver's upload route: the token is the credential (signed, expiring, single
     * use); the body is streamed to disk and cut off past the declared size.
     */
    async receive(local: LocalDriver, token: string, body: Readable, contentLength: number | undefined) {
      const grant = await local.verifyUpload(token);
      if (contentLength !== undefined && contentLength > grant.size) {
        throw new AppError('payload_too_large', `The upload is larger than the ${grant.size} bytes declared.`);
      }
      const schoolId = schoolOfKey(grant.key);
      const row = await repo.claimUpload(db, schoolId, grant.mediaId);
      if (!row) throw new AppError('forbidden', 'This upload link was already used.');
      let received: { tempFile: string; size: number };
      try {
        received = await local.receive(body, grant.size);
      } catch (err) {
        await finish(schoolId, row.id, {
          status: 'failed',
          failureReason: err instanceof AppError ? err.message : 'The upload did not complete.',
        });
        throw err;
      }
      const detected = await sniff(await local.readFileStart(received.tempFile, SNIFF_BYTES));
      // The media may have been deleted while the bytes arrived: then keep nothing.
      if (!(await repo.findMedia(db, schoolId, row.id))) {
        await local.discard(received.tempFile);
        throw notFound('Media');
      }
      if (fitsDeclared(row.mimeType, detected)) await local.commit(received.tempFile, row.storageKey);
      else await local.discard(received.tempFile);
      return present(await settle(row, detected, received.size));
    },

    /** S3: checks the uploaded object (HEAD: size; first bytes: type) and marks the media ready. */
    async complete(schoolId: string, id: string) {
      let row = await repo.findMedia(db, schoolId, id);
      if (!row) throw notFound('Media');
      if (row.status === 'pending' && !row.uploadedAt && linkAbandoned(row)) {
        await expireAbandonedUploads(schoolId);
        row = (await repo.findMedia(db, schoolId, id)) ?? row;
      }
      if (row.status !== 'pending') return present(row);
      const staged = uploadKey(row);
      const stored = await driver.stat(staged);
      if (!stored) throw new AppError('conflict', 'Nothing has been uploaded for this media yet.');
      const changed = () =>
        new AppError(
          'conflict',
          'The upload was replaced while it was being checked; nothing was made ready. Call complete again.',
        );
      const fail = async (failureReason: string) => {
        await driver.delete(staged);
        return present(await finish(schoolId, row.id, { status: 'failed', failureReason }));
      };
      if (stored.contentType && stored.contentType.split(';')[0]!.trim().toLowerCase() !== row.mimeType) {
        return fail(`The object was stored as ${stored.contentType}, not the declared ${row.mimeType}.`);
      }
      if (stored.size > row.size) return fail(`The upload is larger than the ${row.size} bytes declared.`);
      // The bytes checked and the bytes moved are one version (its ETag): a PUT to the link in
      // between makes the move fail instead of making unchecked bytes ready.
      const { start, etag } = await driver.sample(staged, SNIFF_BYTES);
      const detected = await sniff(start);
      if (!fitsDeclared(row.mimeType, detected))
        return fail(`The file's content (${detected ?? 'unknown type'}) does not match the declared ${row.mimeType}.`);
      await driver.move(staged, row.storageKey, { ifMatch: etag }).catch((err: unknown) => {
        throw err instanceof ObjectChangedError ? changed() : err;
      });
      return present(await finish(schoolId, row.id, { status: 'ready', size: stored.size, failureReason: null }));
    },

    async get(schoolId: string, id: string) {
      const row = await repo.findMedia(db, schoolId, id);
      if (!row) throw notFound('Media');
      return { data: await present(row), etag: etagOf(row) };
    },

    async list(
      schoolId: string,
      query: Parameters<typeof toListRequest>[0] & {
        type?: string | undefined;
        status?: repo.MediaRow['status'] | undefined;
      },
    ) {
      const req = toListRequest(query, ['createdAt'], '-createdAt');
      const { rows, total } = await repo.listMedia(db, schoolId, { type: query.type, status: query.status }, req);
      const { items, pagination } = paginate(rows, req, total, (r) => cursorValue(r.createdAt));
      return { data: await Promise.all(items.map(present)), pagination };
    },

    /** Deletes the record (409 while a lesson or course uses it, or while its upload runs), then its bytes. */
    async delete(schoolId: string, id: string, ifMatch?: string) {
      const row = await repo.findMedia(db, schoolId, id);
      if (!row) throw notFound('Media');
      assertIfMatch(ifMatch, row);
      if (row.status === 'pending' && row.uploadedAt)
        throw new AppError('conflict', 'The upload of this media is in progress; try again when it has finished.');
      await repo.deleteMedia(db, schoolId, id); // the foreign keys of lessons and courses refuse while in use → 409
      await driver.delete(row.storageKey);
    },

    expireAbandonedUploads,

    /** Scheduled job (media.expire_uploads): every school's abandoned uploads, a batch at a time. */
    async expireAbandonedUploadsEverywhere(maxBatches = 20): Promise<number> {
      let total = 0;
      for (let i = 0; i < maxBatches; i++) {
        const batch = await repo.findAbandonedUploadsEverywhere(db, SWEEP_BATCH);
        total += await expire(batch);
        if (batch.length < SWEEP_BATCH) break;
      }
      return total;
    },

    /** Media of the school by id, for lessons that reference them. */
    findByIds: (schoolId: string, ids: string[]) => repo.findMediaByIds(db, schoolId, ids),
  };
}
export type MediaService = ReturnType<typeof createMediaService>;
