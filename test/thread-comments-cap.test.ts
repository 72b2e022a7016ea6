/**
 * GET of one thread is bounded: its comment tree holds at most THREAD_COMMENTS_CAP comments (the
 * oldest), says when it was cut, and gives the cursor with which the flat comments list goes on.
 */
import { describe, expect, it } from 'vitest';
import { comments } from '../src/db/schema/index.js';
import { newId } from '../src/lib/ids.js';
import { THREAD_COMMENTS_CAP } from '../src/modules/communities/communities.schemas.js';
import { call, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const post = async (url: string, body: unknown) => {
  const res = await call(ctx.app, 'POST', `/api/v1${url}`, { key: A.key, body });
  expect(res.statusCode).toBe(201);
  return res.json();
};
const get = (url: string) => call(ctx.app, 'GET', `/api/v1${url}`, { key: A.key });

type Node = { id: string; content: string; replies: Node[] };
const flatten = (nodes: Node[]): Node[] => nodes.flatMap((n) => [n, ...flatten(n.replies)]);

/** A thread with `n` comments, oldest first: every third a new root, the others replies to the one before. */
async function threadWith(n: number) {
  const community = (await post('/communities', { name: 'Big', slug: `big-${Math.random().toString(36).slice(2, 8)}` }))
    .id as string;
  const thread = (await post(`/communities/${community}/threads`, { title: 'T', content: 'x', userId: A.owner.id }))
    .id as string;
  const start = Date.now();
  const rows: (typeof comments.$inferInsert)[] = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      id: newId('comment', start + i),
      schoolId: A.id,
      threadId: thread,
      parentId: i % 3 === 0 ? null : rows[i - 1]!.id!,
      userId: A.owner.id,
      content: `c${i}`,
      contentHtml: `<p>c${i}</p>`,
      createdAt: new Date(start + i),
    });
  }
  for (let i = 0; i < rows.length; i += 500) await ctx.database.db.insert(comments).values(rows.slice(i, i + 500));
  return { url: `/communities/${community}/threads/${thread}`, rows };
}

describe('the comment tree of one thread is capped', () => {
  it(`is ${THREAD_COMMENTS_CAP} comments`, () => {
    expect(THREAD_COMMENTS_CAP).toBe(1000);
  });

  it('a thread within the cap comes whole, not truncated, with no cursor', async () => {
    const { url } = await threadWith(7);
    const res = await get(url);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ commentsTruncated: false, commentsNextCursor: null });
    expect(flatten(res.json().comments)).toHaveLength(7);
  });

  it('a thread past the cap gives the oldest comments as whole branches, and the flat list goes on', async () => {
    const extra = 5;
    const { url, rows } = await threadWith(THREAD_COMMENTS_CAP + extra);
    const before = ctx.database.queryCount();
    const res = await get(url);
    expect(ctx.database.queryCount() - before).toBeLessThanOrEqual(3);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.commentsTruncated).toBe(true);
    const shown = flatten(body.comments);
    expect(shown).toHaveLength(THREAD_COMMENTS_CAP);
    expect(new Set(shown.map((c) => c.id))).toEqual(new Set(rows.slice(0, THREAD_COMMENTS_CAP).map((r) => r.id)));
    // Every reply shown sits under its parent: the cut never orphans a reply.
    expect(body.comments.every((c: Node & { parentId: string | null }) => c.parentId === null)).toBe(true);

    const rest = await get(`${url}/comments?cursor=${body.commentsNextCursor}&limit=100`);
    expect(rest.statusCode).toBe(200);
    expect(rest.json().data.map((c: { id: string }) => c.id)).toEqual(rows.slice(THREAD_COMMENTS_CAP).map((r) => r.id));
    expect(rest.json().pagination.hasMore).toBe(false);
  });

  it('the cap is documented in the OpenAPI description of the thread', async () => {
    const doc = (await call(ctx.app, 'GET', '/api/v1/openapi.json')).json();
    const thread = doc.components.schemas.Thread.properties;
    expect(thread.comments.description).toContain(`at most ${THREAD_COMMENTS_CAP}`);
    expect(thread.commentsTruncated.type).toBe('boolean');
    expect(thread.commentsTruncated.description).toContain(String(THREAD_COMMENTS_CAP));
    expect(thread.commentsNextCursor.description).toContain('cursor');
  });
});
