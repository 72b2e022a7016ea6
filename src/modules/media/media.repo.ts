import { and, eq, inArray, isNull, like, notLike, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../db/client.js';
import { listPage, type SortColumns } from '../../db/keyset.js';
import { media } from '../../db/schema/index.js';
import type { ListRequest } from '../../lib/pagination.js';

export type MediaRow = typeof media.$inferSelect;
export type MediaPatch = Partial<
  Pick<typeof media.$inferInsert, 'status' | 'size' | 'failureReason' | 'uploadedAt' | 'duration'>
>;
export const MEDIA_SORTS: SortColumns = { createdAt: { column: media.createdAt, kind: 'date' } };

export async function insertMedia(
  db: DbOrTx,
  schoolId: string,
  row: Omit<typeof media.$inferInsert, 'schoolId'>,
): Promise<MediaRow> {
  const [created] = await db
    .insert(media)
    .values({ ...row, schoolId })
    .returning();
  return created!;
}

/** One reservation at a time per school (a transaction-scoped advisory lock), so two uploads cannot both fit the last of the quota. */
export async function lockQuota(tx: Tx, schoolId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`media:${schoolId}`}))`);
}

export async function findMedia(db: DbOrTx, schoolId: string, id: string): Promise<MediaRow | undefined> {
  const [row] = await db
    .select()
    .from(media)
    .where(and(eq(media.schoolId, schoolId), eq(media.id, id)));
  return row;
}

export async function findMediaByIds(db: DbOrTx, schoolId: string, ids: string[]): Promise<MediaRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(media)
    .where(and(eq(media.schoolId, schoolId), inArray(media.id, ids)));
}

/** Claims the single use of an upload target; undefined when it was used (or the media is gone). */
export async function claimUpload(db: DbOrTx, schoolId: string, id: string): Promise<MediaRow | undefined> {
  const [row] = await db
    .update(media)
    .set({ uploadedAt: sql`now()` })
    .where(and(eq(media.schoolId, schoolId), eq(media.id, id), isNull(media.uploadedAt), eq(media.status, 'pending')))
    .returning();
  return row;
}

export async function updateMedia(db: DbOrTx, schoolId: string, id: string, patch: MediaPatch): Promise<MediaRow> {
  const [row] = await db
    .update(media)
    .set({ ...patch, updatedAt: new Date(), version: sql`${media.version} + 1` })
    .where(and(eq(media.schoolId, schoolId), eq(media.id, id)))
    .returning();
  return row!;
}

export async function deleteMedia(db: DbOrTx, schoolId: string, id: string): Promise<void> {
  await db.delete(media).where(and(eq(media.schoolId, schoolId), eq(media.id, id)));
}

/** A pending upload whose link expired (a minute ago) before any upload reached this server. */
const ABANDONED = sql`(${media.status} = 'pending' AND ${media.uploadedAt} IS NULL AND ${media.uploadExpiresAt} < now() - interval '1 minute')`;

/**
 * Bytes a school holds or has been promised (ready media, and pending uploads that can still
 * come): an abandoned upload counts for nothing even before the scheduled expiry marks it failed.
 */
export async function usedBytes(db: DbOrTx, schoolId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`coalesce(sum(${media.size}), 0)::bigint` })
    .from(media)
    .where(and(eq(media.schoolId, schoolId), sql`${media.status} <> 'failed'`, sql`NOT ${ABANDONED}`));
  return Number(row?.n ?? 0);
}

const abandoned = (schoolId: string) => and(eq(media.schoolId, schoolId), ABANDONED);

/** Up to `limit` abandoned uploads of every school, oldest first (the scheduled expiry's batch). */
export async function findAbandonedUploadsEverywhere(db: DbOrTx, limit: number): Promise<MediaRow[]> {
  return db.select().from(media).where(ABANDONED).orderBy(media.uploadExpiresAt).limit(limit);
}

/** Up to `limit` abandoned uploads of the school (their staged bytes are deleted before they expire). */
export async function findAbandonedUploads(db: DbOrTx, schoolId: string, limit: number): Promise<MediaRow[]> {
  return db.select().from(media).where(abandoned(schoolId)).orderBy(media.uploadExpiresAt).limit(limit);
}

/**
 * Upload links that expired unused give their reservation back: the media becomes failed (only
 * `ids` when given; a row completed meanwhile is no longer pending and stays as it is).
 */
export async function expireAbandoned(db: DbOrTx, schoolId: string, ids?: string[]): Promise<MediaRow[]> {
  if (ids?.length === 0) return [];
  return db
    .update(media)
    .set({
      status: 'failed',
      failureReason: 'The upload link expired before the upload was completed.',
      updatedAt: new Date(),
      version: sql`${media.version} + 1`,
    })
    .where(ids ? and(abandoned(schoolId), inArray(media.id, ids)) : abandoned(schoolId))
    .returning();
}

const KIND_FILTERS: Record<string, SQL> = {
  image: like(media.mimeType, 'image/%'),
  video: like(media.mimeType, 'video/%'),
  audio: like(media.mimeType, 'audio/%'),
  pdf: eq(media.mimeType, 'application/pdf'),
  file: and(
    notLike(media.mimeType, 'image/%'),
    notLike(media.mimeType, 'video/%'),
    notLike(media.mimeType, 'audio/%'),
    sql`${media.mimeType} <> 'application/pdf'`,
  )!,
};

export async function listMedia(
  db: DbOrTx,
  schoolId: string,
  filter: { type?: string | undefined; status?: MediaRow['status'] | undefined },
  req: ListRequest,
) {
  const conditions: SQL[] = [eq(media.schoolId, schoolId)];
  if (filter.type) conditions.push(KIND_FILTERS[filter.type]!);
  if (filter.status) conditions.push(eq(media.status, filter.status));
  const scope = and(...conditions)!;
  return listPage(db, media, scope, req, MEDIA_SORTS, media.id);
}
