/**
 * The lesson-create hot path (issue 10): concurrent creates in one course share a transaction
 * (group commit) and still keep every rule — dense positions, each lesson's own ETag, the
 * section's and course's versions — and one failing create never fails another.
 */
import { asc, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createDb } from '../src/db/client.js';
import { createGroupCommit } from '../src/db/group-commit.js';
import { courses, lessons, sections } from '../src/db/schema/index.js';
import { call, createSchool, setupApp, tally } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const post = (url: string, body: unknown) => call(ctx.app, 'POST', url, { key: A.key, body });

async function courseWithSection() {
  const res = await post('/api/v1/courses', { title: `Course ${Math.random()}`, sections: [{ title: 'One' }] });
  expect(res.statusCode).toBe(201);
  const course = res.json() as { id: string; sections: { id: string }[] };
  return { courseId: course.id, sectionId: course.sections[0]!.id };
}
const versionOf = async (table: typeof courses | typeof sections, id: string) =>
  (await ctx.database.db.select({ version: table.version }).from(table).where(eq(table.id, id)))[0]!.version;

describe('POST /courses/{id}/lessons under concurrency', () => {
  it('60 concurrent creates (appends, inserts at 1, failures mixed in): dense positions, own ETags, own errors', async () => {
    const { courseId, sectionId } = await courseWithSection();
    const sectionBefore = await versionOf(sections, sectionId);
    const courseBefore = await versionOf(courses, courseId);

    const bodies = Array.from({ length: 60 }, (_, i) => {
      if (i % 15 === 7) return { title: `Bad section ${i}`, sectionId: 'sec_00000000000000000000000000' };
      if (i % 15 === 11) return { title: `Same external id ${i}`, sectionId, externalId: 'twice' };
      return { title: `Lesson ${i}`, sectionId, ...(i % 4 === 0 ? { position: 1 } : {}) };
    });
    const results = await Promise.all(bodies.map((b) => post(`/api/v1/courses/${courseId}/lessons`, b)));

    // 4 missing sections (400 at sectionId); of the 4 lessons with externalId 'twice', one is created.
    expect(tally(results.map((r) => r.statusCode))).toEqual({ 201: 53, 400: 4, 409: 3 });
    for (const [i, r] of results.entries()) {
      if (bodies[i]!.sectionId !== sectionId) {
        expect(r.json()).toMatchObject({ error: 'validation_error', details: [{ path: 'sectionId' }] });
      } else if (r.statusCode === 409) {
        expect(r.json().error).toBe('duplicate_external_id');
      }
    }

    const stored = await ctx.database.db
      .select()
      .from(lessons)
      .where(eq(lessons.courseId, courseId))
      .orderBy(asc(lessons.position));
    expect(stored.map((l) => l.position)).toEqual(Array.from({ length: 53 }, (_, i) => i + 1));
    expect(stored.every((l) => l.sectionId === sectionId)).toBe(true);
    expect(stored.filter((l) => l.externalId === 'twice')).toHaveLength(1);

    // Every 201 is its own lesson, as stored; its ETag is the lesson's version now (inserts at 1
    // shifted lessons created before them, so compare the ids and titles, and ETags of unshifted rows).
    const created = results.filter((r) => r.statusCode === 201).map((r) => r.json() as { id: string; title: string });
    expect(new Set(created.map((l) => l.id)).size).toBe(53);
    const byId = new Map(stored.map((l) => [l.id, l]));
    for (const r of results.filter((x) => x.statusCode === 201)) {
      const body = r.json() as { id: string; title: string; sectionId: string; position: number };
      const row = byId.get(body.id)!;
      expect(body).toMatchObject({ title: row.title, sectionId, object: 'lesson' });
      expect(r.headers.etag).toMatch(new RegExp(`^"${body.id}\\.\\d+"$`));
      if (row.version === 1) expect(r.headers.etag).toBe(`"${row.id}.1"`);
    }

    // The section's document changed once per lesson; the course's changed (new ETag).
    expect(await versionOf(sections, sectionId)).toBeGreaterThanOrEqual(sectionBefore + 53);
    expect(await versionOf(courses, courseId)).toBeGreaterThan(courseBefore);
  });

  it('concurrent creates share transactions: fewer statements than creates (one insert for many appends)', async () => {
    const { courseId, sectionId } = await courseWithSection();
    const before = ctx.database.queryCount();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => post(`/api/v1/courses/${courseId}/lessons`, { title: `L${i}`, sectionId })),
    );
    const statements = ctx.database.queryCount() - before;
    expect(tally(results.map((r) => r.statusCode))).toEqual({ 201: 40 });
    // Per shared transaction: BEGIN, lock, one insert for all, events, COMMIT.
    expect(statements).toBeLessThan(40);
    expect(results.map((r) => r.json().position).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
  });

  it('appends to several sections and to no section in one transaction: each container dense, each section bumped per lesson', async () => {
    const res = await post('/api/v1/courses', {
      title: 'Three containers',
      sections: [{ title: 'A' }, { title: 'B' }],
    });
    const course = res.json() as { id: string; sections: { id: string }[] };
    const [a, b] = course.sections.map((x) => x.id) as [string, string];
    await post(`/api/v1/courses/${course.id}/lessons`, { title: 'B0', sectionId: b });
    const [aBefore, bBefore] = [await versionOf(sections, a), await versionOf(sections, b)];
    // Different shapes (summary, type, no section) and orders interleaved.
    const bodies = Array.from({ length: 30 }, (_, i) => ({
      title: `L${i}`,
      ...(i % 3 === 0 ? { sectionId: a } : i % 3 === 1 ? { sectionId: b } : {}),
      ...(i % 5 === 0 ? { summary: `S${i}` } : {}),
      ...(i % 7 === 0 ? { type: 'text' } : {}),
    }));
    const results = await Promise.all(bodies.map((body) => post(`/api/v1/courses/${course.id}/lessons`, body)));
    expect(tally(results.map((r) => r.statusCode))).toEqual({ 201: 30 });
    const stored = await ctx.database.db
      .select()
      .from(lessons)
      .where(eq(lessons.courseId, course.id))
      .orderBy(asc(lessons.position));
    const positions = (sectionId: string | null) =>
      stored.filter((l) => l.sectionId === sectionId).map((l) => l.position);
    expect(positions(a)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(positions(b)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(positions(null)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    // Each response is its lesson as stored, summary included.
    for (const [i, r] of results.entries()) {
      const row = stored.find((l) => l.id === r.json().id)!;
      expect(row).toMatchObject({ title: `L${i}`, summary: bodies[i]!.summary ?? null, position: r.json().position });
    }
    expect(await versionOf(sections, a)).toBe(aBefore + 10);
    expect(await versionOf(sections, b)).toBe(bBefore + 10);
  });

  it('a lone create answers with its lesson document at the end of its section', async () => {
    const { courseId, sectionId } = await courseWithSection();
    const first = await post(`/api/v1/courses/${courseId}/lessons`, { title: 'First', sectionId });
    const second = await post(`/api/v1/courses/${courseId}/lessons`, { title: 'Second', sectionId, position: 99 });
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.json()).toMatchObject({ title: 'Second', position: 2, sectionId, courseId, content: null });
    expect(second.headers.etag).toBe(`"${second.json().id}.1"`);
    const got = await call(ctx.app, 'GET', `/api/v1/courses/${courseId}/lessons/${second.json().id}`, { key: A.key });
    expect(got.body).toBe(second.body);
    expect(got.headers.etag).toBe(second.headers.etag);
  });

  it('a missing course is a 404, also when the lesson has problems or a media reference', async () => {
    const missing = '/api/v1/courses/crs_00000000000000000000000000/lessons';
    expect((await post(missing, { title: 'x' })).statusCode).toBe(404);
    expect((await post(missing, { title: 'x', type: 'video' })).statusCode).toBe(404);
    expect((await post(missing, { title: 'x', type: 'pdf', media: { mediaId: 'med_x' } })).statusCode).toBe(404);
  });

  it('another school cannot add lessons to the course (404, nothing written)', async () => {
    const { courseId, sectionId } = await courseWithSection();
    const B = await createSchool(ctx);
    const res = await call(ctx.app, 'POST', `/api/v1/courses/${courseId}/lessons`, {
      key: B.key,
      body: { title: 'Intruder', sectionId },
    });
    expect(res.statusCode).toBe(404);
    expect(await ctx.database.db.select().from(lessons).where(eq(lessons.courseId, courseId))).toEqual([]);
  });
});

describe('group commit (db/group-commit.ts)', () => {
  it('a busy key holds at most two connections; writes beyond a full batch wait in memory', async () => {
    const small = createDb(ctx.dbUrl, 3);
    let busiest = 0;
    const writes = createGroupCommit<number, number>(small.db, {
      lock: async (tx) => {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(4242)`);
      },
      write: async (tx, inputs) => {
        busiest = Math.max(busiest, small.pool.totalCount - small.pool.idleCount);
        await tx.execute(sql`SELECT pg_sleep(0.02)`);
        return inputs.map((i) => i * 2);
      },
    });
    const all = Promise.all(Array.from({ length: 120 }, (_, i) => writes('k', i)));
    // The pool still serves everything else meanwhile.
    expect((await small.pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    expect(await all).toEqual(Array.from({ length: 120 }, (_, i) => i * 2));
    expect(busiest).toBeLessThanOrEqual(2);
    await small.close();
  });

  it('a failing lock answers every write of the batch with its error, without running each again', async () => {
    let locks = 0;
    const writes = createGroupCommit<number, number>(ctx.database.db, {
      lock: async () => {
        locks++;
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('no such course');
      },
      write: async (_tx, inputs) => inputs,
    });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => writes('gone', i)));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'no such course')).toBe(
      true,
    );
    expect(locks).toBeLessThan(20);
  });

  it('a write step that answers for fewer inputs than it got fails those writes instead of answering undefined', async () => {
    const writes = createGroupCommit<number, number>(ctx.database.db, {
      lock: async () => {},
      write: async (_tx, inputs) => inputs.slice(1),
    });
    const results = await Promise.allSettled([writes('short', 1), writes('short', 2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
