/**
 * The course family's events (API.md §2 Webhooks and events): every write path records its
 * events in its own transaction, with the resource as GET returns it, previousAttributes on
 * updates and the actor; nothing when nothing changed or the write failed; one school never sees
 * another's. And the outbox's cost: no fan-out job unless an endpoint of the school wants the event.
 */
import { describe, expect, it } from 'vitest';
import { countJobs } from '../src/jobs/queue.repo.js';
import { call, createKey, createSchool, setupApp } from './helpers.js';
import { eventsOf, type ListedEvent } from './jobs-helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);

const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, body?: unknown, key = A.key) =>
  call(ctx.app, method, `/api/v1${url}`, { key, ...(body === undefined ? {} : { body }) });

/** Rows the school's transactions wrote, straight from the table. */
async function stored(schoolId: string): Promise<number> {
  const { rows } = await ctx.database.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM events WHERE school_id = $1',
    [schoolId],
  );
  return rows[0]!.n;
}

/**
 * The school's events after `mark` (as GET /events lists them, once every stored one is listed:
 * the list waits for transactions older than every running one, elsewhere on the server too).
 */
async function eventsSince(mark: number, key = A.key, schoolId = A.id): Promise<ListedEvent[]> {
  const want = await stored(schoolId);
  for (let i = 0; ; i++) {
    const all = await eventsOf(ctx, key);
    if (all.length >= want || i > 200) return all.slice(mark);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const mark = async () => (await eventsSince(0)).length;
const typesOf = (events: ListedEvent[]) => events.map((e) => e.type);

async function newCourse(body: Record<string, unknown> = {}) {
  const res = await api('POST', '/courses', { title: 'Course', ...body });
  expect(res.statusCode).toBe(201);
  return res.json();
}

describe('course events', () => {
  it('a nested create records course.created, then each plan, section and lesson as their GET shows them', async () => {
    const m = await mark();
    const res = await api('POST', '/courses', {
      title: 'Nested',
      isFree: true,
      sections: [
        { title: 'One', lessons: [{ title: 'L1', content: '<p>Hi</p>' }, { title: 'L2' }] },
        { title: 'Two', lessons: [{ title: 'L3' }] },
      ],
    });
    expect(res.statusCode).toBe(201);
    const course = res.json();
    const events = await eventsSince(m);
    expect(typesOf(events)).toEqual([
      'course.created',
      'payment_plan.created',
      'section.created',
      'section.created',
      'lesson.created',
      'lesson.created',
      'lesson.created',
    ]);
    expect(events[0]!.data.object).toEqual((await api('GET', `/courses/${course.id}`)).json());
    expect(events[0]!.data.previousAttributes).toBeUndefined();
    expect(events[0]!.actor).toMatchObject({ type: 'key', id: expect.stringMatching(/^key_/) });
    const plan = course.defaultPaymentPlanId;
    expect(events[1]!.data.object).toEqual((await api('GET', `/courses/${course.id}/payment-plans/${plan}`)).json());
    const [s1, s2] = course.sections;
    expect(events[2]!.data.object).toEqual((await api('GET', `/courses/${course.id}/sections/${s1.id}`)).json());
    expect(events[3]!.data.object.id).toBe(s2.id);
    const lessonIds = [...s1.lessons, ...s2.lessons].map((l: { id: string }) => l.id);
    expect(events.slice(4).map((e) => e.data.object.id)).toEqual(lessonIds);
    // Lessons as their own GET shows them: with content.
    expect(events[4]!.data.object).toEqual((await api('GET', `/courses/${course.id}/lessons/${lessonIds[0]}`)).json());
    expect(events[4]!.data.object.contentHtml).toContain('Hi');
  });

  it('PATCH records course.updated with the old values; the same values again record nothing', async () => {
    const course = await newCourse({ title: 'Before', tags: ['a'] });
    const m = await mark();
    const res = await api('PATCH', `/courses/${course.id}`, { title: 'After', tags: ['a', 'b'], level: 'beginner' });
    expect(res.statusCode).toBe(200);
    let events = await eventsSince(m);
    expect(typesOf(events)).toEqual(['course.updated']);
    expect(events[0]!.data.previousAttributes).toEqual({ title: 'Before', tags: ['a'], level: null });
    expect(events[0]!.data.object).toEqual((await api('GET', `/courses/${course.id}`)).json());

    expect((await api('PATCH', `/courses/${course.id}`, { title: 'After', level: 'beginner' })).statusCode).toBe(200);
    events = await eventsSince(m);
    expect(typesOf(events)).toEqual(['course.updated']);
  });

  it('publish and unpublish, by their routes or by PATCH status, record course.published / unpublished once', async () => {
    const course = await newCourse({ isFree: true, sections: [{ title: 'S', lessons: [{ title: 'L' }] }] });
    const m = await mark();
    expect((await api('POST', `/courses/${course.id}/publish`)).statusCode).toBe(200);
    expect((await api('POST', `/courses/${course.id}/publish`)).statusCode).toBe(200); // already: nothing
    expect((await api('DELETE', `/courses/${course.id}/publish`)).statusCode).toBe(200);
    expect((await api('PATCH', `/courses/${course.id}`, { status: 'published', title: 'Live' })).statusCode).toBe(200);
    const events = await eventsSince(m);
    expect(typesOf(events)).toEqual(['course.published', 'course.unpublished', 'course.updated', 'course.published']);
    expect(events[0]!.data.previousAttributes).toEqual({ status: 'draft', publishedAt: null });
    expect(events[0]!.data.object).toMatchObject({ id: course.id, status: 'published' });
    expect(events[1]!.data.previousAttributes).toEqual({ status: 'published' });
    expect(events[2]!.data.previousAttributes).toEqual({ title: 'Course' });
    expect(events[3]!.data.object).toMatchObject({ title: 'Live', status: 'published' });
  });

  it('a write that fails records nothing (publish blocked, duplicate slug, If-Match)', async () => {
    const other = await newCourse({ slug: 'taken-slug' });
    const course = await newCourse();
    const m = await mark();
    expect((await api('POST', `/courses/${course.id}/publish`)).statusCode).toBe(409);
    expect((await api('PATCH', `/courses/${course.id}`, { slug: other.slug })).statusCode).toBe(409);
    const stale = await call(ctx.app, 'PATCH', `/api/v1/courses/${course.id}`, {
      key: A.key,
      headers: { 'if-match': '"stale"' },
      body: { title: 'x' },
    });
    expect(stale.statusCode).toBe(412);
    expect(
      (
        await api('POST', '/courses', {
          title: 'Half',
          sections: [{ title: 'S', lessons: [{ title: 'ok' }, { title: 'bad', type: 'audio' }] }],
        })
      ).statusCode,
    ).toBe(400);
    expect(await eventsSince(m)).toEqual([]);
  });

  it('delete records course.deleted with the course as it was, and nothing for its parts', async () => {
    const course = await newCourse({ sections: [{ title: 'S', lessons: [{ title: 'L' }] }] });
    const before = (await api('GET', `/courses/${course.id}`)).json();
    const m = await mark();
    expect((await api('DELETE', `/courses/${course.id}`)).statusCode).toBe(204);
    const events = await eventsSince(m);
    expect(typesOf(events)).toEqual(['course.deleted']);
    expect(events[0]!.data.object).toEqual(before);
  });

  it('duplicate records course.created for the copy', async () => {
    const course = await newCourse({ sections: [{ title: 'S', lessons: [{ title: 'L' }] }] });
    const m = await mark();
    const copy = await api('POST', `/courses/${course.id}/duplicate`);
    expect(copy.statusCode).toBe(201);
    const events = await eventsSince(m);
    expect(typesOf(events)).toEqual(['course.created']);
    expect(events[0]!.data.object).toEqual((await api('GET', `/courses/${copy.json().id}`)).json());
  });
});

describe('section and lesson events', () => {
  it('sections: created, updated (old values), reordered (old positions), deleted (as it was)', async () => {
    const course = await newCourse({ sections: [{ title: 'A' }, { title: 'B' }] });
    const [a, b] = course.sections as { id: string }[];
    const m = await mark();
    const c = await api('POST', `/courses/${course.id}/sections`, { title: 'C' });
    expect(c.statusCode).toBe(201);
    expect((await api('PATCH', `/courses/${course.id}/sections/${a!.id}`, { title: 'A2' })).statusCode).toBe(200);
    expect((await api('PATCH', `/courses/${course.id}/sections/${a!.id}`, { title: 'A2' })).statusCode).toBe(200);
    const order = [c.json().id, a!.id, b!.id];
    expect((await api('POST', `/courses/${course.id}/sections/reorder`, { sectionIds: order })).statusCode).toBe(200);
    const beforeDelete = (await api('GET', `/courses/${course.id}/sections/${b!.id}`)).json();
    expect((await api('DELETE', `/courses/${course.id}/sections/${b!.id}`)).statusCode).toBe(204);
    const events = await eventsSince(m);
    expect(typesOf(events)).toEqual([
      'section.created',
      'section.updated',
      'section.updated',
      'section.updated',
      'section.updated',
      'section.deleted',
    ]);
    expect(events[0]!.data.object).toMatchObject({ id: c.json().id, title: 'C', position: 3 });
    expect(events[1]!.data.previousAttributes).toEqual({ title: 'A' });
    // The second identical PATCH recorded nothing. Reorder C, A, B: every position changed.
    expect(events.slice(2, 5).map((e) => [e.data.object.id, e.data.previousAttributes])).toEqual([
      [c.json().id, { position: 3 }],
      [a!.id, { position: 1 }],
      [b!.id, { position: 2 }],
    ]);
    expect(events[5]!.data.object).toEqual(beforeDelete);
    // A reorder that keeps the order records nothing.
    const same = await mark();
    expect(
      (await api('POST', `/courses/${course.id}/sections/reorder`, { sectionIds: [c.json().id, a!.id] })).statusCode,
    ).toBe(200);
    expect(await eventsSince(same)).toEqual([]);
  });

  it('lessons: created, updated, moved (old position and section), deleted — on flat and nested routes', async () => {
    const course = await newCourse({ sections: [{ title: 'A' }, { title: 'B' }] });
    const [a, b] = course.sections as { id: string }[];
    const m = await mark();
    const l1 = (await api('POST', `/courses/${course.id}/lessons`, { title: 'L1', sectionId: a!.id })).json();
    const l2 = (await api('POST', `/courses/${course.id}/sections/${a!.id}/lessons`, { title: 'L2' })).json();
    expect(
      (await api('PATCH', `/courses/${course.id}/lessons/${l1.id}`, { title: 'L1b', duration: 60 })).statusCode,
    ).toBe(200);
    expect((await api('PATCH', `/courses/${course.id}/lessons/${l1.id}`, { duration: 60 })).statusCode).toBe(200);
    const moved = await api('POST', `/courses/${course.id}/lessons/${l2.id}/move`, { sectionId: b!.id });
    expect(moved.statusCode).toBe(200);
    const beforeDelete = (await api('GET', `/courses/${course.id}/lessons/${l1.id}`)).json();
    expect((await api('DELETE', `/courses/${course.id}/sections/${a!.id}/lessons/${l1.id}`)).statusCode).toBe(204);
    const events = await eventsSince(m);
    expect(typesOf(events)).toEqual([
      'lesson.created',
      'lesson.created',
      'lesson.updated',
      'lesson.updated',
      'lesson.deleted',
    ]);
    expect(events[0]!.data.object).toMatchObject({ id: l1.id, title: 'L1', sectionId: a!.id });
    expect(events[1]!.data.object).toEqual(l2);
    expect(events[2]!.data.previousAttributes).toEqual({ title: 'L1', duration: null });
    expect(events[3]!.data.previousAttributes).toEqual({ position: 2, sectionId: a!.id });
    expect(events[3]!.data.object).toEqual(moved.json());
    expect(events[4]!.data.object).toEqual(beforeDelete);
  });

  it('concurrent lesson creates that share a transaction each record their lesson.created', async () => {
    const course = await newCourse({ sections: [{ title: 'S' }] });
    const sectionId = course.sections[0].id as string;
    const m = await mark();
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api('POST', `/courses/${course.id}/lessons`, { title: `C${i}`, sectionId })),
    );
    expect(created.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
    const events = await eventsSince(m);
    expect(typesOf(events)).toEqual(Array(20).fill('lesson.created'));
    const byId = new Map(events.map((e) => [e.data.object.id, e.data.object]));
    for (const r of created) expect(byId.get(r.json().id)).toEqual(r.json());
  });

  it('creates that share a transaction keep their own actor (two keys, interleaved)', async () => {
    const course = await newCourse();
    const one = await createKey(ctx, A.id, ['courses:write', 'courses:read']);
    const two = await createKey(ctx, A.id, ['courses:write', 'courses:read']);
    const m = await mark();
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api('POST', `/courses/${course.id}/lessons`, { title: `K${i}` }, i % 2 ? two.key : one.key),
      ),
    );
    expect(created.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
    const creator = new Map(created.map((r, i) => [r.json().id as string, i % 2 ? two.id : one.id]));
    const events = await eventsSince(m);
    expect(events).toHaveLength(20);
    for (const e of events) expect(e.actor).toEqual({ type: 'key', id: creator.get(e.data.object.id as string) });
  });

  it('payment plans: created, updated, made default (both plans, and the course it prices), archived', async () => {
    const course = await newCourse();
    const m = await mark();
    const free = (await api('POST', `/courses/${course.id}/payment-plans`, { name: 'Free', type: 'free' })).json();
    const paid = (
      await api('POST', `/courses/${course.id}/payment-plans`, { name: 'Paid', type: 'one_time', amount: 10 })
    ).json();
    expect((await api('PATCH', `/courses/${course.id}/payment-plans/${paid.id}`, { amount: 20 })).statusCode).toBe(200);
    expect((await api('POST', `/courses/${course.id}/payment-plans/${paid.id}/default`)).statusCode).toBe(200);
    expect((await api('DELETE', `/courses/${course.id}/payment-plans/${free.id}`)).statusCode).toBe(200);
    expect((await api('DELETE', `/courses/${course.id}/payment-plans/${free.id}`)).statusCode).toBe(200); // again: nothing
    const events = await eventsSince(m);
    // The default plan gives the course its isFree/price: changing it is also a course.updated.
    expect(typesOf(events)).toEqual([
      'payment_plan.created',
      'course.updated',
      'payment_plan.created',
      'payment_plan.updated',
      'payment_plan.updated',
      'payment_plan.updated',
      'course.updated',
      'payment_plan.archived',
    ]);
    expect(events[0]!.data.object).toMatchObject({ id: free.id, isDefault: true });
    expect(events[1]!.data.previousAttributes).toMatchObject({ isFree: false, defaultPaymentPlanId: null });
    expect(events[1]!.data.object).toMatchObject({ id: course.id, isFree: true, defaultPaymentPlanId: free.id });
    expect(events[3]!.data.previousAttributes).toEqual({ amount: 10 });
    expect(events.slice(4, 6).map((e) => [e.data.object.id, e.data.previousAttributes])).toEqual([
      [paid.id, { isDefault: false }],
      [free.id, { isDefault: true }],
    ]);
    expect(events[6]!.data.previousAttributes).toMatchObject({ isFree: true, price: 0, defaultPaymentPlanId: free.id });
    expect(events[6]!.data.object).toMatchObject({ isFree: false, price: 20, defaultPaymentPlanId: paid.id });
    expect(events[7]!.data.previousAttributes).toEqual({ status: 'active' });
    expect(events[7]!.data.object).toEqual((await api('GET', `/courses/${course.id}/payment-plans/${free.id}`)).json());
  });
});

describe('isolation and actors', () => {
  it("school B's events are not visible to school A, by list or by id", async () => {
    const bCourse = (await api('POST', '/courses', { title: 'B only' }, B.key)).json();
    const bEvents = await eventsSince(0, B.key, B.id);
    const created = bEvents.find((e) => e.type === 'course.created' && e.data.object.id === bCourse.id);
    expect(created).toBeDefined();
    expect((await eventsSince(0)).some((e) => e.data.object.id === bCourse.id)).toBe(false);
    expect((await api('GET', `/events/${created!.id}`)).statusCode).toBe(404);
    expect((await api('GET', `/events/${created!.id}`, undefined, B.key)).statusCode).toBe(200);
  });

  it('the actor is the key that made the change', async () => {
    const other = await createKey(ctx, A.id, ['courses:write', 'courses:read']);
    const res = await api('POST', '/courses', { title: 'By another key' }, other.key);
    expect(res.statusCode).toBe(201);
    const event = (await eventsSince(0)).find((e) => e.data.object.id === res.json().id)!;
    expect(event.actor).toEqual({ type: 'key', id: other.id });
  });
});

describe('the outbox costs no job unless an endpoint wants the event', () => {
  const fanOutJobs = () => countJobs(ctx.database.db, 'events.fan_out');
  const unfanned = async (schoolId: string) =>
    (
      await ctx.database.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM events WHERE school_id = $1 AND fanned_out_at IS NULL',
        [schoolId],
      )
    ).rows[0]!.n;

  it('no endpoint subscribed: events are written fanned out, no job; subscribed: one job per transaction', async () => {
    const C = await createSchool(ctx);
    const jobs = await fanOutJobs();
    const body = { title: 'Quiet', sections: [{ title: 'S', lessons: [{ title: 'L1' }, { title: 'L2' }] }] };
    expect((await api('POST', '/courses', body, C.key)).statusCode).toBe(201);
    expect(await stored(C.id)).toBe(4);
    expect(await unfanned(C.id)).toBe(0);
    expect(await fanOutJobs()).toBe(jobs);

    // An endpoint for other types, or a disabled one, changes nothing.
    const hook = (url: string, events: string[], enabled = true) =>
      api('POST', '/webhooks', { url, events, enabled }, C.key);
    expect((await hook('https://hooks.example.com/a', ['student.created'])).statusCode).toBe(201);
    expect((await hook('https://hooks.example.com/b', ['*'], false)).statusCode).toBe(201);
    expect((await api('POST', '/courses', body, C.key)).statusCode).toBe(201);
    expect(await unfanned(C.id)).toBe(0);
    expect(await fanOutJobs()).toBe(jobs);

    // Subscribed to lessons only: the lesson events wait for one fan-out job, the others do not.
    expect((await hook('https://hooks.example.com/c', ['lesson.created'])).statusCode).toBe(201);
    expect((await api('POST', '/courses', body, C.key)).statusCode).toBe(201);
    expect(await unfanned(C.id)).toBe(2);
    expect(await fanOutJobs()).toBe(jobs + 1);
    const { rows } = await ctx.database.pool.query<{ payload: { schoolId: string; eventIds: string[] } }>(
      "SELECT payload FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id WHERE t.identifier = 'events.fan_out' AND j.payload->>'schoolId' = $1",
      [C.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.payload.eventIds).toHaveLength(2);
  });

  it('a batch over 512 K characters of event data is written in several statements, each with its own job', async () => {
    const D = await createSchool(ctx);
    expect(
      (await api('POST', '/webhooks', { url: 'https://hooks.example.com/d', events: ['lesson.created'] }, D.key))
        .statusCode,
    ).toBe(201);
    // Each lesson's event carries its content twice (document and HTML): ~120 KB an event.
    const content = `<p>${'word '.repeat(12_000)}</p>`;
    const lessons = Array.from({ length: 10 }, (_, i) => ({ title: `Long ${i}`, content }));
    const res = await api('POST', '/courses', { title: 'Long lessons', sections: [{ title: 'S', lessons }] }, D.key);
    expect(res.statusCode).toBe(201);

    const { rows: jobs } = await ctx.database.pool.query<{ payload: { eventIds: string[] } }>(
      "SELECT payload FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id WHERE t.identifier = 'events.fan_out' AND j.payload->>'schoolId' = $1 ORDER BY j.id",
      [D.id],
    );
    expect(jobs.length).toBeGreaterThan(1);
    const { rows: stored } = await ctx.database.pool.query<{ id: string; title: string }>(
      "SELECT id, data->'object'->>'title' AS title FROM events WHERE school_id = $1 AND type = 'lesson.created' ORDER BY id",
      [D.id],
    );
    expect(stored.map((e) => e.title)).toEqual(lessons.map((l) => l.title));
    // Every lesson event is in exactly one job, and the jobs follow the events' order.
    expect(jobs.flatMap((j) => j.payload.eventIds)).toEqual(stored.map((e) => e.id));
  });
});
