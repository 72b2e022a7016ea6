import { and, asc, count, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { keyset, listPage, totalColumn } from '../../db/keyset.js';
import { comments, communities, communityMedia, communityMembers, threads, users } from '../../db/schema/index.js';
import type { ListRequest } from '../../lib/pagination.js';

export type CommunityRow = typeof communities.$inferSelect;
export type ThreadRow = typeof threads.$inferSelect;
export type CommentRow = typeof comments.$inferSelect;

export const community = {
  insert: async (db: DbOrTx, row: typeof communities.$inferInsert) =>
    (await db.insert(communities).values(row).returning())[0]!,
  find: async (db: DbOrTx, schoolId: string, id: string, lock = false) => {
    const q = db
      .select()
      .from(communities)
      .where(and(eq(communities.schoolId, schoolId), eq(communities.id, id)));
    return (lock ? await q.for('update') : await q)[0];
  },
  update: async (db: DbOrTx, id: string, patch: Partial<typeof communities.$inferInsert>) =>
    (
      await db
        .update(communities)
        .set({ ...patch, updatedAt: new Date(), version: sql`${communities.version} + 1` })
        .where(eq(communities.id, id))
        .returning()
    )[0]!,
  delete: (db: DbOrTx, id: string) => db.delete(communities).where(eq(communities.id, id)),
  memberCounts: async (db: DbOrTx, ids: string[]) =>
    ids.length
      ? new Map(
          (
            await db
              .select({ id: communityMembers.communityId, n: count() })
              .from(communityMembers)
              .where(inArray(communityMembers.communityId, ids))
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
  add: (db: DbOrTx, row: typeof communityMembers.$inferInsert) => db.insert(communityMembers).values(row),
  remove: async (db: DbOrTx, communityId: string, userId: string) =>
    (
      await db
        .delete(communityMembers)
        .where(and(eq(communityMembers.communityId, communityId), eq(communityMembers.userId, userId)))
        .returning()
    ).length,
  isMember: async (db: DbOrTx, communityId: string, userId: string) =>
    (
      await db
        .select({ u: communityMembers.userId })
        .from(communityMembers)
        .where(and(eq(communityMembers.communityId, communityId), eq(communityMembers.userId, userId)))
    ).length > 0,
  list: (db: DbOrTx, communityId: string, req: ListRequest) => {
    const k = keyset(req, { createdAt: { column: communityMembers.createdAt, kind: 'date' } }, communityMembers.userId);
    const scope = eq(communityMembers.communityId, communityId);
    return db
      .select({ m: communityMembers, u: users, total: totalColumn(req) })
      .from(communityMembers)
      .innerJoin(users, eq(users.id, communityMembers.userId))
      .where(k.where ? and(scope, k.where) : scope)
      .orderBy(...k.orderBy)
      .limit(req.limit + 1)
      .offset(req.offset ?? 0);
  },
  count: (db: DbOrTx, communityId: string) =>
    db.$count(communityMembers, eq(communityMembers.communityId, communityId)),
};

export const thread = {
  insert: async (db: DbOrTx, row: typeof threads.$inferInsert) =>
    (await db.insert(threads).values(row).returning())[0]!,
  find: async (db: DbOrTx, communityId: string, id: string, lock = false) => {
    const q = db
      .select()
      .from(threads)
      .where(and(eq(threads.communityId, communityId), eq(threads.id, id)));
    return (lock ? await q.for('update') : await q)[0];
  },
  update: async (db: DbOrTx, id: string, patch: Partial<typeof threads.$inferInsert>) =>
    (
      await db
        .update(threads)
        .set({ ...patch, updatedAt: new Date(), version: sql`${threads.version} + 1` })
        .where(eq(threads.id, id))
        .returning()
    )[0]!,
  delete: (db: DbOrTx, id: string) => db.delete(threads).where(eq(threads.id, id)),
  /** Pinned first, then newest; the keyset (pinned, created_at, id) keeps a cursor walk stable while threads are added. */
  page: (
    db: DbOrTx,
    communityId: string,
    limit: number,
    offset: number,
    after?: { pinned: boolean; createdAt: Date; id: string },
  ) => {
    const conditions: SQL[] = [eq(threads.communityId, communityId)];
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
  count: (db: DbOrTx, communityId: string) => db.$count(threads, eq(threads.communityId, communityId)),
  /**
   * Comment count and last activity (the newest post: the thread or its latest comment) recomputed
   * under the thread's row lock, so they are exact under concurrent writes.
   */
  refreshCounts: (db: DbOrTx, id: string) =>
    db.execute(sql`UPDATE threads SET comment_count = (SELECT count(*) FROM comments WHERE thread_id = ${id}),
                                      last_activity_at = greatest(created_at, (SELECT max(created_at) FROM comments WHERE thread_id = ${id}))
                    WHERE id = ${id}`),
};

export const comment = {
  insert: async (db: DbOrTx, row: typeof comments.$inferInsert) =>
    (await db.insert(comments).values(row).returning())[0]!,
  find: async (db: DbOrTx, threadId: string, id: string) =>
    (
      await db
        .select()
        .from(comments)
        .where(and(eq(comments.threadId, threadId), eq(comments.id, id)))
    )[0],
  update: async (db: DbOrTx, id: string, patch: Partial<typeof comments.$inferInsert>) =>
    (
      await db
        .update(comments)
        .set({ ...patch, updatedAt: new Date(), version: sql`${comments.version} + 1` })
        .where(eq(comments.id, id))
        .returning()
    )[0]!,
  /**
   * Deletes the comment and its whole subtree in one statement (a recursive query), so a reply chain
   * of any depth does not become a chain of nested cascades.
   */
  delete: (db: DbOrTx, id: string) =>
    db.execute(sql`WITH RECURSIVE subtree AS (
                     SELECT id FROM comments WHERE id = ${id}
                     UNION ALL SELECT c.id FROM comments c JOIN subtree s ON c.parent_id = s.id)
                   DELETE FROM comments WHERE id IN (SELECT id FROM subtree)`),
  /** Every comment of a thread, oldest first: one query, whatever the count. */
  all: (db: DbOrTx, threadId: string) =>
    db
      .select()
      .from(comments)
      .where(eq(comments.threadId, threadId))
      .orderBy(asc(comments.createdAt), asc(comments.id)),
  page: (db: DbOrTx, threadId: string, req: ListRequest) =>
    listPage(
      db,
      comments,
      eq(comments.threadId, threadId),
      req,
      { createdAt: { column: comments.createdAt, kind: 'date' } },
      comments.id,
    ),
};

export const media = {
  insert: async (db: DbOrTx, row: typeof communityMedia.$inferInsert) =>
    (await db.insert(communityMedia).values(row).returning())[0]!,
  page: (db: DbOrTx, communityId: string, type: 'video' | 'file' | 'image' | undefined, req: ListRequest) =>
    listPage(
      db,
      communityMedia,
      and(eq(communityMedia.communityId, communityId), type ? eq(communityMedia.type, type) : undefined)!,
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
