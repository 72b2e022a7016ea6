/** GET /courses/{id}/export: the sync document of a course; export → sync changes nothing (also for random documents). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CourseDocumentSchema } from '../src/modules/courses/sync.schemas.js';
import { call, createKey, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
type Doc = Record<string, unknown>;

async function uploadPdf(key: string): Promise<string> {
  const res = await call(ctx.app, 'POST', '/api/v1/media/presigned', {
    key,
    body: { fileName: 'notes.pdf', mimeType: 'application/pdf', size: PDF.length },
  });
  expect(res.statusCode, res.body).toBe(201);
  const { mediaId, upload } = res.json();
  const put = await call(ctx.app, 'PUT', new URL(upload.url).pathname, { headers: upload.headers, body: PDF });
  expect(put.statusCode).toBe(200);
  return mediaId;
}

const post = (url: string, body: unknown, key = A.key) => call(ctx.app, 'POST', url, { key, body });
const get = (url: string, key = A.key) => call(ctx.app, 'GET', url, { key });
const put = (ext: string, body: unknown, key = A.key, query = '') =>
  call(ctx.app, 'PUT', `/api/v1/courses/by-external-id/${encodeURIComponent(ext)}${query}`, { key, body });

const noChange = (changes: Record<string, { count: number }>) => ({
  created: changes.created!.count,
  updated: changes.updated!.count,
  deleted: changes.deleted!.count,
});

describe('export', () => {
  it('a course built through the ordinary routes exports everything, and syncing the export changes nothing', async () => {
    const pdf = await uploadPdf(A.key);
    const created = await post('/api/v1/courses', {
      title: 'Built by hand',
      externalId: 'HAND-1',
      description: '<p>Hello <em>there</em></p>',
      thumbnailUrl: null,
      trailerUrl: 'https://example.com/trailer',
      tags: ['One', 'two'],
      authors: ['Ada'],
      privacy: 'unlisted',
      sections: [
        {
          title: 'Intro',
          externalId: 'intro',
          drip: { type: 'days', days: 3 },
          lessons: [
            { title: 'Welcome', contentMarkdown: 'Hi *all*' },
            { title: 'Welcome', summary: 'Same title, no externalId' },
            { title: 'Watch', videoUrl: 'https://youtu.be/dQw4w9WgXcQ', isPreview: true, externalId: 'watch' },
          ],
        },
        {
          title: 'Check',
          lessons: [
            {
              title: 'Quiz',
              type: 'quiz',
              content: {
                questions: [
                  {
                    text: 'Q?',
                    options: [
                      { text: 'a', correct: true },
                      { text: 'b', correct: false },
                    ],
                  },
                ],
                passingScore: 80,
              },
              unlock: { type: 'timed', afterDays: 2 },
            },
            { title: 'Notes', type: 'pdf', media: { mediaId: pdf }, downloadable: true },
          ],
        },
      ],
    });
    expect(created.statusCode, created.body).toBe(201);
    const course = created.json();
    const sectionIds = course.sections.map((s: Doc) => s.id);
    expect(
      (
        await call(ctx.app, 'PATCH', `/api/v1/courses/${course.id}/sections/${sectionIds[1]}`, {
          key: A.key,
          body: { prerequisites: [sectionIds[0]] },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await post(`/api/v1/courses/${course.id}/lessons`, { title: 'Loose end', sectionId: null })).statusCode,
    ).toBe(201);
    expect(
      (
        await post(`/api/v1/courses/${course.id}/payment-plans`, {
          name: 'Yearly',
          type: 'subscription',
          amount: 9900,
          interval: 'year',
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (
        await post(`/api/v1/courses/${course.id}/payment-plans`, {
          name: 'Three parts',
          type: 'installments',
          amount: 3300,
          installments: { count: 3 },
        })
      ).statusCode,
    ).toBe(201);

    const exported = await get(`/api/v1/courses/${course.id}/export`);
    expect(exported.statusCode).toBe(200);
    const doc = exported.json();
    expect(doc).toMatchObject({
      externalId: 'HAND-1',
      title: 'Built by hand',
      slug: 'built-by-hand',
      tags: ['One', 'two'],
      authors: ['Ada'],
      privacy: 'unlisted',
      status: 'draft',
      trailerUrl: 'https://example.com/trailer',
      featuredImage: null,
      unsectionedLessons: [expect.objectContaining({ title: 'Loose end', externalId: null })],
    });
    expect(doc.description.type).toBe('doc');
    expect(doc.sections[0]).toMatchObject({ externalId: 'intro', title: 'Intro', drip: { type: 'days', days: 3 } });
    expect(doc.sections[1].prerequisites).toEqual(['intro']);
    expect(doc.sections[0].lessons[2]).toMatchObject({
      externalId: 'watch',
      type: 'video',
      videoUrl: 'https://youtu.be/dQw4w9WgXcQ',
      isPreview: true,
    });
    expect(doc.sections[1].lessons[0]).toMatchObject({
      type: 'quiz',
      content: { passingScore: 80, questions: [{ text: 'Q?' }] },
      unlock: { type: 'timed', afterDays: 2 },
    });
    expect(doc.sections[1].lessons[1]).toMatchObject({ type: 'pdf', media: { mediaId: pdf }, downloadable: true });
    expect(doc.paymentPlans).toEqual([
      {
        name: 'Yearly',
        type: 'subscription',
        amount: 9900,
        currency: 'USD',
        interval: 'year',
        installments: null,
        description: null,
        isDefault: true,
      },
      {
        name: 'Three parts',
        type: 'installments',
        amount: 3300,
        currency: 'USD',
        interval: null,
        installments: { count: 3 },
        description: null,
        isDefault: false,
      },
    ]);
    // The export is a valid document.
    expect(CourseDocumentSchema.safeParse(doc).success).toBe(true);

    const before = await get(`/api/v1/courses/${course.id}`);
    const sync = await put('HAND-1', doc);
    expect(sync.statusCode).toBe(200);
    expect(noChange(sync.json().changes)).toEqual({ created: 0, updated: 0, deleted: 0 });
    expect(sync.json().changes.unchanged.count).toBe(1 + 2 + 6 + 2);
    expect(sync.headers.etag).toBe(before.headers.etag);
    expect((await get(`/api/v1/courses/${course.id}`)).body).toBe(before.body);
  });

  it("another school's course is 404; read scope suffices", async () => {
    const c = (await post('/api/v1/courses', { title: 'Private to A' })).json();
    expect((await get(`/api/v1/courses/${c.id}/export`, B.key)).statusCode).toBe(404);
    expect((await get('/api/v1/courses/crs_nope/export')).statusCode).toBe(404);
    const reader = await createKey(ctx, A.id, ['courses:read']);
    const read = await get(`/api/v1/courses/${c.id}/export`, reader.key);
    expect(read.statusCode, read.body).toBe(200);
    const noScope = await createKey(ctx, A.id, ['students:read']);
    expect((await get(`/api/v1/courses/${c.id}/export`, noScope.key)).statusCode).toBe(403);
  });

  it('an uploaded course image exports as featuredImage and an image URL as stored', async () => {
    const c = await put('IMG-1', { title: 'With image', thumbnailUrl: 'https://example.com/cover.png' });
    expect(c.statusCode).toBe(201);
    const doc = (await get(`/api/v1/courses/${c.json().course.id}/export`)).json();
    expect(doc).toMatchObject({ thumbnailUrl: 'https://example.com/cover.png', featuredImage: null });
    expect(noChange((await put('IMG-1', doc)).json().changes)).toEqual({ created: 0, updated: 0, deleted: 0 });
  });
});

// ---------- property: random valid documents survive sync → export → sync with zero changes ----------

const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,11}[A-Za-z0-9]$/);
const markdown = fc.array(word, { minLength: 1, maxLength: 4 }).map((ws) => ws.join(' '));
const lessonArb = fc.oneof(
  fc.record(
    {
      title: word,
      contentMarkdown: markdown,
      isPreview: fc.boolean(),
      duration: fc.option(fc.nat(5000), { nil: undefined }),
    },
    { requiredKeys: ['title'] },
  ),
  fc.record({
    title: word,
    videoUrl: fc.constantFrom(
      'https://youtu.be/dQw4w9WgXcQ',
      'https://vimeo.com/76979871',
      'https://example.com/v.mp4',
    ),
  }),
  fc.record({
    title: word,
    type: fc.constant('quiz'),
    content: fc.record({
      questions: fc.array(
        fc.record({
          text: word,
          options: fc.constant([
            { text: 'yes', correct: true },
            { text: 'no', correct: false },
          ]),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      passingScore: fc.integer({ min: 0, max: 100 }),
    }),
  }),
);
/** Lessons with unique external ids over the whole course (some without one). */
function withIds(lessons: Doc[][], prefix: string, withId: boolean[]): Doc[][] {
  let n = 0;
  return lessons.map((list) =>
    list.map((l) => {
      const i = n++;
      return withId[i % withId.length] ? { ...l, externalId: `${prefix}-l${i}` } : l;
    }),
  );
}
const documentArb = fc
  .record({
    title: word,
    status: fc.constantFrom('draft', 'archived'),
    level: fc.constantFrom('beginner', 'advanced', undefined),
    tags: fc.uniqueArray(word, { maxLength: 3, selector: (t) => t.toLowerCase() }),
    sectionTitles: fc.uniqueArray(word, { maxLength: 4, selector: (t) => t.toLowerCase() }),
    lessons: fc.array(fc.array(lessonArb, { maxLength: 4 }), { minLength: 5, maxLength: 5 }),
    withId: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
    sectionIds: fc.boolean(),
    free: fc.boolean(),
  })
  .map((r) => {
    const lessons = withIds(r.lessons, 'p', r.withId);
    return {
      title: r.title,
      status: r.status,
      ...(r.level ? { level: r.level } : {}),
      tags: r.tags,
      sections: r.sectionTitles.map((title, i) => ({
        title,
        ...(r.sectionIds ? { externalId: `s${i}` } : {}),
        lessons: lessons[i] ?? [],
      })),
      unsectionedLessons: lessons[4] ?? [],
      paymentPlans: r.free ? [{ name: 'Free', type: 'free' }] : [],
    };
  });

describe('large lessons', () => {
  it('a lesson with ~40 KB of Markdown (its stored JSON far over 200 KB) exports and syncs back unchanged', async () => {
    const para = (i: number) =>
      `Paragraph ${i} with **bold**, *italic*, \`code\` and a [link](https://example.com/${i}).`;
    const markdown = Array.from({ length: 550 }, (_, i) => `- ${para(i)}`).join('\n');
    expect(markdown.length).toBeGreaterThan(40_000);
    const created = await put('EXP-LARGE', {
      title: 'Large lesson',
      unsectionedLessons: [{ externalId: 'big', title: 'Big', contentMarkdown: markdown }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const exported = await get(`/api/v1/courses/${created.json().course.id}/export`);
    expect(exported.statusCode).toBe(200);
    const content = exported.json().unsectionedLessons[0].content;
    expect(JSON.stringify(content).length).toBeGreaterThan(200_000);
    const again = await put('EXP-LARGE', exported.json());
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().changes.unchanged.count).toBe(2);
    expect(again.json().changes.updated.count + again.json().changes.created.count).toBe(0);
  });
});

describe('round trip property', () => {
  it('random valid documents: sync, export, sync again → zero changes', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(documentArb, async (doc) => {
        const ext = `PROP-${run++}`;
        const first = await put(ext, doc);
        expect(first.statusCode).toBe(201);
        const exported = await get(`/api/v1/courses/${first.json().course.id}/export`);
        expect(exported.statusCode).toBe(200);
        const again = await put(ext, exported.json());
        expect(again.statusCode).toBe(200);
        expect(noChange(again.json().changes)).toEqual({ created: 0, updated: 0, deleted: 0 });
        expect(again.headers.etag).toBe(first.headers.etag);
        // And the original document is a no-op too.
        expect(noChange((await put(ext, doc)).json().changes)).toEqual({ created: 0, updated: 0, deleted: 0 });
      }),
      { numRuns: 25 },
    );
  });
});
