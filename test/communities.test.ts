/** Communities: every rule, trees of comments, counts under concurrency, isolation. */

import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { comments, communityMedia, communityMembers, threads } from '../src/db/schema/index.js';
import { newId } from '../src/lib/ids.js';
import { call, createKey, createSchool, listen, setupApp, tally } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);
const post = (url: string, body: unknown, key = A.key) => call(ctx.app, 'POST', url, { key, body });
const paths = (res: { json(): { details: { path: string }[] } }) =>
  res
    .json()
    .details.map((d) => d.path)
    .sort();

async function community(slug = `c-${Math.random().toString(36).slice(2, 8)}`) {
  const res = await post('/api/v1/communities', { name: 'Rust learners', slug });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}
async function student(key = A.key) {
  return (await post('/api/v1/students', { name: 'Member', email: `m${Math.random()}@example.com` }, key)).json()
    .id as string;
}
async function memberOf(c: string) {
  const id = await student();
  expect((await post(`/api/v1/communities/${c}/members`, { userId: id })).statusCode).toBe(201);
  return id;
}

describe('communities', () => {
  it('CRUD with unique slugs per school, defaults, and delete with everything in it', async () => {
    const res = await post('/api/v1/communities', { name: 'Rust', slug: 'rust', description: 'Ask' });
    expect(res.json()).toMatchObject({
      object: 'community',
      slug: 'rust',
      isFree: true,
      price: 0,
      isPublic: true,
      memberCount: 0,
    });
    expect((await post('/api/v1/communities', { name: 'Again', slug: 'rust' })).json().error).toBe('duplicate_slug');
    expect((await post('/api/v1/communities', { name: 'Rust', slug: 'rust' }, B.key)).statusCode).toBe(201);
    const id = res.json().id;
    const patched = await call(ctx.app, 'PATCH', `/api/v1/communities/${id}`, {
      key: A.key,
      body: { isFree: false, price: 999, isPublic: false },
    });
    expect(patched.json()).toMatchObject({ isFree: false, price: 999, isPublic: false });
    const m = await memberOf(id);
    const t = (await post(`/api/v1/communities/${id}/threads`, { title: 'Hi', content: 'Hello', userId: m })).json();
    await post(`/api/v1/communities/${id}/threads/${t.id}/comments`, { content: 'c', userId: m });
    await post(`/api/v1/communities/${id}/media`, {
      type: 'image',
      title: 'i',
      url: 'https://x.example/i.png',
      fileName: 'i.png',
      fileSize: 10,
      userId: m,
    });
    expect((await call(ctx.app, 'DELETE', `/api/v1/communities/${id}`, { key: A.key })).statusCode).toBe(204);
    for (const [table, col] of [
      [threads, threads.communityId],
      [communityMembers, communityMembers.communityId],
      [communityMedia, communityMedia.communityId],
    ] as const) {
      expect((await ctx.database.db.select({ n: count() }).from(table).where(eq(col, id)))[0]!.n).toBe(0);
    }
    expect((await ctx.database.db.select({ n: count() }).from(comments).where(eq(comments.threadId, t.id)))[0]!.n).toBe(
      0,
    );
  });

  it.each([
    [{ slug: 'x' }, ['name']],
    [{ name: 'x' }, ['slug']],
    [{ name: 'x', slug: 'Bad Slug' }, ['slug']],
    [{ name: 'x', slug: 'x1', price: -1 }, ['price']],
    [{ name: 'x', slug: 'x2', isFree: true, price: 5 }, ['price']],
    [{ name: 'x', slug: 'x3', coverImageUrl: 'ftp://x' }, ['coverImageUrl']],
    [{ name: 'x', slug: 'x4', ownerId: 'usr_1' }, ['ownerId']],
  ])('%j → 400 at %j', async (body, expected) => {
    const res = await post('/api/v1/communities', body);
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toEqual(expected);
  });
});

describe('members', () => {
  it('add with a role (409 already_member), list with user info, remove by ?userId= keeping posts', async () => {
    const c = await community();
    const u = await student();
    const added = await post(`/api/v1/communities/${c}/members`, { userId: u, role: 'moderator' });
    expect(added.json()).toMatchObject({ object: 'member', userId: u, role: 'moderator', name: 'Member' });
    expect((await post(`/api/v1/communities/${c}/members`, { userId: u })).json().error).toBe('already_member');
    expect(paths(await post(`/api/v1/communities/${c}/members`, { userId: u, role: 'owner' }))).toEqual(['role']);
    expect(paths(await post(`/api/v1/communities/${c}/members`, { userId: await student(B.key) }))).toEqual(['userId']);
    const list = (await call(ctx.app, 'GET', `/api/v1/communities/${c}/members`, { key: A.key })).json();
    expect(list.data[0]).toMatchObject({ userId: u, email: expect.stringContaining('@example.com'), avatarUrl: null });
    const t = (await post(`/api/v1/communities/${c}/threads`, { title: 'Mine', content: 'x', userId: u })).json();
    expect(
      (await call(ctx.app, 'DELETE', `/api/v1/communities/${c}/members?userId=${u}`, { key: A.key })).statusCode,
    ).toBe(204);
    expect(
      (await call(ctx.app, 'DELETE', `/api/v1/communities/${c}/members?userId=${u}`, { key: A.key })).statusCode,
    ).toBe(404);
    expect((await call(ctx.app, 'GET', `/api/v1/communities/${c}/threads/${t.id}`, { key: A.key })).json().userId).toBe(
      u,
    );
    // No longer a member: may not post.
    expect(paths(await post(`/api/v1/communities/${c}/threads`, { title: 'x', content: 'x', userId: u }))).toEqual([
      'userId',
    ]);
  });
});

describe('threads and comments', () => {
  it('authors: members, or the school’s admins, owner and bots', async () => {
    const c = await community();
    const outsider = await student();
    const bot = (
      await post('/api/v1/users', { name: 'Bot', email: `bot${Math.random()}@example.com`, role: 'bot' })
    ).json().id;
    expect(
      paths(await post(`/api/v1/communities/${c}/threads`, { title: 't', content: 'c', userId: outsider })),
    ).toEqual(['userId']);
    expect((await post(`/api/v1/communities/${c}/threads`, { title: 't', content: 'c', userId: bot })).statusCode).toBe(
      201,
    );
    expect(
      (await post(`/api/v1/communities/${c}/threads`, { title: 't', content: 'c', userId: A.owner.id })).statusCode,
    ).toBe(201);
  });

  it.each([
    [{ content: 'c' }, ['title', 'userId']],
    [{ title: 't'.repeat(201), content: 'c', userId: 'u' }, ['title']],
    [{ title: 't', content: 'c'.repeat(20001), userId: 'u' }, ['content']],
    [{ title: 't', content: '', userId: 'u' }, ['content']],
  ])('thread %j → 400 at %j', async (body, expected) => {
    const c = await community();
    const res = await post(`/api/v1/communities/${c}/threads`, body);
    expect(res.statusCode).toBe(400);
    expect(paths(res)).toEqual(expected);
  });

  it('content is Markdown rendered safely: no HTML injection', async () => {
    const c = await community();
    const m = await memberOf(c);
    const t = (
      await post(`/api/v1/communities/${c}/threads`, {
        title: 't',
        content: 'Hello **world** <script>alert(1)</script> <img src=x onerror=alert(1)>',
        userId: m,
      })
    ).json();
    expect(t.content).toContain('<script>'); // kept as written
    expect(t.contentHtml).toContain('<strong>world</strong>');
    expect(t.contentHtml).not.toMatch(/<script|onerror/);
  });

  it('pinned first, then newest; a cursor walk sees each thread once while threads are added', async () => {
    const c = await community();
    const m = await memberOf(c);
    const made: string[] = [];
    for (let i = 0; i < 6; i++)
      made.push(
        (
          await post(`/api/v1/communities/${c}/threads`, { title: `t${i}`, content: 'x', userId: m, pinned: i === 1 })
        ).json().id,
      );
    const first = (await call(ctx.app, 'GET', `/api/v1/communities/${c}/threads?limit=4`, { key: A.key })).json();
    expect(first.data[0].id).toBe(made[1]);
    expect(first.data.slice(1).map((t: { id: string }) => t.id)).toEqual([made[5], made[4], made[3]]);
    expect(first.pagination).toMatchObject({ total: 6, hasMore: true });
    await post(`/api/v1/communities/${c}/threads`, { title: 'late', content: 'x', userId: m });
    const next = (
      await call(ctx.app, 'GET', `/api/v1/communities/${c}/threads?limit=4&cursor=${first.pagination.nextCursor}`, {
        key: A.key,
      })
    ).json();
    expect(next.data.map((t: { id: string }) => t.id)).toEqual([made[2], made[0]]);
    expect(
      (await call(ctx.app, 'GET', `/api/v1/communities/${c}/threads?cursor=garbage`, { key: A.key })).json().error,
    ).toBe('invalid_cursor');
    const pin = await call(ctx.app, 'PATCH', `/api/v1/communities/${c}/threads/${made[0]}`, {
      key: A.key,
      body: { pinned: true, title: 'Now pinned' },
    });
    expect(pin.json()).toMatchObject({ pinned: true, title: 'Now pinned' });
  });

  it('replies form a tree; parentId must be of the same thread; delete removes the subtree; counts stay right', async () => {
    const c = await community();
    const m = await memberOf(c);
    const t = (await post(`/api/v1/communities/${c}/threads`, { title: 't', content: 'x', userId: m })).json();
    const other = (await post(`/api/v1/communities/${c}/threads`, { title: 'o', content: 'x', userId: m })).json();
    const url = `/api/v1/communities/${c}/threads/${t.id}/comments`;
    const root = (await post(url, { content: 'root', userId: m })).json();
    const reply = (await post(url, { content: 'reply', userId: m, parentId: root.id })).json();
    await post(url, { content: 'deep', userId: m, parentId: reply.id });
    await post(url, { content: 'second root', userId: m });
    const otherComment = (
      await post(`/api/v1/communities/${c}/threads/${other.id}/comments`, { content: 'elsewhere', userId: m })
    ).json();
    expect(paths(await post(url, { content: 'x', userId: m, parentId: otherComment.id }))).toEqual(['parentId']);
    const full = (await call(ctx.app, 'GET', `/api/v1/communities/${c}/threads/${t.id}`, { key: A.key })).json();
    expect(full.commentCount).toBe(4);
    expect(full.comments.map((x: { content: string }) => x.content)).toEqual(['root', 'second root']);
    expect(full.comments[0].replies[0].replies[0].content).toBe('deep');
    expect((await call(ctx.app, 'DELETE', `${url}/${root.id}`, { key: A.key })).statusCode).toBe(204);
    const after = (await call(ctx.app, 'GET', `/api/v1/communities/${c}/threads/${t.id}`, { key: A.key })).json();
    expect(after.commentCount).toBe(1);
    expect(after.comments.map((x: { content: string }) => x.content)).toEqual(['second root']);
    const edited = await call(ctx.app, 'PATCH', `${url}/${after.comments[0].id}`, {
      key: A.key,
      body: { content: '*edited*' },
    });
    expect(edited.json().contentHtml).toContain('<em>edited</em>');
    expect((await call(ctx.app, 'GET', url, { key: A.key })).json().pagination.total).toBe(1);
  });

  it('a thread id under the wrong community is 404', async () => {
    const c1 = await community();
    const c2 = await community();
    const m = await memberOf(c1);
    const t = (await post(`/api/v1/communities/${c1}/threads`, { title: 't', content: 'x', userId: m })).json();
    expect((await call(ctx.app, 'GET', `/api/v1/communities/${c2}/threads/${t.id}`, { key: A.key })).statusCode).toBe(
      404,
    );
    expect(
      (await post(`/api/v1/communities/${c2}/threads/${t.id}/comments`, { content: 'x', userId: m })).statusCode,
    ).toBe(404);
  });

  it('a 1,000-comment thread comes back as a tree in a bounded number of queries', async () => {
    const c = await community();
    const m = await memberOf(c);
    const t = (await post(`/api/v1/communities/${c}/threads`, { title: 'big', content: 'x', userId: m })).json();
    const rows: (typeof comments.$inferInsert)[] = [];
    for (let i = 0; i < 1000; i++) {
      const parent = i > 0 && i % 3 !== 0 ? rows[i - 1]!.id! : null;
      rows.push({
        id: newId('comment', Date.now() + i),
        schoolId: A.id,
        threadId: t.id,
        parentId: parent,
        userId: m,
        content: `c${i}`,
        contentHtml: `<p>c${i}</p>`,
        createdAt: new Date(Date.now() + i),
      });
    }
    await ctx.database.db.insert(comments).values(rows);
    const before = ctx.database.queryCount();
    const res = await call(ctx.app, 'GET', `/api/v1/communities/${c}/threads/${t.id}`, { key: A.key });
    const used = ctx.database.queryCount() - before;
    expect(res.statusCode).toBe(200);
    expect(used).toBeLessThanOrEqual(3);
    const countAll = (nodes: { replies: unknown[] }[]): number =>
      nodes.reduce((n, x) => n + 1 + countAll(x.replies as { replies: unknown[] }[]), 0);
    expect(countAll(res.json().comments)).toBe(1000);
    expect(res.json().comments).toHaveLength(334);
  });

  it('comment counts stay right under concurrent comments', async () => {
    const base = await listen(ctx.app);
    const c = await community();
    const m = await memberOf(c);
    const t = (await post(`/api/v1/communities/${c}/threads`, { title: 't', content: 'x', userId: m })).json();
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${base}/api/v1/communities/${c}/threads/${t.id}/comments`, {
          method: 'POST',
          headers: { authorization: `Bearer ${A.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ content: `c${i}`, userId: m }),
        }).then((r) => r.status),
      ),
    );
    expect(tally(statuses)).toEqual({ 201: 20 });
    expect(
      (await call(ctx.app, 'GET', `/api/v1/communities/${c}/threads/${t.id}`, { key: A.key })).json().commentCount,
    ).toBe(20);
  });
});

describe('community media', () => {
  it('create and list by type; every field rule', async () => {
    const c = await community();
    const m = await memberOf(c);
    const base = {
      type: 'video',
      title: 'Intro',
      url: 'https://cdn.example.com/v.mp4',
      fileName: 'v.mp4',
      fileSize: 1000,
      userId: m,
    };
    expect((await post(`/api/v1/communities/${c}/media`, base)).statusCode).toBe(201);
    expect(
      (await post(`/api/v1/communities/${c}/media`, { ...base, type: 'image', fileName: 'i.png' })).statusCode,
    ).toBe(201);
    const videos = (await call(ctx.app, 'GET', `/api/v1/communities/${c}/media?type=video`, { key: A.key })).json();
    expect(videos.data.map((x: { type: string }) => x.type)).toEqual(['video']);
    for (const [patch, path] of [
      [{ fileSize: 0 }, 'fileSize'],
      [{ type: 'audio' }, 'type'],
      [{ url: 'javascript:alert(1)' }, 'url'],
      [{ title: '' }, 'title'],
    ] as const) {
      const res = await post(`/api/v1/communities/${c}/media`, { ...base, ...patch });
      expect(res.statusCode).toBe(400);
      expect(paths(res)).toEqual([path]);
    }
  });
});

describe('isolation and scopes', () => {
  it("school B gets 404 on school A's community, threads, comments, members and media", async () => {
    const c = await community();
    const m = await memberOf(c);
    const t = (await post(`/api/v1/communities/${c}/threads`, { title: 't', content: 'x', userId: m })).json();
    const cm = (await post(`/api/v1/communities/${c}/threads/${t.id}/comments`, { content: 'x', userId: m })).json();
    for (const [method, url, body] of [
      ['GET', `/api/v1/communities/${c}`],
      ['PATCH', `/api/v1/communities/${c}`, { name: 'x' }],
      ['DELETE', `/api/v1/communities/${c}`],
      ['GET', `/api/v1/communities/${c}/members`],
      ['POST', `/api/v1/communities/${c}/members`, { userId: m }],
      ['GET', `/api/v1/communities/${c}/threads`],
      ['GET', `/api/v1/communities/${c}/threads/${t.id}`],
      ['PATCH', `/api/v1/communities/${c}/threads/${t.id}`, { title: 'x' }],
      ['DELETE', `/api/v1/communities/${c}/threads/${t.id}`],
      ['GET', `/api/v1/communities/${c}/threads/${t.id}/comments`],
      ['PATCH', `/api/v1/communities/${c}/threads/${t.id}/comments/${cm.id}`, { content: 'x' }],
      ['DELETE', `/api/v1/communities/${c}/threads/${t.id}/comments/${cm.id}`],
      ['GET', `/api/v1/communities/${c}/media`],
    ] as const) {
      const res = await call(ctx.app, method, url, { key: B.key, body });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    const reader = (await createKey(ctx, A.id, ['communities:read'])).key;
    expect((await call(ctx.app, 'GET', `/api/v1/communities/${c}`, { key: reader })).statusCode).toBe(200);
    expect((await post('/api/v1/communities', { name: 'x', slug: 'by-reader' }, reader)).statusCode).toBe(403);
  });
});

describe('review follow-ups', () => {
  it('a price needs isFree: false; PATCH keeps the rule; duplicate slug on PATCH is 409', async () => {
    expect(paths(await post('/api/v1/communities', { name: 'Paid?', slug: 'paid-q', price: 500 }))).toEqual(['price']);
    const paid = (
      await post('/api/v1/communities', { name: 'Paid', slug: 'paid-ok', isFree: false, price: 500 })
    ).json();
    expect(paid).toMatchObject({ isFree: false, price: 500 });
    const free = await call(ctx.app, 'PATCH', `/api/v1/communities/${paid.id}`, { key: A.key, body: { isFree: true } });
    expect(free.json()).toMatchObject({ isFree: true, price: 0 });
    expect(
      paths(await call(ctx.app, 'PATCH', `/api/v1/communities/${paid.id}`, { key: A.key, body: { price: 5 } })),
    ).toEqual(['price']);
    const other = await community();
    expect(
      (await call(ctx.app, 'PATCH', `/api/v1/communities/${other}`, { key: A.key, body: { slug: 'paid-ok' } })).json()
        .error,
    ).toBe('duplicate_slug');
  });

  it('comments under another thread are 404; other schools’ users cannot post; removed members cannot comment', async () => {
    const c = await community();
    const m = await memberOf(c);
    const t1 = (await post(`/api/v1/communities/${c}/threads`, { title: 'a', content: 'x', userId: m })).json();
    const t2 = (await post(`/api/v1/communities/${c}/threads`, { title: 'b', content: 'x', userId: m })).json();
    const cm = (await post(`/api/v1/communities/${c}/threads/${t1.id}/comments`, { content: 'x', userId: m })).json();
    expect(
      (
        await call(ctx.app, 'PATCH', `/api/v1/communities/${c}/threads/${t2.id}/comments/${cm.id}`, {
          key: A.key,
          body: { content: 'y' },
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await call(ctx.app, 'DELETE', `/api/v1/communities/${c}/threads/${t2.id}/comments/${cm.id}`, { key: A.key }))
        .statusCode,
    ).toBe(404);
    const foreign = await student(B.key);
    expect(
      paths(await post(`/api/v1/communities/${c}/threads`, { title: 'x', content: 'x', userId: foreign })),
    ).toEqual(['userId']);
    expect(
      paths(await post(`/api/v1/communities/${c}/threads/${t1.id}/comments`, { content: 'x', userId: foreign })),
    ).toEqual(['userId']);
    expect(
      paths(
        await post(`/api/v1/communities/${c}/media`, {
          type: 'file',
          title: 'f',
          url: 'https://x.example/f',
          fileName: 'f',
          fileSize: 1,
          userId: foreign,
        }),
      ),
    ).toEqual(['userId']);
    await call(ctx.app, 'DELETE', `/api/v1/communities/${c}/members?userId=${m}`, { key: A.key });
    expect(
      paths(await post(`/api/v1/communities/${c}/threads/${t1.id}/comments`, { content: 'x', userId: m })),
    ).toEqual(['userId']);
    expect(
      paths(await post(`/api/v1/communities/${c}/threads/${t1.id}/comments`, { content: '   ', userId: A.owner.id })),
    ).toEqual(['content']);
    expect(
      (await call(ctx.app, 'DELETE', `/api/v1/communities/${c}/threads/${t1.id}`, { key: A.key })).statusCode,
    ).toBe(204);
    expect(
      (await ctx.database.db.select({ n: count() }).from(comments).where(eq(comments.threadId, t1.id)))[0]!.n,
    ).toBe(0);
  });

  it('a 1,000-deep reply chain is read as a tree and deleted from its root', async () => {
    const c = await community();
    const m = await memberOf(c);
    const t = (await post(`/api/v1/communities/${c}/threads`, { title: 'deep', content: 'x', userId: m })).json();
    const rows: (typeof comments.$inferInsert)[] = [];
    for (let i = 0; i < 1000; i++) {
      rows.push({
        id: newId('comment', Date.now() + i),
        schoolId: A.id,
        threadId: t.id,
        parentId: i ? rows[i - 1]!.id! : null,
        userId: m,
        content: `d${i}`,
        contentHtml: `<p>d${i}</p>`,
        createdAt: new Date(Date.now() + i),
      });
    }
    await ctx.database.db.insert(comments).values(rows);
    const res = await call(ctx.app, 'GET', `/api/v1/communities/${c}/threads/${t.id}`, { key: A.key });
    expect(res.statusCode).toBe(200);
    let depth = 0;
    for (let node = res.json().comments[0]; node; node = node.replies[0]) depth++;
    expect(depth).toBe(1000);
    const del = await call(ctx.app, 'DELETE', `/api/v1/communities/${c}/threads/${t.id}/comments/${rows[0]!.id}`, {
      key: A.key,
    });
    expect(del.statusCode).toBe(204);
    expect(
      (await call(ctx.app, 'GET', `/api/v1/communities/${c}/threads/${t.id}`, { key: A.key })).json(),
    ).toMatchObject({ commentCount: 0, comments: [] });
  });
});
