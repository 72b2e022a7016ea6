/** Declarative course sync (PUT /courses/by-external-id/{externalId}): create, no-op, each kind of change, dry run, If-Match, validation paths, limits, races, tenancy. */
import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { courses, lessons, paymentPlans, sections } from '../src/db/schema/index.js';
import * as syncRepo from '../src/modules/courses/sync.repo.js';
import { call, createKey, createSchool, listen, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);

const put = (
  ext: string,
  body: unknown,
  opts: { key?: string; query?: string; headers?: Record<string, string> } = {},
) =>
  call(ctx.app, 'PUT', `/api/v1/courses/by-external-id/${encodeURIComponent(ext)}${opts.query ?? ''}`, {
    key: opts.key ?? A.key,
    body,
    headers: opts.headers,
  });
const get = (url: string, key = A.key) => call(ctx.app, 'GET', url, { key });

type Doc = Record<string, unknown>;
const lesson = (externalId: string, title = `Lesson ${externalId}`, extra: Doc = {}) => ({
  externalId,
  title,
  ...extra,
});

function baseDoc(): Doc {
  return {
    title: 'Sync 101',
    shortDescription: 'Kept in git',
    descriptionMarkdown: 'A **course** kept in a repository.',
    tags: ['Git', 'sync'],
    level: 'beginner',
    sections: [
      {
        externalId: 's1',
        title: 'Basics',
        lessons: [
          lesson('l1', 'Hello', { contentMarkdown: '# Hello\n\nWorld' }),
          lesson('l2', 'Video', { videoUrl: 'https://youtube.com/watch?v=dQw4w9WgXcQ', duration: 60 }),
        ],
      },
      {
        externalId: 's2',
        title: 'Quiz time',
        prerequisites: ['s1'],
        lessons: [
          lesson('l3', 'Check', {
            type: 'quiz',
            content: {
              questions: [
                {
                  text: '1+1?',
                  options: [
                    { text: '2', correct: true },
                    { text: '3', correct: false },
                  ],
                },
              ],
              passingScore: 50,
            },
          }),
        ],
      },
    ],
    unsectionedLessons: [lesson('u1', 'Bonus')],
    paymentPlans: [{ name: 'Full price', type: 'one_time', amount: 4900 }],
  };
}

const ids = (set: { externalIds: Record<string, string[]> }) =>
  Object.fromEntries(Object.entries(set.externalIds).map(([k, v]) => [k, [...v].sort()]));

async function eventTypes(schoolId: string, since: number) {
  const { rows } = await ctx.database.pool.query(
    'SELECT type FROM events WHERE school_id = $1 ORDER BY created_at, id OFFSET $2',
    [schoolId, since],
  );
  return (rows as { type: string }[]).map((r) => r.type).sort();
}

async function eventsCount(schoolId: string) {
  const { rows } = await ctx.database.pool.query('SELECT count(*)::int AS n FROM events WHERE school_id = $1', [
    schoolId,
  ]);
  return rows[0].n as number;
}

describe('create by PUT, then a no-op', () => {
  it('creates the whole course (201) and a second PUT of the same document changes nothing', async () => {
    const first = await put('SYNC-1', baseDoc());
    expect(first.statusCode).toBe(201);
    const body = first.json();
    expect(first.headers.location).toBe(`/api/v1/courses/${body.course.id}`);
    expect(body.dryRun).toBe(false);
    expect(body.changes.created.count).toBe(1 + 2 + 4 + 1);
    expect(ids(body.changes.created)).toEqual({
      course: ['SYNC-1'],
      sections: ['s1', 's2'],
      lessons: ['l1', 'l2', 'l3', 'u1'],
      paymentPlans: ['one_time'],
    });
    expect(body.changes.updated.count + body.changes.deleted.count + body.changes.unchanged.count).toBe(0);
    expect(body.course).toMatchObject({
      externalId: 'SYNC-1',
      title: 'Sync 101',
      slug: 'sync-101',
      tags: ['Git', 'sync'],
      price: 4900,
      descriptionHtml: '<p>A <strong>course</strong> kept in a repository.</p>',
    });
    const stored = (await get(`/api/v1/courses/${body.course.id}?include=lessons.content,paymentPlans`)).json();
    expect(stored.sections.map((s: Doc) => s.title)).toEqual(['Basics', 'Quiz time']);
    expect(stored.sections[1].prerequisites).toEqual([stored.sections[0].id]);
    expect(stored.sections[0].lessons.map((l: Doc) => [l.externalId, l.position, l.type])).toEqual([
      ['l1', 1, 'text'],
      ['l2', 2, 'video'],
    ]);
    expect(stored.sections[1].lessons[0].content.passingScore).toBe(50);
    expect(stored.unsectionedLessons.map((l: Doc) => l.externalId)).toEqual(['u1']);
    expect(stored.defaultPaymentPlanId).toBe(stored.paymentPlans[0].id);
    const etag = first.headers.etag;

    // One course.created and one event per child, in the sync's transaction.
    expect(await eventTypes(A.id, 0)).toEqual([
      'course.created',
      'lesson.created',
      'lesson.created',
      'lesson.created',
      'lesson.created',
      'payment_plan.created',
      'section.created',
      'section.created',
    ]);
    const events = await eventsCount(A.id);
    const again = await put('SYNC-1', baseDoc());
    expect(again.statusCode).toBe(200);
    const c = again.json().changes;
    expect(c.created.count + c.updated.count + c.deleted.count).toBe(0);
    expect(c.unchanged.count).toBe(8);
    expect(again.headers.etag).toBe(etag);
    expect(again.json().course.updatedAt).toBe(body.course.updatedAt);
    expect(await eventsCount(A.id)).toBe(events);
  });
});

describe('each kind of change, checked through GET', () => {
  async function fresh(ext: string) {
    const res = await put(ext, baseDoc());
    expect(res.statusCode).toBe(201);
    return (await get(`/api/v1/courses/${res.json().course.id}`)).json();
  }

  it('rename a lesson and a section: exact counts, ids kept', async () => {
    const before = await fresh('CH-RENAME');
    const doc = baseDoc() as { sections: { title: string; lessons: Doc[] }[] };
    doc.sections[0]!.title = 'Fundamentals';
    doc.sections[0]!.lessons[0]!.title = 'Hello again';
    const since = await eventsCount(A.id);
    const res = await put('CH-RENAME', doc);
    expect(res.statusCode).toBe(200);
    // One course.updated (no course field changed: no previousAttributes) plus one event per changed child.
    expect(await eventTypes(A.id, since)).toEqual(['course.updated', 'lesson.updated', 'section.updated']);
    const { changes } = res.json();
    expect(changes.updated.count).toBe(2);
    expect(ids(changes.updated)).toEqual({ course: [], sections: ['s1'], lessons: ['l1'], paymentPlans: [] });
    expect(changes.unchanged.count).toBe(6);
    const after = (await get(`/api/v1/courses/${before.id}`)).json();
    expect(after.sections[0]).toMatchObject({ id: before.sections[0].id, title: 'Fundamentals' });
    expect(after.sections[0].lessons[0]).toMatchObject({ id: before.sections[0].lessons[0].id, title: 'Hello again' });
    expect(after.sections[0].version ?? 0).toBeDefined();
  });

  it('swap two section titles in one document (unique titles hold at the end)', async () => {
    const before = await fresh('CH-SWAP');
    const doc = baseDoc() as { sections: { title: string }[] };
    doc.sections[0]!.title = 'Quiz time';
    doc.sections[1]!.title = 'Basics';
    const res = await put('CH-SWAP', doc);
    expect(res.statusCode).toBe(200);
    const after = (await get(`/api/v1/courses/${before.id}`)).json();
    expect(after.sections.map((s: Doc) => [s.id, s.title])).toEqual([
      [before.sections[0].id, 'Quiz time'],
      [before.sections[1].id, 'Basics'],
    ]);
  });

  it('reorder sections and lessons', async () => {
    const before = await fresh('CH-REORDER');
    const doc = baseDoc() as { sections: { lessons: Doc[]; prerequisites?: string[] }[] };
    doc.sections[0]!.lessons.reverse();
    doc.sections.reverse();
    delete doc.sections[0]!.prerequisites;
    const res = await put('CH-REORDER', doc);
    expect(res.statusCode).toBe(200);
    const { changes } = res.json();
    expect(ids(changes.updated)).toEqual({
      course: [],
      sections: ['s1', 's2'],
      lessons: ['l1', 'l2'],
      paymentPlans: [],
    });
    const after = (await get(`/api/v1/courses/${before.id}`)).json();
    expect(after.sections.map((s: Doc) => [s.externalId, s.position])).toEqual([
      ['s2', 1],
      ['s1', 2],
    ]);
    expect(after.sections[1].lessons.map((l: Doc) => [l.externalId, l.id, l.position])).toEqual([
      ['l2', before.sections[0].lessons[1].id, 1],
      ['l1', before.sections[0].lessons[0].id, 2],
    ]);
  });

  it('move a lesson to another section and out of every section; delete a section whose lesson survives', async () => {
    const before = await fresh('CH-MOVE');
    const l1 = before.sections[0].lessons[0];
    const l2 = before.sections[0].lessons[1];
    const l3 = before.sections[1].lessons[0];
    // s1 is deleted; l1 moves to s2, l2 becomes unsectioned, u1 is deleted, l3 stays.
    const doc = {
      ...baseDoc(),
      sections: [
        {
          externalId: 's2',
          title: 'Quiz time',
          lessons: [
            (baseDoc() as { sections: { lessons: Doc[] }[] }).sections[1]!.lessons[0],
            lesson('l1', 'Hello', { contentMarkdown: '# Hello\n\nWorld' }),
          ],
        },
      ],
      unsectionedLessons: [
        lesson('l2', 'Video', { videoUrl: 'https://youtube.com/watch?v=dQw4w9WgXcQ', duration: 60 }),
      ],
    };
    const since = await eventsCount(A.id);
    const res = await put('CH-MOVE', doc);
    expect(res.statusCode).toBe(200);
    expect(await eventTypes(A.id, since)).toEqual([
      'course.updated',
      'lesson.deleted',
      'lesson.updated',
      'lesson.updated',
      'section.deleted',
      'section.updated',
    ]);
    const { changes } = res.json();
    expect(ids(changes.deleted)).toEqual({ course: [], sections: ['s1'], lessons: ['u1'], paymentPlans: [] });
    expect(ids(changes.updated)).toEqual({ course: [], sections: ['s2'], lessons: ['l1', 'l2'], paymentPlans: [] });
    expect(ids(changes.unchanged)).toEqual({
      course: ['CH-MOVE'],
      sections: [],
      lessons: ['l3'],
      paymentPlans: ['one_time'],
    });
    const after = (await get(`/api/v1/courses/${before.id}`)).json();
    expect(after.sections).toHaveLength(1);
    expect(after.sections[0].lessons.map((l: Doc) => [l.id, l.position])).toEqual([
      [l3.id, 1],
      [l1.id, 2],
    ]);
    expect(after.unsectionedLessons.map((l: Doc) => [l.id, l.position])).toEqual([[l2.id, 1]]);
    const [n] = await ctx.database.db.select({ n: count() }).from(lessons).where(eq(lessons.courseId, before.id));
    expect(n!.n).toBe(3);
  });

  it('course fields, tags, status and payment plans: updated, archived, created', async () => {
    const before = await fresh('CH-COURSE');
    const doc = {
      ...baseDoc(),
      title: 'Sync 201',
      tags: ['sync'],
      status: 'published',
      paymentPlans: [
        { name: 'Monthly', type: 'subscription', amount: 900, interval: 'month', isDefault: true },
        { name: 'Free taste', type: 'free' },
      ],
    };
    const since = await eventsCount(A.id);
    const res = await put('CH-COURSE', doc);
    expect(res.statusCode).toBe(200);
    expect(await eventTypes(A.id, since)).toEqual([
      'course.published',
      'course.updated',
      'payment_plan.archived',
      'payment_plan.created',
      'payment_plan.created',
    ]);
    const { rows: updated } = await ctx.database.pool.query(
      "SELECT data FROM events WHERE school_id = $1 AND type = 'course.updated' ORDER BY created_at DESC, id DESC LIMIT 1",
      [A.id],
    );
    // The status change is course.published's (as PATCH): course.updated names the other fields.
    expect(updated[0].data.previousAttributes).toMatchObject({ title: 'Sync 101', tags: ['Git', 'sync'] });
    expect(updated[0].data.previousAttributes.status).toBeUndefined();
    expect(updated[0].data.object).toMatchObject({ title: 'Sync 201', status: 'published' });
    const { changes, course } = res.json();
    expect(ids(changes.updated).course).toEqual(['CH-COURSE']);
    expect(ids(changes.created).paymentPlans).toEqual(['free', 'subscription:month']);
    expect(ids(changes.deleted).paymentPlans).toEqual(['one_time']);
    expect(course).toMatchObject({ title: 'Sync 201', tags: ['sync'], status: 'published', slug: before.slug });
    expect(course.publishedAt).not.toBeNull();
    const plans = await ctx.database.db.select().from(paymentPlans).where(eq(paymentPlans.courseId, before.id));
    expect(plans.map((p) => [p.type, p.status]).sort()).toEqual([
      ['free', 'active'],
      ['one_time', 'archived'],
      ['subscription', 'active'],
    ]);
    const monthly = plans.find((p) => p.type === 'subscription')!;
    expect(course.defaultPaymentPlanId).toBe(monthly.id);
    // Only the default moves: the course is updated, nothing else.
    const again = await put('CH-COURSE', {
      ...doc,
      paymentPlans: [
        { name: 'Monthly', type: 'subscription', amount: 900, interval: 'month' },
        { name: 'Free taste', type: 'free', isDefault: true },
      ],
    });
    expect(again.json().changes.updated.count).toBe(1);
    expect(again.json().course.defaultPaymentPlanId).toBe(plans.find((p) => p.type === 'free')!.id);
  });

  it('a document that publishes an unpublishable course is refused and writes nothing', async () => {
    const res = await put('CH-BLOCKED', { title: 'Empty', status: 'published' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toBe('publish_blocked');
    const [n] = await ctx.database.db.select({ n: count() }).from(courses).where(eq(courses.externalId, 'CH-BLOCKED'));
    expect(n!.n).toBe(0);
  });

  it('children without externalId are matched by title within their parent', async () => {
    const doc = {
      title: 'No ids',
      sections: [{ title: 'Part A', lessons: [{ title: 'One' }, { title: 'Two' }] }],
      unsectionedLessons: [{ title: 'One' }],
    };
    const first = await put('CH-TITLES', doc);
    expect(first.statusCode).toBe(201);
    const before = (await get(`/api/v1/courses/${first.json().course.id}`)).json();
    const again = await put('CH-TITLES', doc);
    expect(again.json().changes.unchanged.count).toBe(5);
    expect(again.json().changes.unchanged.externalIds.lessons).toEqual(['One', 'Two', 'One']);
    // Renaming one lesson: the old one is deleted and a new one created (no externalId to follow).
    const renamed = await put('CH-TITLES', {
      ...doc,
      sections: [{ title: 'part a', lessons: [{ title: 'One' }, { title: 'Deux' }] }],
    });
    const c = renamed.json().changes;
    expect(ids(c.created).lessons).toEqual(['Deux']);
    expect(ids(c.deleted).lessons).toEqual(['Two']);
    expect(ids(c.updated).sections).toEqual(['part a']);
    const after = (await get(`/api/v1/courses/${first.json().course.id}`)).json();
    expect(after.sections[0].id).toBe(before.sections[0].id);
    expect(after.sections[0].lessons[0].id).toBe(before.sections[0].lessons[0].id);
  });
});

describe('image URLs', () => {
  const imageJobs = async () => {
    const { rows } = await ctx.database.pool.query(
      "SELECT j.key, j.payload FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id WHERE t.identifier = 'media.copy_image' AND j.payload->>'schoolId' = $1",
      [A.id],
    );
    return new Map((rows as { key: string; payload: { url: string } }[]).map((r) => [r.key, r.payload.url]));
  };

  it('are stored as sent and queued for copying only when new or changed', async () => {
    const doc = {
      title: 'Pictures',
      thumbnailUrl: 'https://img.example.com/cover.png',
      sections: [
        {
          externalId: 'p1',
          title: 'P',
          posterImageUrl: 'https://img.example.com/poster.png',
          lessons: [{ externalId: 'pl1', title: 'L', thumbnailUrl: 'https://img.example.com/thumb.png' }],
        },
      ],
    };
    const res = await put('IMG-SYNC', doc);
    expect(res.statusCode).toBe(201);
    const course = (await get(`/api/v1/courses/${res.json().course.id}`)).json();
    expect(course).toMatchObject({ thumbnailUrl: 'https://img.example.com/cover.png', featuredImage: null });
    const section = course.sections[0];
    const lessonRow = section.lessons[0];
    expect(section.posterImageUrl).toBe('https://img.example.com/poster.png');
    expect(lessonRow).toMatchObject({ thumbnailUrl: 'https://img.example.com/thumb.png', thumbnailMediaId: null });
    const jobs = await imageJobs();
    expect(jobs.get(`image:course:${course.id}`)).toBe('https://img.example.com/cover.png');
    expect(jobs.get(`image:section:${section.id}`)).toBe('https://img.example.com/poster.png');
    expect(jobs.get(`image:lesson:${lessonRow.id}`)).toBe('https://img.example.com/thumb.png');

    // Unchanged URLs queue nothing; a changed one queues its new URL.
    await ctx.database.pool.query(
      "DELETE FROM graphile_worker._private_jobs j USING graphile_worker._private_tasks t WHERE t.id = j.task_id AND t.identifier = 'media.copy_image'",
    );
    expect((await put('IMG-SYNC', doc)).json().changes.updated.count).toBe(0);
    expect((await imageJobs()).size).toBe(0);
    const moved = structuredClone(doc);
    moved.sections[0]!.lessons[0]!.thumbnailUrl = 'https://img.example.com/thumb-2.png';
    expect((await put('IMG-SYNC', moved)).json().changes.updated.count).toBe(1);
    expect([...(await imageJobs()).entries()]).toEqual([
      [`image:lesson:${lessonRow.id}`, 'https://img.example.com/thumb-2.png'],
    ]);
  });
});

describe('dry run', () => {
  it('answers the changes a real run makes and writes nothing', async () => {
    const events = await eventsCount(A.id);
    const dryCreate = await put('DRY-1', baseDoc(), { query: '?dryRun=true' });
    expect(await eventsCount(A.id)).toBe(events);
    expect(dryCreate.statusCode).toBe(200);
    expect(dryCreate.json()).toMatchObject({ dryRun: true, course: null });
    expect(dryCreate.json().changes.created.count).toBe(8);
    const [n] = await ctx.database.db.select({ n: count() }).from(courses).where(eq(courses.externalId, 'DRY-1'));
    expect(n!.n).toBe(0);

    const real = await put('DRY-1', baseDoc());
    expect(real.json().changes).toEqual(dryCreate.json().changes);
    const id = real.json().course.id;
    const doc = baseDoc() as { sections: unknown[]; title: string };
    doc.title = 'Changed';
    doc.sections.pop();
    const dry = await put('DRY-1', doc, { query: '?dryRun=true' });
    expect(dry.statusCode).toBe(200);
    expect(ids(dry.json().changes.deleted)).toEqual({
      course: [],
      sections: ['s2'],
      lessons: ['l3'],
      paymentPlans: [],
    });
    expect(dry.json().course).toMatchObject({ id, title: 'Sync 101' });
    expect(dry.headers.etag).toBe(real.headers.etag);
    const [s] = await ctx.database.db.select({ n: count() }).from(sections).where(eq(sections.courseId, id));
    expect(s!.n).toBe(2);
    expect((await get(`/api/v1/courses/${id}`)).headers.etag).toBe(real.headers.etag);
  });
});

describe('If-Match', () => {
  it('a stale ETag is 412 and writes nothing; the current one goes through', async () => {
    const first = await put('IFM-1', baseDoc());
    const etag = first.headers.etag as string;
    const changed = { ...baseDoc(), title: 'Newer' };
    const ok = await put('IFM-1', changed, { headers: { 'if-match': etag } });
    expect(ok.statusCode).toBe(200);
    const stale = await put('IFM-1', { ...baseDoc(), title: 'Stale' }, { headers: { 'if-match': etag } });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().error).toBe('precondition_failed');
    expect((await get(`/api/v1/courses/${first.json().course.id}`)).json().title).toBe('Newer');
    // A course that does not exist cannot match an ETag.
    const missing = await put('IFM-NONE', baseDoc(), { headers: { 'if-match': etag } });
    expect(missing.statusCode).toBe(412);
    const [n] = await ctx.database.db.select({ n: count() }).from(courses).where(eq(courses.externalId, 'IFM-NONE'));
    expect(n!.n).toBe(0);
  });
});

describe('validation names the path in the document', () => {
  const cases: [string, (d: Doc & { sections: Doc[] }) => void, string, string?][] = [
    [
      'lesson title missing',
      (d) => delete ((d.sections[1] as Doc).lessons as Doc[])[0]!.title,
      'sections.1.lessons.0.title',
    ],
    [
      'unknown field in a lesson',
      (d) => (((d.sections[0] as Doc).lessons as Doc[])[1]!.bogus = 1),
      'sections.0.lessons.1.bogus',
    ],
    [
      'bad video URL',
      (d) => (((d.sections[0] as Doc).lessons as Doc[])[1]!.videoUrl = 'https://example.com/x'),
      'sections.0.lessons.1.videoUrl',
      'invalid_video_url',
    ],
    [
      'quiz without a correct option',
      (d) => {
        const quiz = ((d.sections[1] as Doc).lessons as Doc[])[0]!;
        (quiz.content as { questions: { options: { correct: boolean }[] }[] }).questions[0]!.options[0]!.correct =
          false;
      },
      'sections.1.lessons.0.content.questions.0.options',
    ],
    [
      'bad rich text node',
      (d) => {
        delete d.descriptionMarkdown;
        d.description = { type: 'doc', content: [{ type: 'script' }] };
      },
      'description.content.0',
    ],
    [
      'duplicate section title',
      (d) => ((d.sections[1] as Doc).title = 'basics'),
      'sections.1.title',
      'duplicate_title',
    ],
    [
      'duplicate lesson externalId across sections',
      (d) => (((d.sections[1] as Doc).lessons as Doc[])[0]!.externalId = 'l1'),
      'sections.1.lessons.0.externalId',
      'duplicate_external_id',
    ],
    [
      'duplicate section externalId',
      (d) => ((d.sections[1] as Doc).externalId = 's1'),
      'sections.1.externalId',
      'duplicate_external_id',
    ],
    ['unknown prerequisite', (d) => ((d.sections[1] as Doc).prerequisites = ['nope']), 'sections.1.prerequisites.0'],
    ['own prerequisite', (d) => ((d.sections[1] as Doc).prerequisites = ['s2']), 'sections.1.prerequisites.0'],
    [
      'free plan with an amount',
      (d) => (d.paymentPlans = [{ name: 'F', type: 'free', amount: 5 }]),
      'paymentPlans.0.amount',
    ],
    [
      'two one-time plans',
      (d) =>
        (d.paymentPlans = [
          { name: 'A', type: 'one_time', amount: 1 },
          { name: 'B', type: 'one_time', amount: 2 },
        ]),
      'paymentPlans.1.type',
    ],
    [
      'two default plans',
      (d) =>
        (d.paymentPlans = [
          { name: 'A', type: 'one_time', amount: 1, isDefault: true },
          { name: 'B', type: 'free', isDefault: true },
        ]),
      'paymentPlans.1.isDefault',
    ],
    ['externalId differs from the URL', (d) => (d.externalId = 'OTHER'), 'externalId'],
    ['isFree is not a document field', (d) => (d.isFree = true), 'isFree'],
    [
      'missing media',
      (d) => (d.unsectionedLessons = [{ title: 'PDF', type: 'pdf', media: { mediaId: 'med_nope' } }]),
      'unsectionedLessons.0.media.mediaId',
    ],
    [
      'pdf lesson without media',
      (d) => (d.unsectionedLessons = [{ title: 'PDF', type: 'pdf' }]),
      'unsectionedLessons.0.media',
    ],
    ['unknown category', (d) => (d.categoryId = 'cat_nope'), 'categoryId'],
    [
      'scorm lesson',
      (d) => (d.unsectionedLessons = [{ title: 'S', type: 'scorm' }]),
      'unsectionedLessons.0.type',
      'not_supported',
    ],
  ];
  for (const [name, mutate, path, code] of cases) {
    it(name, async () => {
      const doc = baseDoc() as Doc & { sections: Doc[] };
      mutate(doc);
      const ext = `VAL-${name.replace(/\W+/g, '-')}`;
      const res = await put(ext, doc);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      const body = res.json();
      if (code) expect(body.error).toBe(code);
      expect(body.details.map((d: { path: string }) => d.path)).toContain(path);
      const [n] = await ctx.database.db.select({ n: count() }).from(courses).where(eq(courses.externalId, ext));
      expect(n!.n).toBe(0);
    });
  }

  it('a rich-text field over 200 KB is too_large', async () => {
    const doc = baseDoc() as Doc & { sections: Doc[] };
    (doc.sections[0]!.lessons as Doc[])[0]!.contentMarkdown = 'x'.repeat(210_000);
    const res = await put('VAL-LARGE', doc);
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toContainEqual(
      expect.objectContaining({ path: 'sections.0.lessons.0.contentMarkdown', code: 'too_large' }),
    );
  });
});

describe('limits are checked before any work', () => {
  it('201 sections → too_many_items (and nothing in them is validated)', async () => {
    const res = await put('LIM-1', {
      title: 'Big',
      sections: Array.from({ length: 201 }, () => ({ bogus: true })),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toEqual([expect.objectContaining({ path: 'sections', code: 'too_many_items' })]);
  });

  it('1,001 lessons over sections and unsectionedLessons → too_many_items', async () => {
    const res = await put('LIM-2', {
      title: 'Big',
      sections: [{ title: 'A', lessons: Array.from({ length: 600 }, () => ({})) }],
      unsectionedLessons: Array.from({ length: 401 }, () => ({})),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toEqual([expect.objectContaining({ path: 'sections', code: 'too_many_items' })]);
  });

  it('exactly 1,000 lessons are accepted', async () => {
    const res = await put('LIM-3', {
      title: 'Exactly at the limit',
      sections: Array.from({ length: 10 }, (_, i) => ({
        externalId: `s${i}`,
        title: `S${i}`,
        lessons: Array.from({ length: 100 }, (_, j) => ({ externalId: `l${i}-${j}`, title: `L${j}` })),
      })),
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().changes.created.count).toBe(1 + 10 + 1000);
    const again = await put('LIM-3', {
      title: 'Exactly at the limit',
      sections: Array.from({ length: 10 }, (_, i) => ({
        externalId: `s${i}`,
        title: `S${i}`,
        lessons: Array.from({ length: 100 }, (_, j) => ({ externalId: `l${i}-${j}`, title: `L${j}` })),
      })),
    });
    expect(again.json().changes.unchanged.count).toBe(1011);
  });
});

describe('concurrency', () => {
  it('two first syncs of one externalId at once: one creates, the other finds it; the course ends consistent', async () => {
    const base = await listen(ctx.app);
    const send = (doc: Doc) =>
      fetch(`${base}/api/v1/courses/by-external-id/RACE-1`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${A.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(doc),
      });
    const other = { ...baseDoc(), title: 'Other title', unsectionedLessons: [] };
    const [r1, r2] = await Promise.all([send(baseDoc()), send(other)]);
    expect([r1.status, r2.status].sort()).toEqual([200, 201]);
    const rows = await ctx.database.db.select().from(courses).where(eq(courses.externalId, 'RACE-1'));
    expect(rows).toHaveLength(1);
    const stored = (await get(`/api/v1/courses/${rows[0]!.id}`)).json();
    // Whichever ran last decided the state, entirely.
    const last = stored.title === 'Other title' ? other : baseDoc();
    expect(stored.unsectionedLessons).toHaveLength((last.unsectionedLessons as unknown[]).length);
    expect(stored.sections.map((s: Doc) => s.lessons && (s.lessons as unknown[]).length)).toEqual([2, 1]);
    const [n] = await ctx.database.db.select({ n: count() }).from(sections).where(eq(sections.courseId, rows[0]!.id));
    expect(n!.n).toBe(2);
  });
});

describe('concurrent updates', () => {
  it('syncs of one existing course run one after the other: the result is exactly one of the documents', async () => {
    expect((await put('RACE-2', baseDoc())).statusCode).toBe(201);
    const base = await listen(ctx.app);
    const send = (doc: Doc) =>
      fetch(`${base}/api/v1/courses/by-external-id/RACE-2`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${A.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(doc),
      });
    // One moves every lesson into a new section, the other deletes a section: interleaved, they would clash.
    const one = {
      ...baseDoc(),
      title: 'One',
      sections: [
        {
          externalId: 'all',
          title: 'All',
          lessons: [lesson('l3', 'Check'), lesson('l2', 'Video'), lesson('l1', 'Hello'), lesson('u1', 'Bonus')],
        },
      ],
      unsectionedLessons: [],
    };
    const two = { ...baseDoc(), title: 'Two', sections: [(baseDoc().sections as Doc[])[0]] };
    const results = await Promise.all([send(one), send(two), send(one), send(two)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const id = (await ctx.services.courseSync.findIdByExternalId(A.id, 'RACE-2'))!;
    const stored = (await get(`/api/v1/courses/${id}`)).json();
    const expected = stored.title === 'One' ? one : two;
    // The stored course is that document entirely: syncing it again changes nothing.
    const again = await put('RACE-2', expected);
    expect(
      again.json().changes.created.count + again.json().changes.updated.count + again.json().changes.deleted.count,
    ).toBe(0);
  });
});

describe('tenancy and scopes', () => {
  it("school B's PUT of the same externalId creates B's own course and never touches A's", async () => {
    const a = await put('TEN-1', baseDoc());
    const b = await put('TEN-1', { ...baseDoc(), title: 'B version' }, { key: B.key });
    expect(b.statusCode).toBe(201);
    expect(b.json().course.id).not.toBe(a.json().course.id);
    expect((await get(`/api/v1/courses/${a.json().course.id}`)).json().title).toBe('Sync 101');
    expect((await get(`/api/v1/courses/${a.json().course.id}`, B.key)).statusCode).toBe(404);
    // B's If-Match with A's ETag cannot reach A's course.
    const cross = await put('TEN-1', baseDoc(), { key: B.key, headers: { 'if-match': a.headers.etag as string } });
    expect(cross.statusCode).toBe(412);
  });

  it('needs courses:write', async () => {
    const readOnly = await createKey(ctx, A.id, ['courses:read']);
    const res = await put('SCOPE-1', baseDoc(), { key: readOnly.key });
    expect(res.statusCode).toBe(403);
  });
});

describe('sync.repo is scoped by school', () => {
  it("every statement with school B's id changes nothing of A's course", async () => {
    const res = await put('REPO-TEN', baseDoc());
    const id = res.json().course.id as string;
    const url = `/api/v1/courses/${id}?include=lessons.content,paymentPlans`;
    const before = (await get(url)).body;
    const db = ctx.database.db;
    const sectionIds = (await db.select({ id: sections.id }).from(sections).where(eq(sections.courseId, id))).map(
      (r) => r.id,
    );
    const lessonIds = (await db.select({ id: lessons.id }).from(lessons).where(eq(lessons.courseId, id))).map(
      (r) => r.id,
    );
    const [plan] = await db.select().from(paymentPlans).where(eq(paymentPlans.courseId, id));
    await db.transaction(async (tx) => {
      await syncRepo.lockExternalId(tx, B.id, 'REPO-TEN');
      expect(await syncRepo.courseIdByExternalId(tx, B.id, 'REPO-TEN')).toBeUndefined();
      expect(await syncRepo.lessonDocumentsByIds(tx, B.id, id, lessonIds)).toEqual([]);
      const own = await syncRepo.lessonDocumentsByIds(tx, A.id, id, [...lessonIds].reverse());
      expect(own.map((d) => d.id)).toEqual([...lessonIds].reverse());
      await syncRepo.placeSection(tx, B.id, id, sectionIds[0]!, { title: 'taken', position: 9 });
      await syncRepo.parkSectionTitles(tx, B.id, id, sectionIds);
      await syncRepo.touchSections(tx, B.id, id, sectionIds);
      await syncRepo.placeLesson(tx, B.id, id, lessonIds[0]!, { title: 'taken', sectionId: null, position: 9 });
      await syncRepo.updatePlan(tx, B.id, id, plan!.id, { name: 'taken', currency: 'EUR', status: 'archived' });
      await syncRepo.detachLessons(tx, B.id, id, sectionIds);
      await syncRepo.deleteLessons(tx, B.id, id, lessonIds);
      await syncRepo.deleteSections(tx, B.id, id, sectionIds);
    });
    expect((await get(url)).body).toBe(before);
    expect(await syncRepo.courseIdByExternalId(db, A.id, 'REPO-TEN')).toBe(id);
  });
});

describe('in-process service (used by the CLI)', () => {
  it('sync and findIdByExternalId', async () => {
    const { CourseDocumentSchema } = await import('../src/modules/courses/sync.schemas.js');
    const doc = CourseDocumentSchema.parse(baseDoc());
    const r = await ctx.services.courseSync.sync(A.id, 'SVC-1', doc, { dryRun: false });
    expect(r.status).toBe('created');
    expect(await ctx.services.courseSync.findIdByExternalId(A.id, 'SVC-1')).toBe(r.course!.id);
    expect(await ctx.services.courseSync.findIdByExternalId(B.id, 'SVC-1')).toBeUndefined();
    const again = await ctx.services.courseSync.sync(A.id, 'SVC-1', doc);
    expect(again.status).toBe('unchanged');
    // A slug taken by another course is the API's duplicate_slug, in process too.
    await expect(
      ctx.services.courseSync.sync(A.id, 'SVC-2', CourseDocumentSchema.parse({ title: 'x', slug: 'sync-101' })),
    ).rejects.toMatchObject({ code: 'duplicate_slug' });
  });
});

describe('review fixes', () => {
  const twoSections = (a: Doc, b: Doc): Doc => ({ title: 'Graph', sections: [a, b] });

  it('a prerequisite cycle is refused at sections.N.prerequisites and writes nothing', async () => {
    const res = await put(
      'FIX-CYCLE',
      twoSections(
        { externalId: 's1', title: 'One', prerequisites: ['s2'] },
        { externalId: 's2', title: 'Two', prerequisites: ['s1'] },
      ),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toEqual([
      expect.objectContaining({
        path: expect.stringMatching(/^sections\.[01]\.prerequisites$/),
        code: 'validation_error',
      }),
    ]);
    expect(await ctx.services.courseSync.findIdByExternalId(A.id, 'FIX-CYCLE')).toBeUndefined();
    // A longer cycle, reached from a section outside it, by title (no externalIds).
    const long = await put('FIX-CYCLE', {
      title: 'Graph',
      sections: [
        { title: 'Entry', prerequisites: ['A'] },
        { title: 'A', prerequisites: ['B'] },
        { title: 'B', prerequisites: ['C'] },
        { title: 'C', prerequisites: ['A'] },
      ],
    });
    expect(long.statusCode).toBe(400);
    expect(long.json().details.map((d: { path: string }) => d.path)).toEqual([
      expect.stringMatching(/^sections\.[123]\.prerequisites$/),
    ]);
    // An acyclic graph (a diamond) is fine.
    const ok = await put('FIX-CYCLE', {
      title: 'Graph',
      sections: [
        { title: 'A' },
        { title: 'B', prerequisites: ['A'] },
        { title: 'C', prerequisites: ['A'] },
        { title: 'D', prerequisites: ['B', 'C'] },
      ],
    });
    expect(ok.statusCode).toBe(201);
  });

  it("a name that is one section's externalId and another's title is refused, never stored as a self-prerequisite", async () => {
    const res = await put('FIX-AMBIG', {
      title: 'Ambiguous',
      sections: [
        { externalId: 'intro', title: 'Start' },
        { title: 'intro', prerequisites: ['intro'] },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toContainEqual(expect.objectContaining({ path: 'sections.1.prerequisites.0' }));
    expect(await ctx.services.courseSync.findIdByExternalId(A.id, 'FIX-AMBIG')).toBeUndefined();
    // Pinning the titled section resolves it: the prerequisite is the other section.
    const ok = await put('FIX-AMBIG', {
      title: 'Ambiguous',
      sections: [
        { externalId: 'intro', title: 'Start' },
        { externalId: 'second', title: 'intro', prerequisites: ['intro'] },
      ],
    });
    expect(ok.statusCode).toBe(201);
    const rows = await ctx.database.db
      .select()
      .from(sections)
      .where(eq(sections.courseId, ok.json().course.id))
      .orderBy(sections.position);
    expect(rows[1]!.prerequisites).toEqual([rows[0]!.id]);
  });

  it('section descriptions have no 10,000-character limit (as PATCH /sections); the course description has', async () => {
    const long = 'word '.repeat(2_500); // 12,500 characters of text
    const res = await put('FIX-DESC', {
      title: 'Long section',
      sections: [{ externalId: 's', title: 'S', descriptionMarkdown: long }],
    });
    expect(res.statusCode).toBe(201);
    const courseLong = await put('FIX-DESC-2', { title: 'Long course', descriptionMarkdown: long });
    expect(courseLong.statusCode).toBe(400);
    expect(courseLong.json().details).toContainEqual(expect.objectContaining({ path: 'description' }));
  });

  it('publishing through sync records course.published only, as PATCH does', async () => {
    const doc = {
      title: 'Pub',
      unsectionedLessons: [{ externalId: 'l', title: 'L' }],
      paymentPlans: [{ name: 'Free', type: 'free' }],
    };
    expect((await put('FIX-PUB', doc)).statusCode).toBe(201);
    const since = await eventsCount(A.id);
    const res = await put('FIX-PUB', { ...doc, status: 'published' });
    expect(res.statusCode).toBe(200);
    expect(await eventTypes(A.id, since)).toEqual(['course.published']);
    // Only a child changed: one course.updated (the course has a new version), no previousAttributes.
    const since2 = await eventsCount(A.id);
    await put('FIX-PUB', { ...doc, status: 'published', unsectionedLessons: [{ externalId: 'l', title: 'L2' }] });
    expect(await eventTypes(A.id, since2)).toEqual(['course.updated', 'lesson.updated']);
  });

  it('a course at the limits records every event (in batches) and the ids of its children', async () => {
    const doc = {
      title: 'Big events',
      sections: Array.from({ length: 4 }, (_, i) => ({
        externalId: `s${i}`,
        title: `S${i}`,
        lessons: Array.from({ length: 250 }, (_, j) => ({ externalId: `l${i}-${j}`, title: `L${j}` })),
      })),
    };
    const since = await eventsCount(A.id);
    expect((await put('FIX-EVENTS', doc)).statusCode).toBe(201);
    const types = await eventTypes(A.id, since);
    expect(types.filter((t) => t === 'lesson.created')).toHaveLength(1000);
    expect(types.filter((t) => t === 'section.created')).toHaveLength(4);
    const { rows } = await ctx.database.pool.query(
      "SELECT count(DISTINCT data->'object'->>'id')::int AS n FROM events WHERE school_id = $1 AND type = 'lesson.created' AND data->'object'->>'courseId' = (SELECT id FROM courses WHERE school_id = $1 AND external_id = 'FIX-EVENTS')",
      [A.id],
    );
    expect(rows[0].n).toBe(1000);
  });
});

describe('idOf reads the id from the head of a document', () => {
  it('matches JSON.parse for PostgreSQL output and falls back otherwise', async () => {
    const { idOf } = await import('../src/modules/courses/sync.service.js');
    expect(idOf('{"id" : "les_abc123", "title" : "x"}')).toBe('les_abc123');
    expect(idOf('{"title": "x", "id": "les_z"}')).toBe('les_z');
  });
});
