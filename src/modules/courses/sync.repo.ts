/**
 * Statements of declarative course sync that the other course repos do not have: the per-external-id
 * lock, batched deletes, and updates that also place a child (section position, lesson container).
 * Every statement is scoped by the school as well as by the course.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { courses, lessons, paymentPlans, sections } from '../../db/schema/index.js';
import { lessonJson, raw } from './course-json.js';
import type { LessonPatch, SectionPatch } from './curriculum.repo.js';
import type { PlanPatch } from './payment-plans.repo.js';

/**
 * Serialises syncs of one external id in one school for the rest of the transaction, whether or not
 * the course exists yet (two first syncs would otherwise both create it).
 */
export async function lockExternalId(db: DbOrTx, schoolId: string, externalId: string): Promise<void> {
  await db.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`course-sync:${schoolId}:${externalId}`}, 0))`);
}

export async function courseIdByExternalId(
  db: DbOrTx,
  schoolId: string,
  externalId: string,
): Promise<string | undefined> {
  const [row] = await db
    .select({ id: courses.id })
    .from(courses)
    .where(and(eq(courses.schoolId, schoolId), eq(courses.externalId, externalId)));
  return row?.id;
}

export async function deleteLessons(db: DbOrTx, schoolId: string, courseId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .delete(lessons)
    .where(and(eq(lessons.schoolId, schoolId), eq(lessons.courseId, courseId), inArray(lessons.id, ids)));
}

/** Takes every lesson out of the given sections (before they are deleted, so their lessons survive). */
export async function detachLessons(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  sectionIds: string[],
): Promise<void> {
  if (sectionIds.length === 0) return;
  await db
    .update(lessons)
    .set({ sectionId: null })
    .where(and(eq(lessons.schoolId, schoolId), eq(lessons.courseId, courseId), inArray(lessons.sectionId, sectionIds)));
}

export async function deleteSections(db: DbOrTx, schoolId: string, courseId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .delete(sections)
    .where(and(eq(sections.schoolId, schoolId), eq(sections.courseId, courseId), inArray(sections.id, ids)));
}

/**
 * Gives sections a title no document can hold (a control character and their id), so titles can be
 * swapped or reused under the case-insensitive unique index within one transaction.
 */
export async function parkSectionTitles(db: DbOrTx, schoolId: string, courseId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(sections)
    .set({ title: sql`chr(1) || ${sections.id}` })
    .where(and(eq(sections.schoolId, schoolId), eq(sections.courseId, courseId), inArray(sections.id, ids)));
}

/** A section's fields and position; a new version. */
export async function placeSection(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  sectionId: string,
  patch: SectionPatch & { position: number },
): Promise<void> {
  await db
    .update(sections)
    .set({ ...patch, updatedAt: new Date(), version: sql`${sections.version} + 1` })
    .where(and(eq(sections.schoolId, schoolId), eq(sections.courseId, courseId), eq(sections.id, sectionId)));
}

/** A new version for sections whose lessons changed (their document holds their lessons). */
export async function touchSections(db: DbOrTx, schoolId: string, courseId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(sections)
    .set({ updatedAt: new Date(), version: sql`${sections.version} + 1` })
    .where(and(eq(sections.schoolId, schoolId), eq(sections.courseId, courseId), inArray(sections.id, ids)));
}

/** A lesson's fields, container and position; a new version. */
export async function placeLesson(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  lessonId: string,
  patch: LessonPatch & { sectionId: string | null; position: number },
): Promise<void> {
  await db
    .update(lessons)
    .set({ ...patch, updatedAt: new Date(), version: sql`${lessons.version} + 1` })
    .where(and(eq(lessons.schoolId, schoolId), eq(lessons.courseId, courseId), eq(lessons.id, lessonId)));
}

/** A plan's fields, currency included (sync may change it, the plan routes may not). */
export async function updatePlan(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  planId: string,
  patch: PlanPatch & { currency?: string },
): Promise<void> {
  await db
    .update(paymentPlans)
    .set({ ...patch, updatedAt: new Date(), version: sql`${paymentPlans.version} + 1` })
    .where(and(eq(paymentPlans.schoolId, schoolId), eq(paymentPlans.courseId, courseId), eq(paymentPlans.id, planId)));
}

/**
 * The API documents (with content) of some lessons of a course, in the given id order: sync reads
 * the lessons it changed a page at a time, since one read of a 1,000-lesson course's documents
 * (megabytes of JSON) arrives and is decoded in one unbroken stretch of the event loop.
 */
export async function lessonDocumentsByIds(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  ids: string[],
): Promise<{ id: string; json: string }[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.execute<{ id: string; json: string }>(sql`
    SELECT l.id, ${raw(lessonJson('l', true))}::text AS json FROM lessons l
     WHERE l.school_id = ${schoolId} AND l.course_id = ${courseId} AND l.id IN ${sql`(${sql.join(
       ids.map((id) => sql`${id}`),
       sql`, `,
     )})`}`);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
