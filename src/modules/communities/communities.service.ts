import type { Db, DbOrTx } from '../../db/client.js';
import { cursorValue, withTotal } from '../../db/keyset.js';
import { AppError, notFound } from '../../lib/errors.js';
import { assertIfMatch, etagOf } from '../../lib/etag.js';
import { newId } from '../../lib/ids.js';
import { decodeCursor, encodeCursor, type PaginationQuery, paginate, toListRequest } from '../../lib/pagination.js';
import { parseMarkdown, renderRichText } from '../../lib/richtext.js';
import type { EventService } from '../events/events.service.js';
import * as repo from './communities.repo.js';
import { type CommentTree, THREAD_COMMENTS_CAP } from './communities.schemas.js';

const iso = (d: Date) => d.toISOString();

/**
 * Thread and comment text is plain text or Markdown: kept as written in `content`, and rendered
 * through the rich-text pipeline (Markdown → sanitised HTML → the course rich-text schema → HTML)
 * into `contentHtml`, so no HTML a member writes ever reaches a page as markup.
 */
function render(content: string, path: string): string {
  return renderRichText(parseMarkdown(content, path));
}

const presentCommunity = (r: repo.CommunityRow, memberCount: number) => ({
  object: 'community' as const,
  id: r.id,
  name: r.name,
  slug: r.slug,
  description: r.description,
  coverImageUrl: r.coverImageUrl,
  isFree: r.isFree,
  price: r.price,
  isPublic: r.isPublic,
  memberCount,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});
const presentThread = (r: repo.ThreadRow) => ({
  object: 'thread' as const,
  id: r.id,
  communityId: r.communityId,
  userId: r.userId,
  title: r.title,
  content: r.content,
  contentHtml: r.contentHtml,
  pinned: r.pinned,
  commentCount: r.commentCount,
  lastActivityAt: iso(r.lastActivityAt),
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});
const presentComment = (r: repo.CommentRow) => ({
  object: 'comment' as const,
  id: r.id,
  threadId: r.threadId,
  parentId: r.parentId,
  userId: r.userId,
  content: r.content,
  contentHtml: r.contentHtml,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});

/** Comments (oldest first) as a tree, in one pass: depth is unlimited, cost is linear. */
export function commentTree(rows: repo.CommentRow[]): CommentTree[] {
  const nodes = new Map(rows.map((r) => [r.id, { ...presentComment(r), replies: [] as CommentTree[] }]));
  const roots: CommentTree[] = [];
  for (const r of rows) {
    const node = nodes.get(r.id)!;
    const parent = r.parentId ? nodes.get(r.parentId) : undefined;
    (parent ? parent.replies : roots).push(node);
  }
  return roots;
}

/**
 * Communities, their members, threads (with comment trees) and media. Creations record their events
 * in the same transaction. A member or comment event carries `communityId` besides the object as
 * the API returns it: the API shows them under their community's path, which an event does not have.
 */
export function createCommunityService({ db, events }: { db: Db; events: EventService }) {
  async function findCommunity(schoolId: string, id: string, tx: DbOrTx = db, lock = false) {
    const c = await repo.community.find(tx, schoolId, id, lock);
    if (!c) throw notFound('Community');
    return c;
  }
  async function findThread(schoolId: string, communityId: string, threadId: string, tx: DbOrTx = db, lock = false) {
    await findCommunity(schoolId, communityId, tx);
    const t = await repo.thread.find(tx, schoolId, communityId, threadId, lock);
    if (!t) throw notFound('Thread');
    return t;
  }
  /** Authors: members of the community, or the school's admins, owner and bots. */
  async function assertAuthor(tx: DbOrTx, schoolId: string, communityId: string, userId: string) {
    const user = await repo.findSchoolUser(tx, schoolId, userId);
    if (!user)
      throw new AppError('validation_error', 'No such user in this school.', [
        { path: 'userId', message: 'No such user in this school.' },
      ]);
    if (['owner', 'admin', 'bot'].includes(user.role)) return;
    if (!(await repo.member.isMember(tx, schoolId, communityId, userId))) {
      throw new AppError('validation_error', 'The author must be a member of the community.', [
        { path: 'userId', message: 'Not a member of this community.' },
      ]);
    }
  }

  return {
    async create(
      schoolId: string,
      input: {
        name: string;
        slug: string;
        description?: string | null | undefined;
        coverImageUrl?: string | null | undefined;
        isFree?: boolean | undefined;
        price?: number | undefined;
        isPublic?: boolean | undefined;
      },
    ) {
      // Free unless said otherwise; a free community has no price.
      if ((input.isFree ?? true) && (input.price ?? 0) > 0) {
        throw new AppError('validation_error', 'A free community has no price; send isFree: false with a price.', [
          { path: 'price', message: 'A free community has no price.' },
        ]);
      }
      return db.transaction(async (tx) => {
        const row = await repo.community.insert(tx, schoolId, {
          id: newId('community'),
          ...input,
          price: input.price ?? 0,
        });
        const data = presentCommunity(row, 0);
        await events.record(tx, { schoolId, type: 'community.created', object: data });
        return { data, etag: etagOf(row) };
      });
    },
    async get(schoolId: string, id: string) {
      const row = await findCommunity(schoolId, id);
      const counts = await repo.community.memberCounts(db, schoolId, [id]);
      return { data: presentCommunity(row, counts.get(id) ?? 0), etag: etagOf(row) };
    },
    async list(schoolId: string, query: PaginationQuery) {
      const req = toListRequest(query, ['createdAt'], '-createdAt');
      const { rows, total } = await repo.community.page(db, schoolId, req);
      const { items, pagination } = paginate(rows, req, total, (r) => cursorValue(r.createdAt));
      const counts = await repo.community.memberCounts(
        db,
        schoolId,
        items.map((r) => r.id),
      );
      return { data: items.map((r) => presentCommunity(r, counts.get(r.id) ?? 0)), pagination };
    },
    async update(schoolId: string, id: string, patch: repo.CommunityPatch, ifMatch?: string) {
      return db.transaction(async (tx) => {
        const current = await findCommunity(schoolId, id, tx, true);
        assertIfMatch(ifMatch, current);
        // The rule holds for the result: a free community has price 0 (made free, its price resets).
        const isFree = patch.isFree ?? current.isFree;
        const price = patch.price ?? (patch.isFree === true ? 0 : current.price);
        if (isFree && price > 0)
          throw new AppError('validation_error', 'A free community has no price.', [
            { path: 'price', message: 'A free community has no price.' },
          ]);
        const row = await repo.community.update(tx, schoolId, id, { ...patch, price });
        const counts = await repo.community.memberCounts(tx, schoolId, [id]);
        return { data: presentCommunity(row, counts.get(id) ?? 0), etag: etagOf(row) };
      });
    },
    /** Deletes the community with its threads, comments, members and media (one transaction, by cascade). */
    async delete(schoolId: string, id: string, ifMatch?: string) {
      await db.transaction(async (tx) => {
        const current = await findCommunity(schoolId, id, tx, true);
        assertIfMatch(ifMatch, current);
        await repo.community.delete(tx, schoolId, id);
      });
    },

    /** `showEmail`: whether the caller may see this user's email (else null; emails are student data). */
    async addMember(
      schoolId: string,
      communityId: string,
      input: { userId: string; role: 'member' | 'moderator' | 'admin' },
      showEmail: (userId: string) => boolean,
    ) {
      return db.transaction(async (tx) => {
        await findCommunity(schoolId, communityId, tx);
        const user = await repo.findSchoolUser(tx, schoolId, input.userId);
        if (!user)
          throw new AppError('validation_error', 'No such user in this school.', [
            { path: 'userId', message: 'No such user in this school.' },
          ]);
        const row = await repo.member.add(tx, { communityId, userId: user.id, role: input.role });
        const member = {
          object: 'member' as const,
          userId: user.id,
          role: row.role,
          name: user.name,
          email: user.email,
          avatarUrl: user.avatarUrl,
          joinedAt: iso(row.createdAt),
        };
        // The event keeps the email; GET /events hides it from callers without students:read.
        await events.record(tx, { schoolId, type: 'community.member.added', object: { ...member, communityId } });
        return { ...member, email: showEmail(user.id) ? user.email : null };
      });
    },
    async members(
      schoolId: string,
      communityId: string,
      query: PaginationQuery,
      showEmail: (userId: string) => boolean,
    ) {
      await findCommunity(schoolId, communityId);
      const req = toListRequest(query, ['createdAt'], 'createdAt');
      const results = (await repo.member.list(db, schoolId, communityId, req)).map((r) => ({
        row: { ...r, id: r.m.userId },
        total: r.total,
      }));
      const { rows, total } = await withTotal(results, req, () => repo.member.count(db, schoolId, communityId));
      const { items, pagination } = paginate(rows, req, total, (r) => cursorValue(r.m.createdAt));
      return {
        data: items.map(({ m, u }) => ({
          object: 'member' as const,
          userId: m.userId,
          role: m.role,
          name: u.name,
          email: showEmail(m.userId) ? u.email : null,
          avatarUrl: u.avatarUrl,
          joinedAt: iso(m.createdAt),
        })),
        pagination,
      };
    },
    /** Removes the membership; the member's threads and comments stay. */
    async removeMember(schoolId: string, communityId: string, userId: string) {
      await findCommunity(schoolId, communityId);
      if ((await repo.member.remove(db, schoolId, communityId, userId)) === 0) throw notFound('Member');
    },

    async createThread(
      schoolId: string,
      communityId: string,
      input: { title: string; content: string; userId: string; pinned?: boolean | undefined },
    ) {
      const contentHtml = render(input.content, 'content');
      return db.transaction(async (tx) => {
        await findCommunity(schoolId, communityId, tx);
        await assertAuthor(tx, schoolId, communityId, input.userId);
        const row = await repo.thread.insert(tx, schoolId, {
          id: newId('thread'),
          communityId,
          userId: input.userId,
          title: input.title,
          content: input.content,
          contentHtml,
          pinned: input.pinned ?? false,
        });
        const data = presentThread(row);
        await events.record(tx, { schoolId, type: 'community.thread.created', object: data });
        return { data, etag: etagOf(row) };
      });
    },
    async threads(schoolId: string, communityId: string, query: PaginationQuery) {
      await findCommunity(schoolId, communityId);
      if (query.page !== undefined && query.cursor !== undefined) toListRequest(query, ['order'], 'order'); // the shared refusal
      const after = query.cursor ? threadCursor(query.cursor) : undefined;
      const offset = after ? 0 : ((query.page ?? 1) - 1) * query.limit;
      const rows = await repo.thread.page(db, schoolId, communityId, query.limit, offset, after);
      const hasMore = rows.length > query.limit;
      const items = rows.slice(0, query.limit).map((r) => r.row);
      const last = items[items.length - 1];
      const total = after
        ? null
        : (rows[0]?.total ?? (offset ? await repo.thread.count(db, schoolId, communityId) : 0));
      return {
        data: items.map(presentThread),
        pagination: {
          page: after ? null : (query.page ?? 1),
          limit: query.limit,
          total,
          totalPages: total === null ? null : Math.ceil(total / query.limit),
          hasMore,
          nextCursor:
            hasMore && last ? encodeCursor('thread', `${last.pinned ? 1 : 0}|${iso(last.createdAt)}`, last.id) : null,
        },
      };
    },
    /**
     * The thread with its comments as a tree: the oldest THREAD_COMMENTS_CAP of them (a reply is
     * newer than its parent, so the cut keeps whole branches), and a cursor into the flat comments
     * list for the rest. Three queries whatever the number of comments.
     */
    async thread(schoolId: string, communityId: string, threadId: string) {
      const t = await findThread(schoolId, communityId, threadId);
      const rows = await repo.comment.oldest(db, schoolId, t.id, THREAD_COMMENTS_CAP + 1);
      const truncated = rows.length > THREAD_COMMENTS_CAP;
      const kept = truncated ? rows.slice(0, THREAD_COMMENTS_CAP) : rows;
      const last = kept[kept.length - 1];
      return {
        data: {
          ...presentThread(t),
          comments: commentTree(kept),
          commentsTruncated: truncated,
          // The flat list's own cursor (sort createdAt), continuing right after the last comment shown.
          commentsNextCursor: truncated && last ? encodeCursor('createdAt', iso(last.createdAt), last.id) : null,
        },
        etag: etagOf(t),
      };
    },
    async updateThread(
      schoolId: string,
      communityId: string,
      threadId: string,
      patch: { title?: string | undefined; content?: string | undefined; pinned?: boolean | undefined },
      ifMatch?: string,
    ) {
      const contentHtml = patch.content !== undefined ? render(patch.content, 'content') : undefined;
      return db.transaction(async (tx) => {
        const t = await findThread(schoolId, communityId, threadId, tx, true);
        assertIfMatch(ifMatch, t);
        const row = await repo.thread.update(tx, schoolId, t.id, {
          ...patch,
          ...(contentHtml !== undefined ? { contentHtml } : {}),
        });
        return { data: presentThread(row), etag: etagOf(row) };
      });
    },
    async deleteThread(schoolId: string, communityId: string, threadId: string, ifMatch?: string) {
      await db.transaction(async (tx) => {
        const t = await findThread(schoolId, communityId, threadId, tx, true);
        assertIfMatch(ifMatch, t);
        await repo.thread.delete(tx, schoolId, t.id);
      });
    },

    async createComment(
      schoolId: string,
      communityId: string,
      threadId: string,
      input: { content: string; userId: string; parentId?: string | undefined },
    ) {
      const contentHtml = render(input.content, 'content');
      return db.transaction(async (tx) => {
        const t = await findThread(schoolId, communityId, threadId, tx, true); // the lock keeps the counts right
        await assertAuthor(tx, schoolId, communityId, input.userId);
        if (input.parentId && !(await repo.comment.find(tx, schoolId, t.id, input.parentId))) {
          throw new AppError('validation_error', 'parentId must be a comment of the same thread.', [
            { path: 'parentId', message: 'Not a comment of this thread.' },
          ]);
        }
        const row = await repo.comment.insert(tx, schoolId, {
          id: newId('comment'),
          threadId: t.id,
          parentId: input.parentId ?? null,
          userId: input.userId,
          content: input.content,
          contentHtml,
        });
        await repo.thread.refreshCounts(tx, schoolId, t.id);
        const data = presentComment(row);
        await events.record(tx, { schoolId, type: 'community.comment.created', object: { ...data, communityId } });
        return { data, etag: etagOf(row) };
      });
    },
    async comments(schoolId: string, communityId: string, threadId: string, query: PaginationQuery) {
      const t = await findThread(schoolId, communityId, threadId);
      const req = toListRequest(query, ['createdAt'], 'createdAt');
      const { rows, total } = await repo.comment.page(db, schoolId, t.id, req);
      const { items, pagination } = paginate(rows, req, total, (r) => cursorValue(r.createdAt));
      return { data: items.map(presentComment), pagination };
    },
    async updateComment(
      schoolId: string,
      communityId: string,
      threadId: string,
      commentId: string,
      content: string,
      ifMatch?: string,
    ) {
      const contentHtml = render(content, 'content');
      return db.transaction(async (tx) => {
        const t = await findThread(schoolId, communityId, threadId, tx, true);
        const c = await repo.comment.find(tx, schoolId, t.id, commentId);
        if (!c) throw notFound('Comment');
        assertIfMatch(ifMatch, c);
        const row = await repo.comment.update(tx, schoolId, c.id, { content, contentHtml });
        await repo.thread.refreshCounts(tx, schoolId, t.id);
        return { data: presentComment(row), etag: etagOf(row) };
      });
    },
    /** Deletes the comment and all its replies; the thread's counts follow. */
    async deleteComment(schoolId: string, communityId: string, threadId: string, commentId: string, ifMatch?: string) {
      await db.transaction(async (tx) => {
        const t = await findThread(schoolId, communityId, threadId, tx, true);
        const c = await repo.comment.find(tx, schoolId, t.id, commentId);
        if (!c) throw notFound('Comment');
        assertIfMatch(ifMatch, c);
        await repo.comment.delete(tx, schoolId, c.id);
        await repo.thread.refreshCounts(tx, schoolId, t.id);
      });
    },

    async addMedia(
      schoolId: string,
      communityId: string,
      input: Omit<repo.NewCommunityMedia, 'id'> & { userId: string },
    ) {
      await findCommunity(schoolId, communityId);
      const user = await repo.findSchoolUser(db, schoolId, input.userId);
      if (!user)
        throw new AppError('validation_error', 'No such user in this school.', [
          { path: 'userId', message: 'No such user in this school.' },
        ]);
      const row = await repo.media.insert(db, schoolId, communityId, { id: newId('communityMedia'), ...input });
      return presentMedia(row);
    },
    async media(
      schoolId: string,
      communityId: string,
      query: PaginationQuery & { type?: 'video' | 'file' | 'image' | undefined },
    ) {
      await findCommunity(schoolId, communityId);
      const req = toListRequest(query, ['createdAt'], '-createdAt');
      const { rows, total } = await repo.media.page(db, schoolId, communityId, query.type, req);
      const { items, pagination } = paginate(rows, req, total, (r) => cursorValue(r.createdAt));
      return { data: items.map(presentMedia), pagination };
    },
  };
}
export type CommunityService = ReturnType<typeof createCommunityService>;

function presentMedia(r: repo.CommunityMediaRow) {
  return {
    object: 'community_media' as const,
    id: r.id,
    communityId: r.communityId,
    userId: r.userId,
    type: r.type,
    title: r.title,
    url: r.url,
    fileName: r.fileName,
    fileSize: r.fileSize,
    mimeType: r.mimeType,
    thumbnailUrl: r.thumbnailUrl,
    duration: r.duration,
    description: r.description,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

/** The threads list's cursor: (pinned, createdAt, id), signed by its sort name like every cursor. */
function threadCursor(cursor: string): { pinned: boolean; createdAt: Date; id: string } {
  const { value, id } = decodeCursor(cursor, 'thread');
  const m = typeof value === 'string' ? /^([01])\|(.+)$/.exec(value) : null;
  if (!m || Number.isNaN(Date.parse(m[2]!)))
    throw new AppError('invalid_cursor', 'The cursor is not valid for this list.', [
      { path: 'cursor', message: 'Invalid cursor.' },
    ]);
  return { pinned: m[1] === '1', createdAt: new Date(m[2]!), id };
}
