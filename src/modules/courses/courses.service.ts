import type { Db, Tx } from '../../db/client.js';
import { cursorValueFor } from '../../db/keyset.js';
import type { CustomFieldDefinition } from '../../db/schema/index.js';
import { insertWithGeneratedSlug, nextSlugNumber } from '../../db/unique-slug.js';
import { enqueueMany, TASKS } from '../../jobs/queue.js';
import { AppError, notFound } from '../../lib/errors.js';
import { assertIfMatch, etagOf } from '../../lib/etag.js';
import { newId } from '../../lib/ids.js';
import { paginate, toListRequest } from '../../lib/pagination.js';
import { type RawJson, rawJson } from '../../lib/raw-json.js';
import { parseMarkdown, parseRichText, plainTextLength, type RichTextDoc, renderRichText } from '../../lib/richtext.js';
import { isTransientImageFailure } from '../../lib/safe-fetch.js';
import { applyFields, parseFields, parseInclude, type SparseFields } from '../../lib/shape.js';
import { slugify } from '../../lib/slug.js';
import { timeSlicer } from '../../lib/time-slice.js';
import type { CategoryService } from '../categories/categories.service.js';
import type { EventService, RecordEvent } from '../events/events.service.js';
import type { MediaService } from '../media/media.service.js';
import type { SchoolService } from '../schools/schools.service.js';
import type { UserService } from '../users/users.service.js';
import { isEmpty, objectOf, parsed, previousAttributes } from './course-events.js';
import * as repo from './courses.repo.js';
import {
  COURSE_FIELD_TYPES,
  COURSE_INCLUDES,
  COURSE_SORTS,
  type Course,
  type CourseList,
  type CreateCourse,
  type ListCoursesQuery,
  type UpdateCourse,
} from './courses.schemas.js';
import * as curriculum from './curriculum.repo.js';
import { type LessonValues, Problems, prepareLesson } from './lesson-input.js';
import * as plansRepo from './payment-plans.repo.js';

const DESCRIPTION_MAX_TEXT = 10_000;
/** Tries of an image copy whose failures look transient (network, timeout, 5xx) before media.failed. */
export const IMAGE_COPY_ATTEMPTS = 4;
/** Image copies run after jobs of priority 0 (event fan-outs, webhook deliveries). */
const IMAGE_COPY_PRIORITY = 10;

/** A course image, section poster or lesson thumbnail URL to copy into media in the background. */
export type ImageTarget = { type: 'course' | 'section' | 'lesson'; id: string };
export type ImageCopy = { target: ImageTarget; url: string };

/** The request field each target's URL came from (the path of a media.failed reason). */
const URL_FIELD: Record<ImageTarget['type'], string> = {
  course: 'thumbnailUrl',
  section: 'posterImageUrl',
  lesson: 'thumbnailUrl',
};

/** The course document as PostgreSQL built it (passed through unparsed unless fields trim it), with its ETag. */
export type CourseDocument = { json: RawJson<Course>; etag: string; id: string };

type Deps = {
  db: Db;
  schools: SchoolService;
  categories: CategoryService;
  users: UserService;
  media: MediaService;
  events: EventService;
};

/** Which media fit which lesson type. */
const MEDIA_FITS: Record<string, (mime: string) => boolean> = {
  video: (m) => m.startsWith('video/'),
  audio: (m) => m.startsWith('audio/'),
  pdf: (m) => m === 'application/pdf',
  file: () => true,
};

/** Keeps only the school's defined custom fields, each of its declared type. */
export function customFields(input: Record<string, unknown>, defs: CustomFieldDefinition[], problems: Problems) {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const def = defs.find((d) => d.key === key);
    if (!def) continue; // undefined keys are dropped silently (contract)
    const ok =
      value === null ||
      (def.type === 'text' && typeof value === 'string') ||
      (def.type === 'number' && typeof value === 'number' && Number.isFinite(value)) ||
      (def.type === 'boolean' && typeof value === 'boolean') ||
      (def.type === 'date' && typeof value === 'string' && !Number.isNaN(Date.parse(value)));
    if (!ok) problems.add('validation_error', `customFields.${key}`, `Must be a ${def.type}.`);
    else out[key] = value;
  }
  return out;
}

export function createCourseService({ db, schools, categories, users, media, events }: Deps) {
  /** The document of a course (404 when not the school's), trimmed by `fields[...]` when asked. */
  async function document(
    tx: Db | Tx,
    schoolId: string,
    courseId: string,
    include = new Set<string>(),
    fields: SparseFields = new Map(),
  ): Promise<CourseDocument> {
    const doc = await repo.courseDocument(tx, schoolId, courseId, true, {
      lessonContent: include.has('lessons.content'),
      lessonMedia: include.has('lessons.media'),
      paymentPlans: include.has('paymentPlans'),
      category: include.has('category'),
      instructors: include.has('instructors'),
    });
    if (!doc) throw notFound('Course');
    return {
      json: rawJson<Course>(
        fields.size ? JSON.stringify(trimCourse(JSON.parse(doc.json) as Record<string, unknown>, fields)) : doc.json,
      ),
      etag: etagOf(doc),
      id: doc.id,
    };
  }

  /** Rich text of a description-like field: document, JSON string or HTML, or its Markdown twin. */
  function description(
    input: { description?: unknown; descriptionMarkdown?: string | undefined },
    problems: Problems,
    prefix = '',
  ) {
    if (input.description === undefined && input.descriptionMarkdown === undefined) return undefined;
    try {
      let doc: RichTextDoc | null;
      if (input.descriptionMarkdown !== undefined)
        doc = parseMarkdown(input.descriptionMarkdown, `${prefix}descriptionMarkdown`);
      else doc = input.description === null ? null : parseRichText(input.description, `${prefix}description`);
      if (doc && plainTextLength(doc) > DESCRIPTION_MAX_TEXT) {
        problems.add('validation_error', `${prefix}description`, `At most ${DESCRIPTION_MAX_TEXT} characters of text.`);
      }
      return { description: doc, descriptionHtml: doc ? renderRichText(doc) : null };
    } catch (e) {
      problems.addError(e);
      return undefined;
    }
  }

  async function checkCategory(schoolId: string, categoryId: string | null | undefined, problems: Problems) {
    if (categoryId && !(await categories.exists(schoolId, categoryId)))
      problems.add('validation_error', 'categoryId', 'No such category in this school.');
  }

  /** Lesson instructors must be users of the school with role instructor or admin (contract). */
  async function checkInstructors(schoolId: string, refs: { id: string; path: string }[], problems: Problems) {
    if (refs.length === 0) return;
    const found = await users.findByIds(schoolId, [...new Set(refs.map((r) => r.id))]);
    const ok = new Set(found.filter((u) => u.role === 'instructor' || u.role === 'admin').map((u) => u.id));
    for (const r of refs)
      if (!ok.has(r.id))
        problems.add('validation_error', r.path, 'Must be a user of the school with role instructor or admin.');
  }

  /** Removes an image copy nothing uses any more (best effort: one still in use stays). */
  async function discardCopy(schoolId: string, mediaId: string): Promise<void> {
    await media.delete(schoolId, mediaId).catch(() => {});
  }

  /**
   * The course image: `featuredImage` (uploaded media) wins; otherwise a new `thumbnailUrl` clears
   * the image until its copy is ready (`copyUrl`: the URL to copy in the background). A URL equal
   * to the stored one changes nothing.
   */
  async function featuredImage(
    schoolId: string,
    input: { thumbnailUrl?: string | null | undefined; featuredImage?: { mediaId: string } | null | undefined },
    problems: Problems,
  ) {
    if (input.featuredImage !== undefined) {
      if (input.featuredImage === null) return { values: { featuredMediaId: null } };
      const [m] = await media.findByIds(schoolId, [input.featuredImage.mediaId]);
      if (m?.status !== 'ready' || !m.mimeType.startsWith('image/')) {
        problems.add('validation_error', 'featuredImage.mediaId', 'Must be a ready image of this school.');
      }
      return { values: { featuredMediaId: input.featuredImage.mediaId } };
    }
    return { values: {}, url: input.thumbnailUrl };
  }

  /** Queues the copies in the caller's transaction: each runs once it commits; a newer URL replaces a waiting copy. */
  async function queueImageCopies(tx: Tx, schoolId: string, copies: ImageCopy[]): Promise<void> {
    await enqueueMany(
      tx,
      copies.map((c) => ({
        task: TASKS.copyImage,
        payload: { schoolId, target: c.target, url: c.url },
        jobKey: `image:${c.target.type}:${c.target.id}`,
        maxAttempts: IMAGE_COPY_ATTEMPTS,
        // One school's copies run one at a time, after webhook work: a course full of slow image
        // hosts cannot hold the shared workers from other schools' deliveries.
        queueName: `images:${schoolId}`,
        priority: IMAGE_COPY_PRIORITY,
      })),
    );
  }

  /** course.updated / published / unpublished for a change from `before` to `after` (attributes). */
  function courseChangeEvents(schoolId: string, beforeJson: string, afterJson: string, object: CourseDocument) {
    const before = parsed(beforeJson);
    const after = parsed(afterJson);
    const changed = previousAttributes(before, after);
    if (isEmpty(changed)) return [];
    const wasPublished = before.status === 'published';
    const isPublished = after.status === 'published';
    const out: RecordEvent[] = [];
    if (wasPublished === isPublished) {
      out.push({ schoolId, type: 'course.updated', object: object.json, previousAttributes: changed });
      return out;
    }
    const { status, publishedAt, ...rest } = changed;
    if (!isEmpty(rest)) out.push({ schoolId, type: 'course.updated', object: object.json, previousAttributes: rest });
    out.push({
      schoolId,
      type: isPublished ? 'course.published' : 'course.unpublished',
      object: object.json,
      previousAttributes: { status, ...('publishedAt' in changed ? { publishedAt } : {}) },
    });
    return out;
  }

  async function attributes(tx: Tx, schoolId: string, courseId: string): Promise<string> {
    const json = await repo.courseAttributes(tx, schoolId, courseId);
    if (json === undefined) throw notFound('Course');
    return json;
  }

  /** Lesson media must be ready media of the school whose type fits the lesson. */
  async function checkMedia(
    schoolId: string,
    refs: { id: string; lessonType: string; path: string }[],
    problems: Problems,
  ) {
    if (refs.length === 0) return;
    const found = new Map((await media.findByIds(schoolId, [...new Set(refs.map((r) => r.id))])).map((m) => [m.id, m]));
    for (const r of refs) {
      const m = found.get(r.id);
      if (!m) problems.add('validation_error', r.path, 'No such media in this school.');
      else if (m.status !== 'ready') problems.add('validation_error', r.path, `The media is ${m.status}, not ready.`);
      else if (!MEDIA_FITS[r.lessonType]?.(m.mimeType))
        problems.add('validation_error', r.path, `${m.mimeType} media does not fit a ${r.lessonType} lesson.`);
    }
  }

  /** Publishing needs lessons (course, learning_path) and an active plan (course, download). */
  async function assertPublishable(tx: Tx, course: repo.CourseRow) {
    const facts = await repo.publishFacts(tx, course.schoolId, course.id);
    const unmet = [];
    if ((course.type === 'course' || course.type === 'learning_path') && facts.lessons === 0) {
      unmet.push({ path: 'lessons', code: 'missing_lesson', message: `A ${course.type} needs at least one lesson.` });
    }
    if ((course.type === 'course' || course.type === 'download') && facts.activePlans === 0) {
      unmet.push({
        path: 'paymentPlans',
        code: 'missing_payment_plan',
        message: 'Add a payment plan (a free plan counts) first.',
      });
    }
    if (unmet.length)
      throw new AppError(
        'publish_blocked',
        `The course cannot be published: ${unmet.map((u) => u.message).join(' ')}`,
        unmet,
      );
  }

  async function insertCourseRow(
    tx: Tx,
    schoolId: string,
    title: string,
    slug: string | undefined,
    values: Omit<Parameters<typeof repo.insertCourse>[2], 'id' | 'slug' | 'title'>,
  ) {
    const row = { ...values, title };
    if (slug) return repo.insertCourse(tx, schoolId, { id: newId('course'), slug, ...row });
    const base = slugify(title);
    const start = nextSlugNumber(base, await repo.courseSlugsLike(tx, schoolId, base));
    return insertWithGeneratedSlug(tx, base, start, repo.COURSE_SLUG_CONSTRAINT, (sp, s) =>
      repo.insertCourse(sp, schoolId, { id: newId('course'), slug: s, ...row }),
    );
  }

  const service = {
    document,

    async create(schoolId: string, input: CreateCourse): Promise<CourseDocument> {
      const { data: school } = await schools.get(schoolId);
      const problems = new Problems();
      const desc = description(input, problems);
      const custom = input.customFields ? customFields(input.customFields, school.customFields, problems) : {};
      await checkCategory(schoolId, input.categoryId, problems);

      // Every nested section and lesson is checked before anything is written.
      const instructorRefs: { id: string; path: string }[] = [];
      const mediaRefs: { id: string; lessonType: string; path: string }[] = [];
      // Rich-text conversion is the request's main work (up to 1,000 lessons): the loop gives the
      // event loop a turn every few milliseconds, so other requests are never held up by it.
      const nextItem = timeSlicer();
      const nested: {
        section: NonNullable<CreateCourse['sections']>[number];
        sectionDesc: ReturnType<typeof description>;
        lessonValues: LessonValues[];
      }[] = [];
      for (const [i, section] of (input.sections ?? []).entries()) {
        const prefix = `sections.${i}.`;
        await nextItem();
        const sectionDesc = description(section, problems, prefix);
        const lessonValues: LessonValues[] = [];
        for (const [j, lesson] of (section.lessons ?? []).entries()) {
          await nextItem();
          const values = prepareLesson(lesson, `${prefix}lessons.${j}.`, problems);
          if (values.instructorId)
            instructorRefs.push({ id: values.instructorId, path: `${prefix}lessons.${j}.instructorId` });
          if (values.mediaId)
            mediaRefs.push({
              id: values.mediaId,
              lessonType: values.type ?? 'text',
              path: `${prefix}lessons.${j}.media.mediaId`,
            });
          lessonValues.push(values);
        }
        nested.push({ section, sectionDesc, lessonValues });
      }

      // Duplicates inside the request are reported at their own paths (the unique indexes back this).
      const seen = new Set<string>();
      const once = (key: string, code: 'duplicate_title' | 'duplicate_external_id', path: string, what: string) => {
        if (seen.has(key)) problems.add(code, path, `${what} is used twice in this course.`);
        seen.add(key);
      };
      nested.forEach(({ section, lessonValues }, i) => {
        once(
          `title:${section.title.toLowerCase()}`,
          'duplicate_title',
          `sections.${i}.title`,
          `Section title '${section.title}'`,
        );
        if (section.externalId)
          once(
            `section:${section.externalId}`,
            'duplicate_external_id',
            `sections.${i}.externalId`,
            `externalId '${section.externalId}'`,
          );
        lessonValues.forEach((l, j) => {
          if (l.externalId)
            once(
              `lesson:${l.externalId}`,
              'duplicate_external_id',
              `sections.${i}.lessons.${j}.externalId`,
              `externalId '${l.externalId}'`,
            );
        });
      });
      await checkInstructors(schoolId, instructorRefs, problems);
      await checkMedia(schoolId, mediaRefs, problems);
      problems.throwIfAny();

      const status =
        input.status ??
        input.publishedStatus ??
        (input.published === undefined ? 'draft' : input.published ? 'published' : 'draft');
      const featured = await featuredImage(schoolId, input, problems);
      problems.throwIfAny();
      // Image URLs are stored as sent; their copies into media are jobs queued in this transaction.
      return db.transaction(async (tx) => {
        const copies: ImageCopy[] = [];
        let course = await insertCourseRow(tx, schoolId, input.title, input.slug, {
          type: input.type ?? input.courseType ?? 'course',
          ...(desc ?? {}),
          shortDescription: input.shortDescription ?? null,
          thumbnailUrl: input.thumbnailUrl ?? null,
          ...featured.values,
          trailerUrl: input.trailerUrl ?? null,
          level: input.level ?? null,
          categoryId: input.categoryId ?? null,
          authors: input.authors ?? [],
          externalId: input.externalId ?? null,
          customFields: custom,
          source: input.source ?? null,
          privacy: input.privacy ?? 'public',
          status: 'draft',
        });
        if (featured.url) copies.push({ target: { type: 'course', id: course.id }, url: featured.url });
        if (input.tags?.length) await repo.setCourseTags(tx, schoolId, course.id, dedupeTags(input.tags));

        // isFree / price make the default plan (contract: pricing lives in payment plans).
        const plan = input.isFree
          ? { name: 'Free', type: 'free' as const, amount: 0 }
          : input.price
            ? { name: 'One-time payment', type: 'one_time' as const, amount: input.price }
            : undefined;
        if (plan) {
          const created = await plansRepo.insertPlan(tx, schoolId, {
            id: newId('paymentPlan'),
            courseId: course.id,
            currency: school.currency,
            ...plan,
          });
          course = await repo.updateCourse(tx, schoolId, course.id, { defaultPaymentPlanId: created.id });
        }

        // A new course: every position is known, so sections and lessons go in as bulk inserts.
        const sectionRows: curriculum.NewSection[] = [];
        const lessonRows: curriculum.NewLesson[] = [];
        for (const [i, { section, sectionDesc, lessonValues }] of nested.entries()) {
          const sectionId = newId('section');
          if (section.posterImageUrl)
            copies.push({ target: { type: 'section', id: sectionId }, url: section.posterImageUrl });
          sectionRows.push({
            id: sectionId,
            courseId: course.id,
            title: section.title,
            position: i + 1,
            ...(sectionDesc ?? {}),
            posterImageUrl: section.posterImageUrl ?? null,
            status: section.status ?? 'published',
            drip: section.drip ?? { type: 'none' },
            externalId: section.externalId ?? null,
          });
          for (const [j, values] of lessonValues.entries()) {
            const lesson = lessonRow(course.id, sectionId, j + 1, values);
            if (lesson.thumbnailUrl)
              copies.push({ target: { type: 'lesson', id: lesson.id }, url: lesson.thumbnailUrl });
            lessonRows.push(lesson);
          }
        }
        await curriculum.insertSections(tx, schoolId, sectionRows);
        await curriculum.insertLessons(tx, schoolId, lessonRows);

        if (status !== 'draft') course = await setStatus(tx, course, status);
        await queueImageCopies(tx, schoolId, copies);
        const doc = await document(tx, schoolId, course.id);
        // course.created, then each part as its own GET shows it: one statement for all of them.
        const created: RecordEvent[] = [{ schoolId, type: 'course.created', object: doc.json }];
        if (plan || sectionRows.length)
          for (const part of await repo.partDocuments(tx, schoolId, course.id))
            created.push({ schoolId, type: `${part.kind}.created`, object: objectOf(part.json) });
        await events.recordMany(tx, created);
        return doc;
      });
    },

    async get(
      schoolId: string,
      courseId: string,
      query: { include?: string | undefined } & Record<string, unknown>,
    ): Promise<CourseDocument> {
      const include = parseInclude(query.include, COURSE_INCLUDES);
      const fields = parseFields(query, COURSE_FIELD_TYPES);
      return document(db, schoolId, courseId, include, fields);
    },

    async list(schoolId: string, query: ListCoursesQuery) {
      const fields = parseFields(query, ['courses']);
      const req = toListRequest(query, COURSE_SORTS, '-createdAt');
      const kind = req.sort.key === 'title' ? 'string' : 'date';
      const after = req.after
        ? { value: cursorValueFor(kind, req.after.value) as Date | string, id: req.after.id }
        : undefined;
      const filters: repo.CourseFilters = {
        search: query.search,
        status: query.status === 'all' ? undefined : query.status,
        type: query.type,
        tag: query.tag,
        categoryId: query.categoryId,
        externalId: query.externalId,
      };
      const { rows, total } = await repo.listCourses(db, schoolId, filters, req, after);
      const { items, pagination } = paginate(rows, req, total, (r) =>
        r.sort_value instanceof Date ? r.sort_value.toISOString() : r.sort_value,
      );
      const data = fields.size
        ? items.map((r) =>
            JSON.stringify(applyFields(JSON.parse(r.json) as Record<string, unknown>, fields, 'courses')),
          )
        : items.map((r) => r.json);
      return rawJson<CourseList>(`{"data":[${data.join(',')}],"pagination":${JSON.stringify(pagination)}}`);
    },

    async update(schoolId: string, courseId: string, patch: UpdateCourse, ifMatch?: string): Promise<CourseDocument> {
      const { data: school } = await schools.get(schoolId);
      const problems = new Problems();
      const desc = description(patch, problems);
      const custom = patch.customFields ? customFields(patch.customFields, school.customFields, problems) : undefined;
      await checkCategory(schoolId, patch.categoryId, problems);
      problems.throwIfAny();
      if (!(await repo.findCourse(db, schoolId, courseId))) throw notFound('Course');
      const featured = await featuredImage(schoolId, patch, problems);
      problems.throwIfAny();
      return db.transaction(async (tx) => {
        let course = await service.lock(tx, schoolId, courseId);
        assertIfMatch(ifMatch, course);
        const before = await attributes(tx, schoolId, courseId);
        // A new thumbnailUrl clears the image until its copy is ready (an uploaded featuredImage wins).
        const newUrl =
          featured.url !== undefined && featured.url !== course.thumbnailUrl ? { url: featured.url } : undefined;
        // Fields not sent stay undefined and keep their value.
        const values: repo.CoursePatch = {
          ...(desc ?? {}),
          ...(newUrl ? { featuredMediaId: null } : {}),
          ...featured.values,
          title: patch.title,
          slug: patch.slug,
          shortDescription: patch.shortDescription,
          thumbnailUrl: patch.thumbnailUrl,
          trailerUrl: patch.trailerUrl,
          level: patch.level,
          categoryId: patch.categoryId,
          authors: patch.authors,
          externalId: patch.externalId,
          source: patch.source,
          privacy: patch.privacy,
          type: patch.type ?? patch.courseType,
          customFields: custom,
        };
        course = await repo.updateCourse(tx, schoolId, courseId, values);
        if (patch.tags) await repo.setCourseTags(tx, schoolId, courseId, dedupeTags(patch.tags));
        const status =
          patch.status ??
          patch.publishedStatus ??
          (patch.published === undefined ? undefined : patch.published ? 'published' : 'draft');
        if (status && status !== course.status) course = await setStatus(tx, course, status);
        if (newUrl?.url)
          await queueImageCopies(tx, schoolId, [{ target: { type: 'course', id: courseId }, url: newUrl.url }]);
        const doc = await document(tx, schoolId, courseId);
        await events.recordMany(
          tx,
          courseChangeEvents(schoolId, before, await attributes(tx, schoolId, courseId), doc),
        );
        return doc;
      });
    },

    /** Deletes the course and all its content; with learners enrolled only when forced (their enrollments go too). */
    async delete(schoolId: string, courseId: string, ifMatch?: string, force = false): Promise<void> {
      await db.transaction(async (tx) => {
        const course = await service.lock(tx, schoolId, courseId);
        assertIfMatch(ifMatch, course);
        if (!force && (await repo.hasEnrollments(tx, schoolId, courseId))) {
          throw new AppError(
            'has_enrollments',
            'Learners are enrolled in this course; delete with ?force=true to remove it with their enrollments.',
          );
        }
        // The course as it was (its parts go with it: one course.deleted, no event per part).
        const doc = await document(tx, schoolId, courseId);
        await events.recordMany(tx, [{ schoolId, type: 'course.deleted', object: doc.json }]);
        await repo.deleteCourse(tx, schoolId, courseId);
      });
    },

    async publish(schoolId: string, courseId: string, published: boolean): Promise<CourseDocument> {
      return db.transaction(async (tx) => {
        const course = await service.lock(tx, schoolId, courseId);
        const target = published ? 'published' : 'draft';
        if (course.status === target) return document(tx, schoolId, courseId);
        const before = await attributes(tx, schoolId, courseId);
        await setStatus(tx, course, target);
        const doc = await document(tx, schoolId, courseId);
        await events.recordMany(
          tx,
          courseChangeEvents(schoolId, before, await attributes(tx, schoolId, courseId), doc),
        );
        return doc;
      });
    },

    /** A deep copy (sections, lessons, active plans, tags) as a new draft with a new slug. */
    async duplicate(schoolId: string, courseId: string): Promise<CourseDocument> {
      return db.transaction(async (tx) => {
        const source = await service.lock(tx, schoolId, courseId);
        const {
          id: _id,
          slug: _slug,
          createdAt: _c,
          updatedAt: _u,
          version: _v,
          defaultPaymentPlanId,
          publishedAt: _p,
          externalId: _e,
          ...rest
        } = source;
        let copy = await insertCourseRow(tx, schoolId, `${source.title.slice(0, 248)} (copy)`, undefined, {
          ...rest,
          status: 'draft',
          externalId: null,
        });
        await repo.setCourseTags(tx, schoolId, copy.id, await repo.courseTagNames(tx, schoolId, source.id));
        for (const plan of await plansRepo.plansOf(tx, schoolId, source.id)) {
          if (plan.status !== 'active') continue;
          const { id, courseId: _cid, createdAt: _pc, updatedAt: _pu, version: _pv, ...planRest } = plan;
          const created = await plansRepo.insertPlan(tx, schoolId, {
            ...planRest,
            id: newId('paymentPlan'),
            courseId: copy.id,
          });
          if (id === defaultPaymentPlanId)
            copy = await repo.updateCourse(tx, schoolId, copy.id, { defaultPaymentPlanId: created.id });
        }
        const sectionIds = new Map<string, string>();
        const sourceSections = await curriculum.sectionsOf(tx, schoolId, source.id);
        for (const s of sourceSections) sectionIds.set(s.id, newId('section'));
        await curriculum.insertSections(
          tx,
          schoolId,
          sourceSections.map((s) => {
            const { id, courseId: _sc, createdAt: _sca, updatedAt: _sua, version: _sv, prerequisites, ...sRest } = s;
            return {
              ...sRest,
              id: sectionIds.get(id)!,
              courseId: copy.id,
              prerequisites: prerequisites.map((p) => sectionIds.get(p)!).filter(Boolean),
            };
          }),
        );
        const lessons = await curriculum.lessonsOf(tx, schoolId, source.id);
        await curriculum.insertLessons(
          tx,
          schoolId,
          lessons.map(
            ({ id: _lid, courseId: _lc, createdAt: _lca, updatedAt: _lua, version: _lv, sectionId, ...l }) => ({
              ...l,
              id: newId('lesson'),
              courseId: copy.id,
              sectionId: sectionId ? sectionIds.get(sectionId)! : null,
            }),
          ),
        );
        const doc = await document(tx, schoolId, copy.id);
        await events.recordMany(tx, [{ schoolId, type: 'course.created', object: doc.json }]);
        return doc;
      });
    },

    /**
     * Job (media.copy_image): fetches the URL (SSRF-safe), keeps the image as media and sets it on
     * the target only while the target still has that URL — in one transaction with media.ready
     * and the target's updated event. A definitive failure, or the last try of a transient one,
     * records media.failed; a transient failure before that throws, so the queue tries again with
     * its backoff. A copy that arrives after the URL changed is deleted again.
     */
    async copyImage(
      schoolId: string,
      copy: ImageCopy,
      lastTry: boolean,
    ): Promise<'attached' | 'superseded' | 'failed'> {
      const { target, url } = copy;
      const wanted = async (tx: Db | Tx) => {
        const now = await imageOf(tx, schoolId, target);
        return now && now.url === url && now.mediaId === null ? now : undefined;
      };
      const current = await wanted(db);
      if (!current) return 'superseded';
      let row: Awaited<ReturnType<MediaService['importImage']>>;
      try {
        row = await media.importImage(schoolId, url, URL_FIELD[target.type]);
      } catch (err) {
        if (!lastTry && isTransientImageFailure(err)) throw err;
        const failure =
          err instanceof AppError
            ? { code: err.details?.[0]?.code ?? err.code, reason: err.message }
            : { code: 'internal_error', reason: 'The image could not be stored.' };
        await db.transaction(async (tx) => {
          await lockTarget(tx, schoolId, current.courseId);
          if (await wanted(tx))
            await events.recordMany(tx, [{ schoolId, type: 'media.failed', object: { url, target, ...failure } }]);
        });
        return 'failed';
      }
      const attached = await db.transaction(async (tx) => {
        if (!(await lockTarget(tx, schoolId, current.courseId))) return false;
        const done =
          target.type === 'course'
            ? await repo.attachCourseImage(tx, schoolId, target.id, url, row.id)
            : target.type === 'section'
              ? await curriculum.attachSectionPoster(tx, schoolId, target.id, url, row.id)
              : await curriculum.attachLessonThumbnail(tx, schoolId, target.id, url, row.id);
        if (!done) return false;
        let object: RecordEvent['object'];
        let previous: Record<string, null>;
        if (target.type === 'course') {
          previous = { thumbnailMediaId: null, featuredImage: null };
          object = (await document(tx, schoolId, target.id)).json;
        } else {
          await service.touch(tx, schoolId, current.courseId);
          if (target.type === 'section') {
            previous = { posterMediaId: null };
            const [json] = await curriculum.sectionDocuments(tx, schoolId, current.courseId, target.id);
            object = objectOf(json!);
          } else {
            previous = { thumbnailMediaId: null };
            await curriculum.touchSection(tx, schoolId, current.sectionId ?? null);
            const [json] = await curriculum.lessonDocuments(
              tx,
              schoolId,
              current.courseId,
              { lessonId: target.id },
              true,
            );
            object = objectOf(json!);
          }
        }
        await events.recordMany(tx, [
          { schoolId, type: 'media.ready', object: await media.present(row) },
          { schoolId, type: `${target.type}.updated`, object, previousAttributes: previous },
        ]);
        return true;
      });
      if (!attached) await discardCopy(schoolId, row.id);
      return attached ? 'attached' : 'superseded';
    },

    // ---- for the section, lesson and plan services of this aggregate ----

    /** Locks the course for a change to it or its parts; 404 when it is not the school's. */
    async lock(tx: Tx, schoolId: string, courseId: string): Promise<repo.CourseRow> {
      const course = await repo.lockCourse(tx, schoolId, courseId);
      if (!course) throw notFound('Course');
      return course;
    },

    /** lock() and touch() in one statement, for writes that change a part in any case. */
    async lockAndTouch(tx: Tx, schoolId: string, courseId: string): Promise<void> {
      if (!(await repo.touchCourse(tx, schoolId, courseId))) throw notFound('Course');
    },

    /** A change to a part changes the course: new updatedAt and ETag. */
    async touch(tx: Tx, schoolId: string, courseId: string): Promise<void> {
      await repo.updateCourse(tx, schoolId, courseId, {});
    },

    checkInstructors,
    checkMedia,
    queueImageCopies,
    discardCopy,
    assertPublishable,
    courseChangeEvents,
    attributes,

    /**
     * course.updated (and published/unpublished) when a part's write changed what the course's GET
     * shows (the default plan gives it isFree, price, currency): nothing when it did not.
     */
    async partChangeEvents(tx: Tx, schoolId: string, courseId: string, before: string): Promise<RecordEvent[]> {
      const after = await attributes(tx, schoolId, courseId);
      if (isEmpty(previousAttributes(parsed(before), parsed(after)))) return [];
      return courseChangeEvents(schoolId, before, after, await document(tx, schoolId, courseId));
    },

    /** The course's row inside another module's transaction (enrollments: the title a certificate prints). */
    read(tx: Tx, schoolId: string, courseId: string) {
      return repo.findCourse(tx, schoolId, courseId);
    },
  };

  /** Where the target's image stands now: its URL, its copy, and its course. */
  async function imageOf(tx: Db | Tx, schoolId: string, target: ImageTarget) {
    if (target.type === 'course') {
      const c = await repo.findCourse(tx, schoolId, target.id);
      return c && { courseId: c.id, sectionId: null, url: c.thumbnailUrl, mediaId: c.featuredMediaId };
    }
    if (target.type === 'section') {
      const sec = await curriculum.sectionImage(tx, schoolId, target.id);
      return sec && { ...sec, sectionId: null };
    }
    return curriculum.lessonImage(tx, schoolId, target.id);
  }

  /** The course lock, as every write to the course takes it; false when the course is gone. */
  async function lockTarget(tx: Tx, schoolId: string, courseId: string): Promise<boolean> {
    return (await repo.lockCourse(tx, schoolId, courseId)) !== undefined;
  }

  async function setStatus(tx: Tx, course: repo.CourseRow, status: 'draft' | 'published' | 'archived') {
    if (status === 'published') await assertPublishable(tx, course);
    return repo.updateCourse(tx, course.schoolId, course.id, {
      status,
      publishedAt: status === 'published' ? (course.publishedAt ?? new Date()) : course.publishedAt,
    });
  }

  return service;
}
export type CourseService = ReturnType<typeof createCourseService>;

export function lessonRow(
  courseId: string,
  sectionId: string | null,
  position: number,
  values: LessonValues,
): curriculum.NewLesson & { position: number } {
  return { id: newId('lesson'), courseId, position, title: values.title ?? 'Untitled', ...values, sectionId };
}

/** Tags are trimmed (by the schema) and deduplicated case-insensitively, first spelling wins. */
function dedupeTags(tags: string[]): string[] {
  const seen = new Set<string>();
  return tags.filter((t) => !seen.has(t.toLowerCase()) && seen.add(t.toLowerCase()));
}

/**
 * Applies `fields[type]` through the whole course document. The curriculum and includes are
 * relationships (as in Kajabi): `fields[courses]` trims the course's attributes, not them.
 */
function trimCourse(course: Record<string, unknown>, fields: SparseFields): Record<string, unknown> {
  const lessons = (list: unknown) => (list as Record<string, unknown>[]).map((l) => applyFields(l, fields, 'lessons'));
  const out = applyFields(course, fields, 'courses');
  if (Array.isArray(course.sections)) {
    out.sections = (course.sections as Record<string, unknown>[]).map((s) => {
      const section = applyFields(s, fields, 'sections');
      if (Array.isArray(s.lessons)) section.lessons = lessons(s.lessons);
      return section;
    });
  }
  if (Array.isArray(course.unsectionedLessons)) out.unsectionedLessons = lessons(course.unsectionedLessons);
  if (Array.isArray(course.paymentPlans))
    out.paymentPlans = (course.paymentPlans as Record<string, unknown>[]).map((p) =>
      applyFields(p, fields, 'paymentPlans'),
    );
  if ('category' in course)
    out.category = course.category
      ? applyFields(course.category as Record<string, unknown>, fields, 'categories')
      : null;
  if (Array.isArray(course.instructors))
    out.instructors = (course.instructors as Record<string, unknown>[]).map((u) =>
      applyFields(u, fields, 'instructors'),
    );
  return out;
}
