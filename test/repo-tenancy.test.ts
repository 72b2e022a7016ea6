/**
 * Tenancy at the repo layer, below the services' checks: every update and delete called with
 * school B's id on school A's rows changes nothing of A (each statement has school_id in its
 * WHERE, or reaches a table without one through its school-owned parent), and reads with B's id
 * find nothing of A.
 */
import { describe, expect, it } from 'vitest';
import * as apiKeys from '../src/modules/api-keys/api-keys.repo.js';
import * as categories from '../src/modules/categories/categories.repo.js';
import * as communities from '../src/modules/communities/communities.repo.js';
import * as courses from '../src/modules/courses/courses.repo.js';
import * as curriculum from '../src/modules/courses/curriculum.repo.js';
import * as plans from '../src/modules/courses/payment-plans.repo.js';
import * as media from '../src/modules/media/media.repo.js';
import * as schools from '../src/modules/schools/schools.repo.js';
import * as users from '../src/modules/users/users.repo.js';
import { call, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const db = ctx.database.db;
const A = await createSchool(ctx);
const B = await createSchool(ctx);

const post = async (url: string, body: unknown) => {
  const res = await call(ctx.app, 'POST', `/api/v1${url}`, { key: A.key, body });
  if (res.statusCode !== 201) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  return res.json();
};

// School A's rows, one or more of each kind.
const category = (await post('/categories', { name: 'A category' })).id as string;
const course = await post('/courses', {
  title: 'A course',
  isFree: true,
  categoryId: category,
  tags: ['alpha', 'beta'],
  sections: [
    { title: 'One', lessons: [{ title: 'L1' }, { title: 'L2' }] },
    { title: 'Two', lessons: [{ title: 'L3' }] },
  ],
});
const courseId = course.id as string;
const [sectionOne, sectionTwo] = course.sections.map((s: { id: string }) => s.id) as [string, string];
const lessonId = course.sections[0].lessons[0].id as string;
const planId = course.defaultPaymentPlanId as string;
const student = (await post('/students', { name: 'A student', email: 'a-student@example.com' })).id as string;
const community = (await post('/communities', { name: 'A community', slug: 'a-community' })).id as string;
await post(`/communities/${community}/members`, { userId: student });
const thread = (await post(`/communities/${community}/threads`, { title: 'T', content: 'c', userId: student })).id;
const comment = (await post(`/communities/${community}/threads/${thread}/comments`, { content: 'x', userId: student }))
  .id as string;
await post(`/communities/${community}/media`, {
  type: 'file',
  title: 'Notes',
  url: 'https://example.com/notes.pdf',
  fileName: 'notes.pdf',
  fileSize: 100,
  userId: student,
});
const mediaRow = await media.insertMedia(db, A.id, {
  id: 'med_tenancy_a',
  fileName: 'a.png',
  mimeType: 'image/png',
  size: 10,
  storageKey: `${A.id}/med_tenancy_a`,
  driver: 'local',
  uploadExpiresAt: new Date(Date.now() - 3_600_000),
});
const [keyRow] = (await apiKeys.listApiKeys(db, A.id, { limit: 1, sort: { key: 'createdAt', desc: false } })).rows;
const keyId = keyRow!.id;

const TENANT_TABLES = [
  'api_keys',
  'categories',
  'comments',
  'communities',
  'community_media',
  'courses',
  'lessons',
  'media',
  'payment_plans',
  'sections',
  'tags',
  'threads',
  'users',
];

/** Every row school A owns, including the join tables reached through their parent. */
async function snapshotOfA() {
  const rows = async (text: string) => (await ctx.database.pool.query(text, [A.id])).rows.map((r) => r.j);
  const out: Record<string, unknown[]> = {
    schools: await rows('SELECT to_jsonb(s) AS j FROM schools s WHERE s.id = $1'),
    community_members: await rows(
      `SELECT to_jsonb(m) AS j FROM community_members m JOIN communities c ON c.id = m.community_id
        WHERE c.school_id = $1 ORDER BY m.community_id, m.user_id`,
    ),
    course_tags: await rows(
      `SELECT to_jsonb(ct) AS j FROM course_tags ct JOIN courses c ON c.id = ct.course_id
        WHERE c.school_id = $1 ORDER BY ct.course_id, ct.tag_id`,
    ),
  };
  for (const table of TENANT_TABLES)
    out[table] = await rows(`SELECT to_jsonb(t) AS j FROM ${table} t WHERE t.school_id = $1 ORDER BY t.id`);
  return out;
}

describe("repo writes with school B's id leave school A's rows as they were", () => {
  it('the fixture holds rows of every kind', async () => {
    const before = await snapshotOfA();
    for (const [table, rows] of Object.entries(before)) expect(rows.length, table).toBeGreaterThan(0);
  });

  it('api-keys, categories, users, media, schools', async () => {
    const before = await snapshotOfA();
    expect(await apiKeys.revokeApiKey(db, B.id, keyId)).toBeUndefined();
    await apiKeys.touchApiKey(db, B.id, keyId);
    expect(await categories.updateCategory(db, B.id, category, { name: 'taken' })).toBeUndefined();
    await categories.deleteCategory(db, B.id, category);
    expect(await users.updateUser(db, B.id, student, { name: 'taken' })).toBeUndefined();
    await users.deleteUser(db, B.id, student);
    expect(await media.updateMedia(db, B.id, mediaRow.id, { status: 'failed' })).toBeUndefined();
    expect(await media.claimUpload(db, B.id, mediaRow.id)).toBeUndefined();
    await media.deleteMedia(db, B.id, mediaRow.id);
    await media.expireAbandoned(db, B.id);
    await schools.updateSchool(db, B.id, { name: 'B renamed' });
    expect(await snapshotOfA()).toEqual(before);
  });

  it('communities: community, members, threads, comments', async () => {
    const before = await snapshotOfA();
    expect(await communities.community.update(db, B.id, community, { name: 'taken' })).toBeUndefined();
    await communities.community.delete(db, B.id, community);
    expect(await communities.member.remove(db, B.id, community, student)).toBe(0);
    expect(await communities.thread.update(db, B.id, thread, { title: 'taken' })).toBeUndefined();
    await communities.thread.refreshCounts(db, B.id, thread);
    await communities.thread.delete(db, B.id, thread);
    expect(await communities.comment.update(db, B.id, comment, { content: 'taken', contentHtml: '' })).toBeUndefined();
    await communities.comment.delete(db, B.id, comment);
    expect(await snapshotOfA()).toEqual(before);
  });

  it('courses: course, tags, sections, lessons, plans', async () => {
    const before = await snapshotOfA();
    const section = (await curriculum.findSection(db, A.id, courseId, sectionOne))!;
    const lesson = (await curriculum.findLesson(db, A.id, courseId, lessonId))!;
    expect(await courses.updateCourse(db, B.id, courseId, { title: 'taken' })).toBeUndefined();
    await courses.setCourseTags(db, B.id, courseId, ['gamma']);
    await courses.deleteCourse(db, B.id, courseId);
    expect(await curriculum.updateSection(db, B.id, sectionOne, { title: 'taken' })).toBeUndefined();
    await curriculum.moveSection(db, B.id, section, 2);
    await curriculum.reorderSections(db, B.id, courseId, [sectionTwo, sectionOne]);
    await curriculum.touchSection(db, B.id, sectionOne);
    await curriculum.deleteSection(db, B.id, section);
    expect(await curriculum.updateLesson(db, B.id, lessonId, { title: 'taken' })).toBeUndefined();
    await curriculum.moveLesson(db, B.id, lesson, sectionTwo, 1);
    await curriculum.deleteLesson(db, B.id, lesson);
    expect(await plans.updatePlan(db, B.id, planId, { name: 'taken' })).toBeUndefined();
    expect(await snapshotOfA()).toEqual(before);
  });

  it("reads with school B's id find nothing of A", async () => {
    expect(await courses.courseDocument(db, B.id, courseId, true)).toBeUndefined();
    expect(await courses.courseTagNames(db, B.id, courseId)).toEqual([]);
    expect(await courses.publishFacts(db, B.id, courseId)).toEqual({ lessons: 0, activePlans: 0 });
    expect(await curriculum.sectionsOf(db, B.id, courseId)).toEqual([]);
    expect(await curriculum.sectionDocuments(db, B.id, courseId)).toEqual([]);
    expect(await curriculum.lessonDocuments(db, B.id, courseId, {}, true)).toEqual([]);
    expect(await curriculum.countInContainer(db, B.id, courseId, sectionOne)).toBe(0);
    expect(await plans.planDocuments(db, B.id, courseId)).toEqual([]);
    expect(await communities.member.isMember(db, B.id, community, student)).toBe(false);
    expect(await communities.member.count(db, B.id, community)).toBe(0);
    expect((await communities.community.memberCounts(db, B.id, [community])).get(community)).toBeUndefined();
    expect(await communities.thread.find(db, B.id, community, thread)).toBeUndefined();
    expect(await communities.comment.oldest(db, B.id, thread, 10)).toEqual([]);
    expect(await media.findMedia(db, B.id, mediaRow.id)).toBeUndefined();
  });

  it('the same calls with school A’s own id do change its rows (the check can fail)', async () => {
    const before = await snapshotOfA();
    await categories.updateCategory(db, A.id, category, { name: 'renamed by A' });
    await communities.member.remove(db, A.id, community, student);
    await courses.setCourseTags(db, A.id, courseId, ['gamma']);
    const after = await snapshotOfA();
    expect(after.categories).not.toEqual(before.categories);
    expect(after.community_members).toHaveLength(before.community_members!.length - 1);
    expect(await courses.courseTagNames(db, A.id, courseId)).toEqual(['gamma']);
  });
});
