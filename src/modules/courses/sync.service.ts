/**
 * Declarative course sync, export and bulk create (API.md §2 Courses).
 *
 * sync: the document is validated and converted first (every problem at its document path, rich
 * text converted with the event loop yielding between items), then, in one transaction under a lock
 * on (school, externalId) and the course row: the stored course is read, each child of the document
 * is matched to a stored one (by externalId; without one, by title within its parent), the
 * differences are computed, and only what differs is written. Nothing differs → nothing is written
 * (no version bump, no event). A dry run does the same work in a transaction that is rolled back.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Db, Tx } from '../../db/client.js';
import { pgErrorOf } from '../../db/pg-error.js';
import { insertWithGeneratedSlug, nextSlugNumber } from '../../db/unique-slug.js';
import { AppError, notFound } from '../../lib/errors.js';
import { assertIfMatch } from '../../lib/etag.js';
import { newId } from '../../lib/ids.js';
import { rawJson } from '../../lib/raw-json.js';
import { parseMarkdown, parseRichText, plainTextLength, type RichTextDoc, renderRichText } from '../../lib/richtext.js';
import { slugify } from '../../lib/slug.js';
import { timeSlicer } from '../../lib/time-slice.js';
import { zodIssuesToDetails } from '../../lib/validation.js';
import type { CategoryService } from '../categories/categories.service.js';
import type { EventService, RecordEvent } from '../events/events.service.js';
import type { MediaService } from '../media/media.service.js';
import type { SchoolService } from '../schools/schools.service.js';
import * as coursesRepo from './courses.repo.js';
import type { Course, CreateCourse } from './courses.schemas.js';
import { CreateCourseSchema, MAX_NESTED_LESSONS, MAX_NESTED_SECTIONS } from './courses.schemas.js';
import { type CourseService, customFields } from './courses.service.js';
import * as curriculum from './curriculum.repo.js';
import { type LessonValues, Problems, prepareLesson } from './lesson-input.js';
import * as plansRepo from './payment-plans.repo.js';
import * as repo from './sync.repo.js';
import type {
  BulkCreateResult,
  ChangeSet,
  Changes,
  CourseDocument,
  DocumentLesson,
  ExportedCourse,
} from './sync.schemas.js';
import { MAX_BULK_COURSES } from './sync.schemas.js';

const DESCRIPTION_MAX_TEXT = 10_000;

type Deps = {
  db: Db;
  schools: SchoolService;
  categories: CategoryService;
  media: MediaService;
  courses: CourseService;
  events: EventService;
};

export type SyncOptions = { dryRun?: boolean | undefined; ifMatch?: string | undefined };
export type SyncResult = {
  status: 'created' | 'updated' | 'unchanged';
  course: Course | null;
  etag: string | null;
  changes: Changes;
  dryRun: boolean;
};

type Kind = 'course' | 'sections' | 'lessons' | 'paymentPlans';
type Outcome = 'created' | 'updated' | 'deleted' | 'unchanged';

/** Counts and keys of what a sync did, per outcome and kind. */
class ChangeLog {
  readonly sets: Record<Outcome, ChangeSet> = {
    created: emptySet(),
    updated: emptySet(),
    deleted: emptySet(),
    unchanged: emptySet(),
  };
  add(outcome: Outcome, kind: Kind, key: string) {
    const set = this.sets[outcome];
    set.count++;
    set.externalIds[kind].push(key);
  }
  get changed(): boolean {
    return this.sets.created.count + this.sets.updated.count + this.sets.deleted.count > 0;
  }
}
function emptySet(): ChangeSet {
  return { count: 0, externalIds: { course: [], sections: [], lessons: [], paymentPlans: [] } };
}

/** Compares values as JSON would store them (jsonb drops undefined and ignores key order). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}

/** The fields of `desired` whose values differ from `stored` (only these are written). */
function diff<T extends Record<string, unknown>>(desired: T, stored: Record<string, unknown> | undefined): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(desired)) {
    if (v === undefined) continue;
    if (!stored || !same(v, stored[k])) out[k] = v;
  }
  return out as Partial<T>;
}

/** Tags are trimmed (by the schema) and deduplicated case-insensitively, first spelling wins. */
function dedupeTags(tags: string[]): string[] {
  const seen = new Set<string>();
  return tags.filter((t) => !seen.has(t.toLowerCase()) && seen.add(t.toLowerCase()));
}

const planKey = (p: { type: string; interval: string | null }) => (p.interval ? `${p.type}:${p.interval}` : p.type);

type DesiredLesson = {
  path: string;
  key: string;
  externalId: string | null;
  title: string;
  values: LessonValues & { title: string };
};
type DesiredSection = {
  path: string;
  key: string;
  externalId: string | null;
  title: string;
  values: {
    title: string;
    description: RichTextDoc | null;
    descriptionHtml: string | null;
    posterImageUrl: string | null;
    status: 'draft' | 'published';
    drip: NonNullable<curriculum.SectionPatch['drip']>;
    externalId: string | null;
  };
  prerequisiteRefs: { ref: string; path: string }[];
  /** The sections the refs name, resolved once (validation and the write use the same answer). */
  prerequisites: DesiredSection[];
  lessons: DesiredLesson[];
};
type DesiredPlan = {
  path: string;
  key: string;
  isDefault: boolean;
  values: {
    name: string;
    type: plansRepo.PlanRow['type'];
    amount: number;
    currency: string;
    interval: 'month' | 'year' | null;
    installmentsCount: number | null;
    description: string | null;
  };
};
type Desired = {
  externalId: string;
  slug: string | undefined;
  status: 'draft' | 'published' | 'archived';
  tags: string[];
  featuredImage: string | undefined;
  values: {
    title: string;
    type: coursesRepo.CourseRow['type'];
    description: RichTextDoc | null;
    descriptionHtml: string | null;
    shortDescription: string | null;
    thumbnailUrl: string | null;
    trailerUrl: string | null;
    level: coursesRepo.CourseRow['level'];
    categoryId: string | null;
    authors: string[];
    externalId: string;
    customFields: Record<string, unknown>;
    source: string | null;
    privacy: coursesRepo.CourseRow['privacy'];
  };
  sections: DesiredSection[];
  unsectioned: DesiredLesson[];
  plans: DesiredPlan[];
};

/**
 * A unique violation as the API names it, for callers outside HTTP (the CLI, bulk items) that do not
 * pass through the error plugin; anything else is returned as it is.
 */
function asAppError(e: unknown): unknown {
  const pg = pgErrorOf(e);
  if (pg?.code !== '23505') return e;
  const rule = (
    [
      ['_slug_uq', 'duplicate_slug', 'slug'],
      ['_external_id_uq', 'duplicate_external_id', 'externalId'],
      ['_title_uq', 'duplicate_title', 'title'],
    ] as const
  ).find(([suffix]) => pg.constraint?.endsWith(suffix));
  if (!rule) return new AppError('conflict', 'The request conflicts with an existing resource.');
  return new AppError(rule[1], `Another resource already uses this ${rule[2]}.`, [
    { path: rule[2], message: 'Already in use.', code: rule[1] },
  ]);
}

/** Thrown inside a dry run's transaction to roll it back with its result. */
class DryRunRollback extends Error {
  constructor(readonly result: SyncResult) {
    super('dry run');
  }
}

/**
 * The id of a child's API document (JSON text built by PostgreSQL, `id` first): read from the
 * text's head, since parsing a 1,000-lesson course's documents whole only for their ids blocks the
 * event loop; parsed in full only if the head is not as expected.
 */
const ID_HEAD = /^\{\s*"id"\s*:\s*"([A-Za-z0-9_]+)"/;
export const idOf = (json: string): string => ID_HEAD.exec(json)?.[1] ?? (JSON.parse(json) as { id: string }).id;

/** Lessons per read of their documents (each up to hundreds of KB of JSON). */
const LESSON_PAGE = 50;

/** Calls `each` with the document of each lesson, in the order of `ids`, read a page at a time. */
async function eachLessonDocument(
  tx: Tx,
  schoolId: string,
  courseId: string,
  ids: string[],
  nextItem: () => Promise<void>,
  each: (json: string) => void,
): Promise<void> {
  for (let i = 0; i < ids.length; i += LESSON_PAGE) {
    await nextItem();
    const page = ids.slice(i, i + LESSON_PAGE);
    const docs = await repo.lessonDocumentsByIds(tx, schoolId, courseId, page);
    if (docs.length !== page.length) throw new Error('A lesson of this sync is missing from its own transaction.');
    for (const d of docs) each(d.json);
  }
}

/** Events per recordMany statement: a sync at the limits writes 1,000+ (each a whole document). */
const EVENT_CHUNK = 200;

/**
 * API.md §1: at most MAX_NESTED_SECTIONS sections and MAX_NESTED_LESSONS lessons per request, so a
 * bulk request counts them over all its items, on the raw input, before any item is converted.
 */
function checkBulkCurriculum(items: unknown[]): void {
  let sections = 0;
  let lessons = 0;
  for (const item of items) {
    const list = isRecord(item) ? item.sections : undefined;
    if (!Array.isArray(list)) continue;
    sections += list.length;
    for (const section of list) {
      const inner = isRecord(section) ? section.lessons : undefined;
      if (Array.isArray(inner)) lessons += inner.length;
    }
  }
  const over =
    sections > MAX_NESTED_SECTIONS
      ? `At most ${MAX_NESTED_SECTIONS} sections per request over all courses; this one has ${sections}.`
      : lessons > MAX_NESTED_LESSONS
        ? `At most ${MAX_NESTED_LESSONS} lessons per request over all courses; this one has ${lessons}.`
        : undefined;
  if (over) throw new AppError('validation_error', over, [{ path: 'courses', message: over, code: 'too_many_items' }]);
}
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function createCourseSyncService({ db, schools, categories, media, courses, events }: Deps) {
  /** Rich text of a description-like field: document, JSON string or HTML, or its Markdown twin. */
  function richDescription(
    input: { description?: unknown; descriptionMarkdown?: string | undefined },
    problems: Problems,
    prefix: string,
    maxText?: number,
  ): { description: RichTextDoc | null; descriptionHtml: string | null } {
    try {
      let doc: RichTextDoc | null = null;
      if (input.descriptionMarkdown !== undefined)
        doc = parseMarkdown(input.descriptionMarkdown, `${prefix}descriptionMarkdown`);
      else if (input.description !== undefined && input.description !== null)
        doc = parseRichText(input.description, `${prefix}description`);
      if (doc && maxText !== undefined && plainTextLength(doc) > maxText)
        problems.add('validation_error', `${prefix}description`, `At most ${maxText} characters of text.`);
      return { description: doc, descriptionHtml: doc ? renderRichText(doc) : null };
    } catch (e) {
      problems.addError(e);
      return { description: null, descriptionHtml: null };
    }
  }

  /**
   * Validates and converts the whole document before any lock is taken: every problem is collected
   * with its document path and thrown together.
   */
  async function prepare(schoolId: string, externalId: string, doc: CourseDocument): Promise<Desired> {
    const { data: school } = await schools.get(schoolId);
    const problems = new Problems();
    const nextItem = timeSlicer();
    if (doc.externalId != null && doc.externalId !== externalId)
      problems.add(
        'validation_error',
        'externalId',
        `Must be the externalId of the URL ('${externalId}') or left out.`,
      );
    if (doc.categoryId && !(await categories.exists(schoolId, doc.categoryId)))
      problems.add('validation_error', 'categoryId', 'No such category in this school.');
    if (doc.featuredImage) {
      const [m] = await media.findByIds(schoolId, [doc.featuredImage.mediaId]);
      if (m?.status !== 'ready' || !m.mimeType.startsWith('image/'))
        problems.add('validation_error', 'featuredImage.mediaId', 'Must be a ready image of this school.');
    }
    const status =
      doc.status ??
      doc.publishedStatus ??
      (doc.published === undefined ? 'draft' : doc.published ? 'published' : 'draft');

    const instructorRefs: { id: string; path: string }[] = [];
    const mediaRefs: { id: string; lessonType: string; path: string }[] = [];
    const seenLessonIds = new Map<string, string>();
    const lesson = async (input: DocumentLesson, path: string): Promise<DesiredLesson> => {
      await nextItem();
      const values = prepareLesson(input, path, problems);
      const type = values.type ?? 'text';
      if (values.instructorId) instructorRefs.push({ id: values.instructorId, path: `${path}instructorId` });
      if (values.mediaId) mediaRefs.push({ id: values.mediaId, lessonType: type, path: `${path}media.mediaId` });
      const ext = input.externalId ?? null;
      if (ext) {
        if (seenLessonIds.has(ext))
          problems.add(
            'duplicate_external_id',
            `${path}externalId`,
            `externalId '${ext}' is used twice in this course (also at ${seenLessonIds.get(ext)}).`,
          );
        else seenLessonIds.set(ext, `${path}externalId`);
      }
      return {
        path,
        key: ext ?? input.title,
        externalId: ext,
        title: input.title,
        values: {
          type,
          downloadable: false,
          summary: null,
          content: null,
          contentHtml: null,
          mediaId: null,
          videoUrl: null,
          videoMeta: null,
          duration: null,
          isPreview: false,
          status: 'published',
          unlock: { type: 'immediate' },
          instructorId: null,
          thumbnailUrl: null,
          ...values,
          title: input.title,
          externalId: ext,
        },
      };
    };

    const sections: DesiredSection[] = [];
    const titles = new Map<string, string>();
    const sectionIds = new Map<string, string>();
    for (const [i, s] of (doc.sections ?? []).entries()) {
      const prefix = `sections.${i}.`;
      await nextItem();
      const lower = s.title.toLowerCase();
      if (titles.has(lower))
        problems.add(
          'duplicate_title',
          `${prefix}title`,
          `Section title '${s.title}' is used twice in this course (also at ${titles.get(lower)}).`,
        );
      else titles.set(lower, `${prefix}title`);
      const ext = s.externalId ?? null;
      if (ext) {
        if (sectionIds.has(ext))
          problems.add(
            'duplicate_external_id',
            `${prefix}externalId`,
            `externalId '${ext}' is used twice in this course (also at ${sectionIds.get(ext)}).`,
          );
        else sectionIds.set(ext, `${prefix}externalId`);
      }
      const lessons: DesiredLesson[] = [];
      for (const [j, l] of (s.lessons ?? []).entries()) lessons.push(await lesson(l, `${prefix}lessons.${j}.`));
      sections.push({
        path: prefix,
        key: ext ?? s.title,
        externalId: ext,
        title: s.title,
        values: {
          title: s.title,
          ...richDescription(s, problems, prefix),
          posterImageUrl: s.posterImageUrl ?? null,
          status: s.status ?? 'published',
          drip: s.drip ?? { type: 'none' },
          externalId: ext,
        },
        prerequisiteRefs: (s.prerequisites ?? []).map((ref, k) => ({ ref, path: `${prefix}prerequisites.${k}` })),
        prerequisites: [],
        lessons,
      });
    }
    resolvePrerequisites(sections, problems);
    const unsectioned: DesiredLesson[] = [];
    for (const [j, l] of (doc.unsectionedLessons ?? []).entries())
      unsectioned.push(await lesson(l, `unsectionedLessons.${j}.`));

    const plans: DesiredPlan[] = [];
    const planKeys = new Map<string, string>();
    for (const [i, p] of (doc.paymentPlans ?? []).entries()) {
      const path = `paymentPlans.${i}.`;
      const values = {
        name: p.name,
        type: p.type,
        amount: p.amount ?? 0,
        currency: p.currency ?? school.currency,
        interval: p.interval ?? null,
        installmentsCount: p.installments?.count ?? null,
        description: p.description ?? null,
      };
      const key = planKey(values);
      if (planKeys.has(key))
        problems.add(
          'validation_error',
          `${path}type`,
          `At most one active ${key} plan per course (also at ${planKeys.get(key)}).`,
        );
      else planKeys.set(key, `${path}type`);
      plans.push({ path, key, isDefault: p.isDefault === true, values });
    }

    await courses.checkInstructors(schoolId, instructorRefs, problems);
    await courses.checkMedia(schoolId, mediaRefs, problems);
    // Only the course description has a text limit (as POST/PATCH /courses); sections have none.
    const description = richDescription(doc, problems, '', DESCRIPTION_MAX_TEXT);
    const custom = customFields(doc.customFields ?? {}, school.customFields, problems);
    problems.throwIfAny();

    return {
      externalId,
      slug: doc.slug,
      status,
      tags: dedupeTags(doc.tags ?? []),
      featuredImage: doc.featuredImage?.mediaId,
      values: {
        title: doc.title,
        type: doc.type ?? doc.courseType ?? 'course',
        ...description,
        shortDescription: doc.shortDescription ?? null,
        thumbnailUrl: doc.thumbnailUrl ?? null,
        trailerUrl: doc.trailerUrl ?? null,
        level: doc.level ?? null,
        categoryId: doc.categoryId ?? null,
        authors: doc.authors ?? [],
        externalId,
        customFields: custom,
        source: doc.source ?? null,
        privacy: doc.privacy ?? 'public',
      },
      sections,
      unsectioned,
      plans,
    };
  }

  /**
   * Prerequisites name other sections of the document (externalId, or title when it has none). One
   * map resolves them for validation and for the write; a name that is one section's externalId and
   * another's title is refused rather than guessed, and the resolved graph must have no cycle (as
   * the section routes require).
   */
  function resolvePrerequisites(sections: DesiredSection[], problems: Problems) {
    const byRef = new Map<string, DesiredSection[]>();
    for (const s of sections) {
      const ref = s.externalId ?? s.title;
      const list = byRef.get(ref);
      if (list) list.push(s);
      else byRef.set(ref, [s]);
    }
    for (const s of sections) {
      for (const p of s.prerequisiteRefs) {
        const targets = byRef.get(p.ref) ?? [];
        const [target] = targets;
        if (!target)
          problems.add('validation_error', p.path, `No section '${p.ref}' in this document (externalId, or title).`);
        else if (targets.length > 1) {
          // Two sections with one externalId (or title) are reported as duplicates already.
          if (targets.some((t) => t.externalId === null) && targets.some((t) => t.externalId !== null))
            problems.add(
              'validation_error',
              p.path,
              `'${p.ref}' names two sections (${targets.map((t) => t.path.slice(0, -1)).join(', ')}): one's externalId and another's title; give the titled one an externalId.`,
            );
        } else if (target === s) problems.add('validation_error', p.path, 'A section cannot be its own prerequisite.');
        else s.prerequisites.push(target);
      }
    }
    // Iterative depth-first search (a long chain must not exhaust the stack): a back edge is a cycle.
    const state = new Map<DesiredSection, 'visiting' | 'done'>();
    for (const root of sections) {
      if (state.has(root)) continue;
      const stack: { node: DesiredSection; next: number }[] = [{ node: root, next: 0 }];
      state.set(root, 'visiting');
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const child = top.node.prerequisites[top.next++];
        if (!child) {
          state.set(top.node, 'done');
          stack.pop();
          continue;
        }
        const seen = state.get(child);
        if (seen === 'visiting') {
          problems.add('validation_error', `${top.node.path}prerequisites`, 'These prerequisites make a cycle.');
          return;
        }
        if (!seen) {
          state.set(child, 'visiting');
          stack.push({ node: child, next: 0 });
        }
      }
    }
  }

  async function insertCourse(tx: Tx, schoolId: string, desired: Desired): Promise<coursesRepo.CourseRow> {
    const row = {
      ...desired.values,
      featuredMediaId: desired.featuredImage ?? null,
      status: 'draft' as const,
    };
    if (desired.slug)
      return coursesRepo.insertCourse(tx, schoolId, { id: newId('course'), slug: desired.slug, ...row });
    const base = slugify(desired.values.title);
    const start = nextSlugNumber(base, await coursesRepo.courseSlugsLike(tx, schoolId, base));
    return insertWithGeneratedSlug(tx, base, start, coursesRepo.COURSE_SLUG_CONSTRAINT, (sp, s) =>
      coursesRepo.insertCourse(sp, schoolId, { id: newId('course'), slug: s, ...row }),
    );
  }

  /** Makes the stored course equal to `desired` inside `tx`; returns what changed. */
  async function apply(tx: Tx, schoolId: string, desired: Desired, ifMatch: string | undefined) {
    const log = new ChangeLog();
    const nextItem = timeSlicer();
    await repo.lockExternalId(tx, schoolId, desired.externalId);
    const existingId = await repo.courseIdByExternalId(tx, schoolId, desired.externalId);
    const stored = existingId ? await courses.lock(tx, schoolId, existingId) : undefined;
    if (ifMatch !== undefined) {
      if (!stored)
        throw new AppError(
          'precondition_failed',
          'No course has this externalId yet, so If-Match cannot match; send the document without it to create one.',
        );
      assertIfMatch(ifMatch, stored);
    }
    const created = !stored;
    const course = stored ?? (await insertCourse(tx, schoolId, desired));
    const courseId = course.id;
    // The course as it was, for the previousAttributes of course.updated.
    const before = created ? undefined : await courses.document(tx, schoolId, courseId);

    const storedSections = created ? [] : await curriculum.sectionsOf(tx, schoolId, courseId);
    const storedLessons = created ? [] : await curriculum.lessonsOf(tx, schoolId, courseId);
    const storedPlans = created ? [] : await plansRepo.plansOf(tx, schoolId, courseId);
    const storedTags = created ? [] : await coursesRepo.courseTagNames(tx, schoolId, courseId);
    // What changed is recorded as events in this transaction: one for the course, one per child.
    const changed = {
      sections: { created: new Set<string>(), updated: new Set<string>() },
      lessons: { created: new Set<string>(), updated: new Set<string>() },
      plans: { created: new Set<string>(), updated: new Set<string>(), archived: new Set<string>() },
    };
    const recorded: RecordEvent[] = [];
    const record = (type: RecordEvent['type'], json: string) =>
      recorded.push({ schoolId, type, object: rawJson<unknown>(json) });

    // ---- match sections: by externalId, else by title among stored sections without one ----
    const sectionMatch = new Map<DesiredSection, curriculum.SectionRow>();
    const usedSections = new Set<string>();
    const sectionByExt = new Map<string, curriculum.SectionRow>();
    const sectionByTitle = new Map<string, curriculum.SectionRow>();
    for (const r of storedSections) {
      if (r.externalId !== null) sectionByExt.set(r.externalId, r);
      else if (!sectionByTitle.has(r.title.toLowerCase())) sectionByTitle.set(r.title.toLowerCase(), r);
    }
    for (const s of desired.sections) {
      const hit = s.externalId ? sectionByExt.get(s.externalId) : sectionByTitle.get(s.title.toLowerCase());
      if (hit && !usedSections.has(hit.id)) {
        sectionMatch.set(s, hit);
        usedSections.add(hit.id);
      }
    }
    const sectionIdOf = new Map<DesiredSection, string>();
    for (const s of desired.sections) sectionIdOf.set(s, sectionMatch.get(s)?.id ?? newId('section'));

    // ---- match lessons: by externalId anywhere in the course, else by title within the same container ----
    const lessonMatch = new Map<DesiredLesson, curriculum.LessonRow>();
    const usedLessons = new Set<string>();
    const byExternalId = new Map(storedLessons.filter((l) => l.externalId).map((l) => [l.externalId!, l]));
    // Stored lessons without externalId by container and title, in order (the n-th takes the n-th).
    const byTitle = new Map<string, curriculum.LessonRow[]>();
    for (const r of storedLessons) {
      if (r.externalId !== null) continue;
      const k = `${r.sectionId ?? ''}\u0000${r.title}`;
      const list = byTitle.get(k);
      if (list) list.push(r);
      else byTitle.set(k, [r]);
    }
    const containers: { storedSectionId: string | null | undefined; lessons: DesiredLesson[] }[] = [
      ...desired.sections.map((s) => ({ storedSectionId: sectionMatch.get(s)?.id, lessons: s.lessons })),
      { storedSectionId: null, lessons: desired.unsectioned },
    ];
    for (const c of containers) {
      for (const l of c.lessons) {
        let hit: curriculum.LessonRow | undefined;
        if (l.externalId) hit = byExternalId.get(l.externalId);
        else if (c.storedSectionId !== undefined)
          hit = byTitle.get(`${c.storedSectionId ?? ''}\u0000${l.title}`)?.find((r) => !usedLessons.has(r.id));
        if (hit && !usedLessons.has(hit.id)) {
          lessonMatch.set(l, hit);
          usedLessons.add(hit.id);
        }
      }
    }

    // ---- deletions ----
    const goneLessons = storedLessons.filter((l) => !usedLessons.has(l.id));
    const goneSections = storedSections.filter((s) => !usedSections.has(s.id));
    for (const l of goneLessons) log.add('deleted', 'lessons', l.externalId ?? l.title);
    for (const s of goneSections) log.add('deleted', 'sections', s.externalId ?? s.title);
    // Deleted children are described as they were, read before they go.
    await eachLessonDocument(
      tx,
      schoolId,
      courseId,
      goneLessons.map((l) => l.id),
      nextItem,
      (json) => record('lesson.deleted', json),
    );
    if (goneSections.length) {
      const gone = new Set(goneSections.map((s) => s.id));
      for (const json of await curriculum.sectionDocuments(tx, schoolId, courseId))
        if (gone.has(idOf(json))) record('section.deleted', json);
    }
    await repo.deleteLessons(
      tx,
      schoolId,
      courseId,
      goneLessons.map((l) => l.id),
    );
    await repo.detachLessons(
      tx,
      schoolId,
      courseId,
      goneSections.map((s) => s.id),
    );
    await repo.deleteSections(
      tx,
      schoolId,
      courseId,
      goneSections.map((s) => s.id),
    );

    // ---- sections: update matched (titles parked first, so renames can swap), insert new ----
    const sectionWrites: { id: string; patch: curriculum.SectionPatch & { position: number } }[] = [];
    const newSections: curriculum.NewSection[] = [];
    const imageCopies: { type: 'course' | 'section' | 'lesson'; id: string; url: string }[] = [];
    for (const [i, s] of desired.sections.entries()) {
      const hit = sectionMatch.get(s);
      const id = sectionIdOf.get(s)!;
      const prerequisites = s.prerequisites.map((p) => sectionIdOf.get(p)!);
      const values = { ...s.values, prerequisites, position: i + 1 };
      if (!hit) {
        newSections.push({ id, courseId, ...values, posterMediaId: null });
        if (values.posterImageUrl) imageCopies.push({ type: 'section', id, url: values.posterImageUrl });
        changed.sections.created.add(id);
        log.add('created', 'sections', s.key);
        continue;
      }
      const patch = diff(values, hit as unknown as Record<string, unknown>);
      if (Object.keys(patch).length === 0) {
        log.add('unchanged', 'sections', s.key);
        continue;
      }
      if (patch.posterImageUrl !== undefined) {
        // A new URL: the old copy no longer shows it.
        Object.assign(patch, { posterMediaId: null });
        if (values.posterImageUrl) imageCopies.push({ type: 'section', id, url: values.posterImageUrl });
      }
      sectionWrites.push({ id, patch: { ...patch, position: i + 1 } });
      changed.sections.updated.add(id);
      log.add('updated', 'sections', s.key);
    }
    await repo.parkSectionTitles(
      tx,
      schoolId,
      courseId,
      sectionWrites.filter((w) => w.patch.title !== undefined).map((w) => w.id),
    );
    for (const w of sectionWrites) {
      await nextItem();
      await repo.placeSection(tx, schoolId, courseId, w.id, w.patch);
    }
    await curriculum.insertSections(tx, schoolId, newSections);

    // ---- lessons ----
    const touched = new Set<string>();
    const newLessons: curriculum.NewLesson[] = [];
    // Created and updated lessons in document order, for their events.
    const lessonEvents: { id: string; type: 'lesson.created' | 'lesson.updated' }[] = [];
    const place = async (l: DesiredLesson, sectionId: string | null, position: number) => {
      await nextItem();
      const hit = lessonMatch.get(l);
      const values = { ...l.values, sectionId, position };
      if (!hit) {
        const id = newId('lesson');
        newLessons.push({ ...values, id, courseId, thumbnailMediaId: null });
        if (values.thumbnailUrl) imageCopies.push({ type: 'lesson', id, url: values.thumbnailUrl });
        if (sectionId) touched.add(sectionId);
        changed.lessons.created.add(id);
        lessonEvents.push({ id, type: 'lesson.created' });
        log.add('created', 'lessons', l.key);
        return;
      }
      const { contentHtml, ...compared } = values;
      const patch: Partial<typeof values> = diff(compared, hit as unknown as Record<string, unknown>);
      if (Object.keys(patch).length === 0) {
        log.add('unchanged', 'lessons', l.key);
        return;
      }
      if (patch.content !== undefined) patch.contentHtml = contentHtml ?? null;
      if (patch.thumbnailUrl !== undefined) {
        Object.assign(patch, { thumbnailMediaId: null });
        if (values.thumbnailUrl) imageCopies.push({ type: 'lesson', id: hit.id, url: values.thumbnailUrl });
      }
      if (sectionId) touched.add(sectionId);
      if (hit.sectionId) touched.add(hit.sectionId);
      await repo.placeLesson(tx, schoolId, courseId, hit.id, { ...patch, sectionId, position });
      changed.lessons.updated.add(hit.id);
      lessonEvents.push({ id: hit.id, type: 'lesson.updated' });
      log.add('updated', 'lessons', l.key);
    };
    for (const s of desired.sections) {
      const sectionId = sectionIdOf.get(s)!;
      for (const [j, l] of s.lessons.entries()) await place(l, sectionId, j + 1);
    }
    for (const [j, l] of desired.unsectioned.entries()) await place(l, null, j + 1);
    await curriculum.insertLessons(tx, schoolId, newLessons);
    for (const l of goneLessons) if (l.sectionId) touched.add(l.sectionId);
    // Sections whose lessons changed get a new version, unless written above anyway (or gone).
    const written = new Set([...sectionWrites.map((w) => w.id), ...newSections.map((s) => s.id)]);
    await repo.touchSections(
      tx,
      schoolId,
      courseId,
      [...touched].filter((id) => !written.has(id) && usedSections.has(id)),
    );

    // ---- payment plans: matched by type (and interval); missing ones are archived ----
    const active = storedPlans.filter((p) => p.status === 'active');
    const planIds = new Map<DesiredPlan, string>();
    for (const p of desired.plans) {
      const hit = active.find((r) => planKey(r) === p.key);
      if (!hit) {
        const row = await plansRepo.insertPlan(tx, schoolId, { id: newId('paymentPlan'), courseId, ...p.values });
        planIds.set(p, row.id);
        changed.plans.created.add(row.id);
        log.add('created', 'paymentPlans', p.key);
        continue;
      }
      planIds.set(p, hit.id);
      const { type: _t, ...values } = p.values;
      const patch = diff(values, hit as unknown as Record<string, unknown>);
      if (Object.keys(patch).length === 0) log.add('unchanged', 'paymentPlans', p.key);
      else {
        await repo.updatePlan(tx, schoolId, courseId, hit.id, patch);
        changed.plans.updated.add(hit.id);
        log.add('updated', 'paymentPlans', p.key);
      }
    }
    const keptPlans = new Set(planIds.values());
    for (const r of active) {
      if (keptPlans.has(r.id)) continue;
      await repo.updatePlan(tx, schoolId, courseId, r.id, { status: 'archived' });
      changed.plans.archived.add(r.id);
      log.add('deleted', 'paymentPlans', planKey(r));
    }
    const defaultPlan = desired.plans.find((p) => p.isDefault) ?? desired.plans[0];
    const defaultPaymentPlanId = defaultPlan ? planIds.get(defaultPlan)! : null;

    // ---- the course itself (one write, which bumps its version, when anything changed) ----
    const featuredMediaId =
      desired.featuredImage ??
      (desired.values.thumbnailUrl !== null && desired.values.thumbnailUrl === course.thumbnailUrl
        ? course.featuredMediaId
        : null);
    const wanted = {
      ...desired.values,
      featuredMediaId,
      defaultPaymentPlanId,
      ...(desired.slug ? { slug: desired.slug } : {}),
    };
    const patch: coursesRepo.CoursePatch = created
      ? { defaultPaymentPlanId }
      : diff(wanted, course as unknown as Record<string, unknown>);
    const tagsChanged =
      !same(
        desired.tags.map((t) => t.toLowerCase()),
        storedTags.map((t) => t.toLowerCase()),
      ) ||
      (created && desired.tags.length > 0);
    const statusChanged = desired.status !== course.status;
    if (statusChanged) {
      patch.status = desired.status;
      if (desired.status === 'published') patch.publishedAt = course.publishedAt ?? new Date();
    }
    if (!created && desired.values.thumbnailUrl && patch.thumbnailUrl !== undefined && !desired.featuredImage)
      imageCopies.push({ type: 'course', id: courseId, url: desired.values.thumbnailUrl });
    if (created && desired.values.thumbnailUrl && !desired.featuredImage)
      imageCopies.push({ type: 'course', id: courseId, url: desired.values.thumbnailUrl });
    const courseFieldsChanged = Object.keys(patch).length > 0 || tagsChanged;
    if (created) log.add('created', 'course', desired.externalId);
    else log.add(courseFieldsChanged ? 'updated' : 'unchanged', 'course', desired.externalId);

    if (created || log.changed) {
      if (tagsChanged) await coursesRepo.setCourseTags(tx, schoolId, courseId, desired.tags);
      const after = await coursesRepo.updateCourse(tx, schoolId, courseId, patch);
      if (statusChanged && desired.status === 'published') await courses.assertPublishable(tx, after);
      const doc = await courses.document(tx, schoolId, courseId);
      const courseEvents: RecordEvent[] = [];
      if (created) {
        courseEvents.push({ schoolId, type: 'course.created', object: doc.json });
        if (desired.status === 'published') courseEvents.push({ schoolId, type: 'course.published', object: doc.json });
      } else {
        // The rule PATCH follows: a status change alone is course.published/unpublished only.
        const own = courses.courseChangeEvents(schoolId, before!.json.text, doc.json.text, doc);
        // Only children changed: the course still has a new version, announced as course.updated.
        courseEvents.push(...(own.length ? own : [{ schoolId, type: 'course.updated' as const, object: doc.json }]));
      }
      const { sections: cs, plans: cp } = changed;
      if (cs.created.size + cs.updated.size)
        for (const json of await curriculum.sectionDocuments(tx, schoolId, courseId)) {
          const id = idOf(json);
          if (cs.created.has(id)) record('section.created', json);
          else if (cs.updated.has(id)) record('section.updated', json);
        }
      let n = 0;
      await eachLessonDocument(
        tx,
        schoolId,
        courseId,
        lessonEvents.map((e) => e.id),
        nextItem,
        (json) => record(lessonEvents[n++]!.type, json),
      );
      if (cp.created.size + cp.updated.size + cp.archived.size)
        for (const json of await plansRepo.planDocuments(tx, schoolId, courseId)) {
          const id = idOf(json);
          if (cp.created.has(id)) record('payment_plan.created', json);
          else if (cp.updated.has(id)) record('payment_plan.updated', json);
          else if (cp.archived.has(id)) record('payment_plan.archived', json);
        }
      // Image URLs that are new or changed are copied into media in the background (API.md §2).
      await courses.queueImageCopies(
        tx,
        schoolId,
        imageCopies.map((c) => ({ target: { type: c.type, id: c.id }, url: c.url })),
      );
      const all = [...courseEvents, ...recorded];
      for (let i = 0; i < all.length; i += EVENT_CHUNK) {
        await nextItem();
        await events.recordMany(tx, all.slice(i, i + EVENT_CHUNK));
      }
    }
    return { courseId, created, log, imageCopies };
  }

  async function present(schoolId: string, courseId: string) {
    const doc = await courses.document(db, schoolId, courseId);
    return { course: JSON.parse(doc.json.text) as Course, etag: doc.etag };
  }

  const service = {
    /**
     * Makes the school's course with this externalId equal to the document (creating it when there
     * is none). `document` is already parsed by CourseDocumentSchema.
     */
    async sync(
      schoolId: string,
      externalId: string,
      document: CourseDocument,
      options: SyncOptions = {},
    ): Promise<SyncResult> {
      const desired = await prepare(schoolId, externalId, document);
      const dryRun = options.dryRun === true;
      if (dryRun) {
        try {
          await db.transaction(async (tx) => {
            const { log, created } = await apply(tx, schoolId, desired, options.ifMatch);
            throw new DryRunRollback({
              status: created ? 'created' : log.changed ? 'updated' : 'unchanged',
              course: null,
              etag: null,
              changes: log.sets,
              dryRun: true,
            });
          });
        } catch (e) {
          if (!(e instanceof DryRunRollback)) throw asAppError(e);
          // The course as it stands (after the rollback); null when the dry run would create it.
          const existing = await repo.courseIdByExternalId(db, schoolId, externalId);
          return existing ? { ...e.result, ...(await present(schoolId, existing)) } : e.result;
        }
        throw new Error('unreachable: a dry run always rolls back');
      }
      const { log, created, courseId } = await db
        .transaction((tx) => apply(tx, schoolId, desired, options.ifMatch))
        .catch((e: unknown) => {
          throw asAppError(e);
        });
      return {
        status: created ? 'created' : log.changed ? 'updated' : 'unchanged',
        ...(await present(schoolId, courseId)),
        changes: log.sets,
        dryRun: false,
      };
    },

    /** The course as a document that sync takes back unchanged (404 when not the school's). */
    async export(schoolId: string, courseId: string): Promise<ExportedCourse> {
      // One snapshot for all its reads: a sync committing meanwhile cannot mix two versions.
      return db.transaction(
        async (tx) => {
          const course = await coursesRepo.findCourse(tx, schoolId, courseId);
          if (!course) throw notFound('Course');
          const [sections, lessons, plans, tags] = [
            await curriculum.sectionsOf(tx, schoolId, courseId),
            await curriculum.lessonsOf(tx, schoolId, courseId),
            await plansRepo.plansOf(tx, schoolId, courseId),
            await coursesRepo.courseTagNames(tx, schoolId, courseId),
          ];
          const refOf = new Map(sections.map((s) => [s.id, s.externalId ?? s.title]));
          const lessonDoc = (l: curriculum.LessonRow) => ({
            externalId: l.externalId,
            title: l.title,
            type: l.type,
            summary: l.summary,
            downloadable: l.downloadable,
            content: (l.content as Record<string, unknown> | null) ?? null,
            media: l.mediaId ? { mediaId: l.mediaId } : null,
            videoUrl: (l.videoMeta?.originalUrl as string | undefined) ?? l.videoUrl,
            duration: l.duration,
            isPreview: l.isPreview,
            status: l.status,
            unlock: l.unlock,
            completion: l.completion,
            instructorId: l.instructorId,
            thumbnailUrl: l.thumbnailUrl,
          });
          return {
            externalId: course.externalId,
            title: course.title,
            type: course.type,
            slug: course.slug,
            description: course.description ?? null,
            shortDescription: course.shortDescription,
            thumbnailUrl: course.thumbnailUrl,
            featuredImage:
              course.thumbnailUrl === null && course.featuredMediaId ? { mediaId: course.featuredMediaId } : null,
            trailerUrl: course.trailerUrl,
            level: course.level,
            categoryId: course.categoryId,
            tags,
            authors: course.authors,
            customFields: course.customFields,
            source: course.source,
            privacy: course.privacy,
            status: course.status,
            sections: sections.map((s) => ({
              externalId: s.externalId,
              title: s.title,
              description: s.description ?? null,
              posterImageUrl: s.posterImageUrl,
              status: s.status,
              drip: s.drip,
              prerequisites: s.prerequisites.map((p) => refOf.get(p)).filter((p): p is string => p !== undefined),
              lessons: lessons.filter((l) => l.sectionId === s.id).map(lessonDoc),
            })),
            unsectionedLessons: lessons.filter((l) => l.sectionId === null).map(lessonDoc),
            paymentPlans: plans
              .filter((p) => p.status === 'active')
              .map((p) => ({
                name: p.name,
                type: p.type,
                amount: p.amount,
                currency: p.currency,
                interval: p.interval,
                installments: p.installmentsCount ? { count: p.installmentsCount } : null,
                description: p.description,
                isDefault: p.id === course.defaultPaymentPlanId,
              })),
          };
        },
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      );
    },

    /** The id of the school's course with this externalId, if any. */
    async findIdByExternalId(schoolId: string, externalId: string): Promise<string | undefined> {
      return repo.courseIdByExternalId(db, schoolId, externalId);
    },

    /**
     * Creates each course as POST /courses would, each in its own transaction, so one bad item
     * never stops the others; items are validated here (paths inside the item) and run in order.
     */
    async bulkCreate(
      schoolId: string,
      items: unknown[],
      logInternal: (cause: unknown, index: number) => void = (cause, index) =>
        console.error(`bulk course create: item ${index} failed`, cause),
    ): Promise<BulkCreateResult> {
      if (items.length > MAX_BULK_COURSES)
        throw new AppError('validation_error', `At most ${MAX_BULK_COURSES} courses per request.`, [
          { path: 'courses', message: `At most ${MAX_BULK_COURSES}.`, code: 'too_many_items' },
        ]);
      checkBulkCurriculum(items);
      const results: BulkCreateResult['results'] = [];
      const nextItem = timeSlicer();
      for (const [index, item] of items.entries()) {
        await nextItem();
        const parsed = CreateCourseSchema.safeParse(item);
        if (!parsed.success) {
          const details = zodIssuesToDetails(parsed.error.issues);
          results.push({
            index,
            status: 'failed',
            error: {
              error: 'validation_error',
              message: `Item ${index} is invalid: ${details[0]?.path || 'body'}: ${details[0]?.message ?? 'invalid'}.`,
              details,
            },
          });
          continue;
        }
        try {
          const doc = await courses.create(schoolId, parsed.data as CreateCourse);
          results.push({ index, status: 'created', course: JSON.parse(doc.json.text) as Course });
        } catch (err) {
          const e = asAppError(err);
          if (!(e instanceof AppError)) {
            // Earlier items are committed: this one alone fails, its cause stays in the server's log.
            logInternal(err, index);
            results.push({
              index,
              status: 'failed',
              error: {
                error: 'internal_error',
                message: 'This item could not be created because of an internal error.',
              },
            });
            continue;
          }
          results.push({
            index,
            status: 'failed',
            error: { error: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) },
          });
        }
      }
      return { results };
    },
  };
  return service;
}
export type CourseSyncService = ReturnType<typeof createCourseSyncService>;
