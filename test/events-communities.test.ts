/**
 * The events of communities (API.md §2 Webhooks and events), read back through GET /events:
 * community.created, community.member.added, community.thread.created, community.comment.created,
 * each with the object as the API returns it and the key as actor; refused writes and other
 * changes record nothing; member emails need students:read; another school sees none of them.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { call, createKey, createSchool, setupApp } from './helpers.js';

type Ev = {
  id: string;
  type: string;
  actor: { type: string; id: string | null };
  data: { object: Record<string, unknown>; previousAttributes?: Record<string, unknown> };
};

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);
const writer = await createKey(ctx, A.id, ['*']);
const reader = await createKey(ctx, A.id, ['webhooks:read', 'students:read']);
const noEmails = await createKey(ctx, A.id, ['webhooks:read']);
const readerB = await createKey(ctx, B.id, ['webhooks:read', 'students:read']);
const actor = { type: 'key', id: writer.id };

const req = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, key = writer.key) =>
  call(ctx.app, method, `/api/v1${url}`, { key, body });

async function eventsAfter(cursor: string | null, key = reader.key) {
  const out: Ev[] = [];
  let after = cursor;
  for (;;) {
    const q = after ? `&after=${encodeURIComponent(after)}` : '';
    const res = await req('GET', `/events?limit=100${q}`, undefined, key);
    expect(res.statusCode).toBe(200);
    const page = res.json() as { data: Ev[]; pagination: { nextCursor: string | null; hasMore: boolean } };
    out.push(...page.data);
    after = page.pagination.nextCursor;
    if (!page.pagination.hasMore) return { events: out, cursor: after };
  }
}
let cursor: string | null = null;
/** The community events recorded since the last call, oldest first. */
async function fresh(): Promise<Ev[]> {
  const { events, cursor: next } = await eventsAfter(cursor);
  cursor = next;
  return events.filter((e) => e.type.startsWith('community.'));
}

const slug = () => `c-${Math.random().toString(36).slice(2, 8)}`;
const studentId = async (key = writer.key) =>
  (await req('POST', '/students', { name: 'Member', email: `m${Math.random()}@example.com` }, key)).json();

beforeEach(async () => {
  await fresh();
});

describe('community events', () => {
  it('POST /communities records community.created with the community as GET returns it', async () => {
    const res = await req('POST', '/communities', { name: 'Rust', slug: slug(), description: 'Ask' });
    expect(res.statusCode).toBe(201);
    const events = await fresh();
    expect(events.map((e) => e.type)).toEqual(['community.created']);
    expect(events[0]!.data.object).toEqual((await req('GET', `/communities/${res.json().id}`)).json());
    expect(events[0]!.actor).toEqual(actor);

    // A taken slug, a bad price, an update and a delete: no community event.
    expect((await req('POST', '/communities', { name: 'Again', slug: res.json().slug })).statusCode).toBe(409);
    expect((await req('POST', '/communities', { name: 'Bad', slug: slug(), price: 5 })).statusCode).toBe(400);
    expect((await req('PATCH', `/communities/${res.json().id}`, { name: 'Renamed' })).statusCode).toBe(200);
    expect(await fresh()).toEqual([]);
  });

  it('POST /communities/{id}/members records community.member.added; emails need students:read', async () => {
    const c = (await req('POST', '/communities', { name: 'Members', slug: slug() })).json();
    const student = await studentId();
    await fresh();
    const res = await req('POST', `/communities/${c.id}/members`, { userId: student.id, role: 'moderator' });
    expect(res.statusCode).toBe(201);
    const events = await fresh();
    expect(events.map((e) => e.type)).toEqual(['community.member.added']);
    const listed = (await req('GET', `/communities/${c.id}/members`)).json().data;
    expect(listed).toHaveLength(1);
    expect(events[0]!.data.object).toEqual({ ...listed[0], communityId: c.id });
    expect(res.json()).toEqual(listed[0]);
    expect(events[0]!.data.object).toMatchObject({ userId: student.id, role: 'moderator', email: student.email });
    expect(events[0]!.actor).toEqual(actor);

    const hidden = await req('GET', `/events/${events[0]!.id}`, undefined, noEmails.key);
    expect(hidden.statusCode).toBe(200);
    expect(hidden.json().data.object).toEqual({ ...events[0]!.data.object, email: null });

    // Already a member, a user of another school, a removal: no event.
    expect((await req('POST', `/communities/${c.id}/members`, { userId: student.id })).json().error).toBe(
      'already_member',
    );
    const foreign = await studentId(B.key);
    expect((await req('POST', `/communities/${c.id}/members`, { userId: foreign.id })).statusCode).toBe(400);
    expect((await req('DELETE', `/communities/${c.id}/members?userId=${student.id}`)).statusCode).toBe(204);
    expect(await fresh()).toEqual([]);
  });

  it('threads and comments record community.thread.created and community.comment.created', async () => {
    const c = (await req('POST', '/communities', { name: 'Talk', slug: slug() })).json();
    const member = await studentId();
    await req('POST', `/communities/${c.id}/members`, { userId: member.id });
    await fresh();
    const thread = await req('POST', `/communities/${c.id}/threads`, {
      title: 'Hello',
      content: '**Hi** all',
      userId: member.id,
    });
    expect(thread.statusCode).toBe(201);
    const t = await fresh();
    expect(t.map((e) => e.type)).toEqual(['community.thread.created']);
    const listedThreads = (await req('GET', `/communities/${c.id}/threads`)).json().data;
    expect(t[0]!.data.object).toEqual(listedThreads[0]);
    expect(t[0]!.data.object).toEqual(thread.json());
    expect(t[0]!.actor).toEqual(actor);

    const comment = await req('POST', `/communities/${c.id}/threads/${thread.json().id}/comments`, {
      content: 'First',
      userId: member.id,
    });
    expect(comment.statusCode).toBe(201);
    const reply = await req('POST', `/communities/${c.id}/threads/${thread.json().id}/comments`, {
      content: 'Reply',
      userId: member.id,
      parentId: comment.json().id,
    });
    expect(reply.statusCode).toBe(201);
    const cm = await fresh();
    expect(cm.map((e) => e.type)).toEqual(['community.comment.created', 'community.comment.created']);
    const listed = (await req('GET', `/communities/${c.id}/threads/${thread.json().id}/comments`)).json().data;
    expect(cm.map((e) => e.data.object)).toEqual(listed.map((x: object) => ({ ...x, communityId: c.id })));

    // Refused: an author who is not a member, a parent of another thread; edits and deletes: no event.
    const outsider = await studentId();
    await fresh();
    expect(
      (await req('POST', `/communities/${c.id}/threads`, { title: 'No', content: 'x', userId: outsider.id }))
        .statusCode,
    ).toBe(400);
    expect(
      (
        await req('POST', `/communities/${c.id}/threads/${thread.json().id}/comments`, {
          content: 'x',
          userId: member.id,
          parentId: 'cmt_nope',
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (await req('PATCH', `/communities/${c.id}/threads/${thread.json().id}`, { title: 'Edited' })).statusCode,
    ).toBe(200);
    expect(
      (await req('DELETE', `/communities/${c.id}/threads/${thread.json().id}/comments/${reply.json().id}`)).statusCode,
    ).toBe(204);
    expect(await fresh()).toEqual([]);
  });

  it('a creation whose event cannot be written is rolled back whole', async () => {
    const s = slug();
    await ctx.database.pool.query(`
      CREATE FUNCTION refuse_community_event() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
      CREATE TRIGGER refuse_community_event BEFORE INSERT ON events FOR EACH ROW
        EXECUTE FUNCTION refuse_community_event();`);
    try {
      expect((await req('POST', '/communities', { name: 'Never', slug: s })).statusCode).toBe(500);
    } finally {
      await ctx.database.pool.query(
        'DROP TRIGGER refuse_community_event ON events; DROP FUNCTION refuse_community_event();',
      );
    }
    const list = (await req('GET', '/communities?limit=100')).json().data as { slug: string }[];
    expect(list.filter((c) => c.slug === s)).toEqual([]);
    expect(await fresh()).toEqual([]);
    // The slug is free: nothing of the failed creation was kept.
    expect((await req('POST', '/communities', { name: 'Now', slug: s })).statusCode).toBe(201);
  });

  it('school B sees none of school A’s community events, and B’s own only', async () => {
    await req('POST', '/communities', { name: 'A only', slug: slug() });
    const mine = await fresh();
    expect(mine).toHaveLength(1);
    const before = (await eventsAfter(null, readerB.key)).events;
    expect(before.filter((e) => e.type.startsWith('community.'))).toEqual([]);
    expect((await req('GET', `/events/${mine[0]!.id}`, undefined, readerB.key)).statusCode).toBe(404);

    const bKey = await createKey(ctx, B.id, ['*']);
    const own = await req('POST', '/communities', { name: 'B only', slug: slug() }, bKey.key);
    const after = (await eventsAfter(null, readerB.key)).events.filter((e) => e.type.startsWith('community.'));
    expect(after.map((e) => e.data.object.id)).toEqual([own.json().id]);
    expect(after[0]!.actor).toEqual({ type: 'key', id: bKey.id });
  });
});
