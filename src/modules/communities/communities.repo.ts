import { and, asc, count, desc, eq, exists, inArray, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { keyset, listPage, totalColumn } from '../../db/keyset.js';
import { comments, communities, communityMedia, communityMembers, threads, users } from '../../db/schema/index.js';
import type { ListRequest } from '../../lib/pagination.js';

export type CommunityRow = typeof communities.$inferSelect;
export type ThreadRow = typeof threads.$inferSelect;
export type CommentRow = typeof comments.$inferSelect;
export type CommunityMediaRow = typeof communityMedia.$inferSelect;

/** What PATCH of a community may change. */
export type CommunityPatch = Partial<
  Pick<
    typeof communities.$inferInsert,
    'name' | 'slug' | 'description' | 'coverImageUrl' | 'isFree' | 'price' | 'isPublic'
  >
>;
/** What PATCH of a thread may change (contentHtml is rendered from content). */
export type ThreadPatch = Partial<Pick<typeof threads.$inferInsert, 'title' | 'content' | 'contentHtml' | 'pinned'>>;
export type CommentPatch = Pick<typeof comments.$inferInsert, 'content' | 'contentHtml'>;
export type NewCommunityMedia = Omit<typeof communityMedia.$inferInsert, 'schoolId' | 'communityId'>;

/**
 * community_members has no school_id: its rows are reached through their community, which must be
 * the school's (an EXISTS on the community's primary key, inside the same statement).
 */
const memberOfSchool = (db: DbOrTx, schoolId: string): SQL =>
  exists(
    db
      .select({ one: sql`1` })
      .from(communities)
      .where(and(eq(communities.id, communityMembers.communityId), eq(communities.schoolId, schoolId))),
  );

export const community = {
  insert: async (db: DbOrTx, schoolId: string, row: Omit<typeof communities.$inferInsert, 'schoolId'>) =>
    (
      await db
        .insert(communities)
        .values({ ...row, schoolId })
        .returning()
    )[0]!,
  find: async (db: DbOrTx, schoolId: string, id: string, lock = false) => {
    const q = db
      .select()
      .from(communities)
      .where(and(eq(communities.schoolId, schoolId), eq(communities.id, id)));
    return (lock ? await q.for('update') : await q)[0];
  },
  update: async (db: DbOrTx, schoolId: string, id: string, patch: CommunityPatch) =>
    (
      await db
        .update(communities)
        .set({ ...patch, updatedAt: new Date(), version: sql`${communities.version} + 1` })
        .where(and(eq(communities.schoolId, schoolId), eq(communities.id, id)))
        .returning()
    )[0]!,
  delete: (db: DbOrTx, schoolId: string, id: string) =>
    db.delete(communities).where(and(eq(communities.schoolId, schoolId), eq(communities.id, id))),
  memberCounts: async (db: DbOrTx, schoolId: string, ids: string[]) =>
    ids.length
      ? new Map(
          (
            await db
              .select({ id: communityMembers.communityId, n: count() })
              .from(communityMembers)
              .where(and(inArray(communityMembers.communityId, ids), memberOfSchool(db, schoolId)))
              .groupBy(communityMembers.communityId)
          ).map((r) => [r.id, r.n]),
        )
      : new Map<string, number>(),
  page: (db: DbOrTx, schoolId: string, req: ListRequest) =>
    listPage(
      db,
      communities,
      eq(communities.schoolId, schoolId),
      req,
      { createdAt: { column: communities.createdAt, kind: 'date' } },
      communities.id,
    ),
};

export const member = {
  /**
   * Not filtered by school (an insert has no WHERE, and the table no school_id): the service has
   * found both the community and the user in the school first.
   */
  add: async (db: DbOrTx, row: typeof communityMembers.$inferInsert) =>
    (await db.insert(communityMembers).values(row).returning())[0]!,
  remove: async (db: DbOrTx, schoolId: string, communityId: string, userId: string) =>
    (
      await db
        .delete(communityMembers)
        .where(
          and(
            eq(communityMembers.communityId, communityId),
            eq(communityMembers.userId, userId),
            memberOfSchool(db, schoolId),
          ),
        )
        .returning()
    ).length,
  isMember: async (db: DbOrTx, schoolId: string, communityId: string, userId: string) =>
    (
      await db
        .select({ u: communityMembers.userId })
        .from(communityMembers)
        .where(
          and(
            eq(communityMembers.communityId, communityId),
            eq(communityMembers.userId, userId),
            memberOfSchool(db, schoolId),
          ),
        )
    ).length > 0,
  list: (db: DbOrTx, schoolId: string, communityId: string, req: ListRequest) => {
    const k = keyset(req, { createdAt: { column: communityMembers.createdAt, kind: 'date' } }, communityMembers.userId);
    const scope = and(eq(communityMembers.communityId, communityId), memberOfSchool(db, schoolId))!;
    return db
      .select({ m: communityMembers, u: users, total: totalColumn(req) })
      .from(communityMembers)
      .innerJoin(users, and(eq(users.id, communityMembers.userId), eq(users.schoolId, schoolId)))
      .where(k.where ? and(scope, k.where) : scope)
      .orderBy(...k.orderBy)
      .limit(req.limit + 1)
      .offset(req.offset ?? 0);
  },
  count: (db: DbOrTx, schoolId: string, communityId: string) =>
    db.$count(communityMembers, and(eq(communityMembers.communityId, communityId), memberOfSchool(db, schoolId))),
};

export const thread = {
  insert: async (db: DbOrTx, schoolId: string, row: Omit<typeof threads.$inferInsert, 'schoolId'>) =>
    (
      await db
        .insert(threads)
        .values({ ...row, schoolId })
        .returning()
    )[0]!,
  find: async (db: DbOrTx, schoolId: string, communityId: string, id: string, lock = false) => {
    const q = db
      .select()
      .from(threads)
      .where(and(eq(threads.schoolId, schoolId), eq(threads.communityId, communityId), eq(threads.id, id)));
    return (lock ? await q.for('update') : await q)[0];
  },
  update: async (db: DbOrTx, schoolId: string, id: string, patch: ThreadPatch) =>
    (
      await db
        .update(threads)
        .set({ ...patch, updatedAt: new Date(), version: sql`${threads.version} + 1` })
        .where(and(eq(threads.schoolId, schoolId), eq(threads.id, id)))
        .returning()
    )[0]!,
  delete: (db: DbOrTx, schoolId: string, id: string) =>
    db.delete(threads).where(and(eq(threads.schoolId, schoolId), eq(threads.id, id))),
  /** Pinned first, then newest; the keyset (pinned, created_at, id) keeps a cursor walk stable while threads are added. */
  page: (
    db: DbOrTx,
    schoolId: string,
    communityId: string,
    limit: number,
    offset: number,
    after?: { pinned: boolean; createdAt: Date; id: string },
  ) => {
    const conditions: SQL[] = [eq(threads.schoolId, schoolId), eq(threads.communityId, communityId)];
    if (after)
      conditions.push(
        sql`(${threads.pinned}, ${threads.createdAt}, ${threads.id}) < (${after.pinned}, ${after.createdAt}, ${after.id})`,
      );
    return db
      .select({ row: threads, total: after ? sql<null>`null` : sql<number>`count(*) over ()`.mapWith(Number) })
      .from(threads)
      .where(and(...conditions))
      .orderBy(desc(threads.pinned), desc(threads.createdAt), desc(threads.id))
      .limit(limit + 1)
      .offset(offset);
  },
  count: (db: DbOrTx, schoolId: string, communityId: string) =>
    db.$count(threads, and(eq(threads.schoolId, schoolId), eq(threads.communityId, communityId))),
  /**
   * Comment count and last activity (the newest post: the thread or its latest comment) recomputed
   * under the thread's row lock, so they are exact under concurrent writes.
   */
  refreshCounts: (db: DbOrTx, schoolId: string, id: string) =>
    db.execute(sql`UPDATE threads
                      SET comment_count = (SELECT count(*) FROM comments WHERE school_id = ${schoolId} AND thread_id = ${id}),
                          last_activity_at = greatest(created_at,
                            (SELECT max(created_at) FROM comments WHERE school_id = ${schoolId} AND thread_id = ${id}))
                    WHERE school_id = ${schoolId} AND id = ${id}`),
};

export const comment = {
  insert: async (db: DbOrTx, schoolId: string, row: Omit<typeof comments.$inferInsert, 'schoolId'>) =>
    (
      await db
        .insert(comments)
        .values({ ...row, schoolId })
        .returning()
    )[0]!,
  find: async (db: DbOrTx, schoolId: string, threadId: string, id: string) =>
    (
      await db
        .select()
        .from(comments)
        .where(and(eq(comments.schoolId, schoolId), eq(comments.threadId, threadId), eq(comments.id, id)))
    )[0],
  update: async (db: DbOrTx, schoolId: string, id: string, patch: CommentPatch) =>
    (
      await db
        .update(comments)
        .set({ ...patch, updatedAt: new Date(), version: sql`${comments.version} + 1` })
        .where(and(eq(comments.schoolId, schoolId), eq(comments.id, id)))
        .returning()
    )[0]!,
  /**
   * Deletes the comment and its whole subtree in one statement (a recursive query), so a reply chain
   * of any depth does not become a chain of nested cascades.
   */
  delete: (db: DbOrTx, schoolId: string, id: string) =>
    db.execute(sql`WITH RECURSIVE subtree AS (
                     SELECT id FROM comments WHERE school_id = ${schoolId} AND id = ${id}
                     UNION ALL SELECT c.id FROM comments c JOIN subtree s ON c.parent_id = s.id WHERE c.school_id = ${schoolId})
                   DELETE FROM comments WHERE school_id = ${schoolId} AND id IN (SELECT id FROM subtree)`),
  /** The thread's first `limit` comments, oldest first: one query, whatever the count. */
  oldest: (db: DbOrTx, schoolId: string, threadId: string, limit: number) =>
    db
      .select()
      .from(comments)
      .where(and(eq(comments.schoolId, schoolId), eq(comments.threadId, threadId)))
      .orderBy(asc(comments.createdAt), asc(comments.id))
      .limit(limit),
  page: (db: DbOrTx, schoolId: string, threadId: string, req: ListRequest) =>
    listPage(
      db,
      comments,
      and(eq(comments.schoolId, schoolId), eq(comments.threadId, threadId))!,
      req,
      { createdAt: { column: comments.createdAt, kind: 'date' } },
      comments.id,
    ),
};

export const media = {
  insert: async (db: DbOrTx, schoolId: string, communityId: string, row: NewCommunityMedia) =>
    (
      await db
        .insert(communityMedia)
        .values({ ...row, schoolId, communityId })
        .returning()
    )[0]!,
  page: (
    db: DbOrTx,
    schoolId: string,
    communityId: string,
    type: 'video' | 'file' | 'image' | undefined,
    req: ListRequest,
  ) =>
    listPage(
      db,
      communityMedia,
      and(
        eq(communityMedia.schoolId, schoolId),
        eq(communityMedia.communityId, communityId),
        type ? eq(communityMedia.type, type) : undefined,
      )!,
      req,
      { createdAt: { column: communityMedia.createdAt, kind: 'date' } },
      communityMedia.id,
    ),
};

export async function findSchoolUser(db: DbOrTx, schoolId: string, userId: string) {
  return (
    await db
      .select()
      .from(users)
      .where(and(eq(users.schoolId, schoolId), eq(users.id, userId)))
  )[0];
}
