import type { Db, Tx } from '../../db/client.js';
import { cursorValueFor } from '../../db/keyset.js';
import type { CustomFieldDefinition } from '../../db/schema/index.js';
import { insertWithGeneratedSlug, nextSlugNumber } from '../../db/unique-slug.js';
import { AppError, notFound } from '../../lib/errors.js';
import { assertIfMatch, etagOf } from '../../lib/etag.js';
import { newId } from '../../lib/ids.js';
import { paginate, toListRequest } from '../../lib/pagination.js';
import { type RawJson, rawJson } from '../../lib/raw-json.js';
import { parseMarkdown, parseRichText, plainTextLength, type RichTextDoc, renderRichText } from '../../lib/richtext.js';
import { applyFields, parseFields, parseInclude, type SparseFields } from '../../lib/shape.js';
import { slugify } from '../../lib/slug.js';
import { timeSlicer } from '../../lib/time-slice.js';
import type { CategoryService } from '../categories/categories.service.js';
import type { MediaService } from '../media/media.service.js';
import type { SchoolService } from '../schools/schools.service.js';
import type { UserService } from '../users/users.service.js';
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
/** Image URLs one request may ask the server to fetch. */
const MAX_IMAGE_URLS = 50;

/** The course document as PostgreSQL built it (passed through unparsed unless fields trim it), with its ETag. */
export type CourseDocument = { json: RawJson<Course>; etag: string; id: string };

type Deps = { db: Db; schools: SchoolService; categories: CategoryService; users: UserService; media: MediaService };

/** Which media fit which lesson type. */
const MEDIA_FITS: Record<string, (mime: string) => boolean> = {
  video: (m) => m.startsWith('video/'),
  audio: (m) => m.startsWith('audio/'),
  pdf: (m) => m === 'application/pdf',
  file: () => true,
};

export function createCourseService({ db, schools, categories, users, media }: Deps) {
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

  /** Keeps only the school's defined custom fields, each of its declared type. */
  function customFields(input: Record<string, unknown>, defs: CustomFieldDefinition[], problems: Problems) {
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

  /**
   * Runs `fn` with a `copy(url, path)` that fetches an image URL and keeps it as media. The fetches
   * happen before any course lock is taken; if anything fails, the copies made are removed again.
   */
  async function withImageCopies<T>(
    schoolId: string,
    fn: (copy: (url: string, path: string) => Promise<string>) => Promise<T>,
  ): Promise<T> {
    const made: string[] = [];
    const copy = async (url: string, path: string) => {
      if (made.length >= MAX_IMAGE_URLS) {
        throw new AppError('validation_error', `At most ${MAX_IMAGE_URLS} image URLs per request.`, [
          { path, message: 'Too many image URLs in one request.' },
        ]);
      }
      const row = await media.importImage(schoolId, url, path);
      made.push(row.id);
      return row.id;
    };
    try {
      return await fn(copy);
    } catch (err) {
      for (const id of made) await discardCopy(schoolId, id);
      throw err;
    }
  }

  /** Removes an image copy nothing uses any more (best effort: one still in use stays). */
  async function discardCopy(schoolId: string, mediaId: string): Promise<void> {
    await media.delete(schoolId, mediaId).catch(() => {});
  }

  /** The course image from `featuredImage` (uploaded media) or a copy of `thumbnailUrl`. */
  async function featuredImage(
    schoolId: string,
    input: { thumbnailUrl?: string | null | undefined; featuredImage?: { mediaId: string } | null | undefined },
    problems: Problems,
    copy: (url: string, path: string) => Promise<string>,
  ) {
    if (input.featuredImage !== undefined) {
      if (input.featuredImage === null) return { featuredMediaId: null };
      const [m] = await media.findByIds(schoolId, [input.featuredImage.mediaId]);
      if (m?.status !== 'ready' || !m.mimeType.startsWith('image/')) {
        problems.add('validation_error', 'featuredImage.mediaId', 'Must be a ready image of this school.');
      }
      return { featuredMediaId: input.featuredImage.mediaId };
    }
    if (input.thumbnailUrl === undefined) return {};
    if (input.thumbnailUrl === null) return { featuredMediaId: null };
    return { featuredMediaId: await copy(input.thumbnailUrl, 'thumbnailUrl') };
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
        posterMediaId?: string;
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
      return withImageCopies(schoolId, async (copy) => {
        // Image URLs are fetched (and copied) one by one, after every other check, before the transaction.
        const featured = await featuredImage(schoolId, input, problems, copy);
        problems.throwIfAny();
        for (const [i, n] of nested.entries()) {
          if (n.section.posterImageUrl)
            n.posterMediaId = await copy(n.section.posterImageUrl, `sections.${i}.posterImageUrl`);
          for (const [j, l] of n.lessonValues.entries()) {
            if (l.thumbnailUrl)
              l.thumbnailMediaId = await copy(l.thumbnailUrl, `sections.${i}.lessons.${j}.thumbnailUrl`);
          }
        }
        return db.transaction(async (tx) => {
          let course = await insertCourseRow(tx, schoolId, input.title, input.slug, {
            type: input.type ?? input.courseType ?? 'course',
            ...(desc ?? {}),
            shortDescription: input.shortDescription ?? null,
            thumbnailUrl: input.thumbnailUrl ?? null,
            ...featured,
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
          for (const [i, { section, sectionDesc, lessonValues, posterMediaId }] of nested.entries()) {
            const sectionId = newId('section');
            sectionRows.push({
              id: sectionId,
              courseId: course.id,
              title: section.title,
              position: i + 1,
              ...(sectionDesc ?? {}),
              posterImageUrl: section.posterImageUrl ?? null,
              posterMediaId: posterMediaId ?? null,
              status: section.status ?? 'published',
              drip: section.drip ?? { type: 'none' },
              externalId: section.externalId ?? null,
            });
            for (const [j, values] of lessonValues.entries()) {
              lessonRows.push(lessonRow(course.id, sectionId, j + 1, values));
            }
          }
          await curriculum.insertSections(tx, schoolId, sectionRows);
          await curriculum.insertLessons(tx, schoolId, lessonRows);

          if (status !== 'draft') course = await setStatus(tx, course, status);
          return document(tx, schoolId, course.id);
        });
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
      return withImageCopies(schoolId, async (copy) => {
        const featured = await featuredImage(schoolId, patch, problems, copy);
        problems.throwIfAny();
        return db.transaction(async (tx) => {
          let course = await service.lock(tx, schoolId, courseId);
          assertIfMatch(ifMatch, course);
          // Fields not sent stay undefined and keep their value.
          const values: repo.CoursePatch = {
            ...(desc ?? {}),
            ...featured,
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
          return document(tx, schoolId, courseId);
        });
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
        await repo.deleteCourse(tx, schoolId, courseId);
      });
    },

    async publish(schoolId: string, courseId: string, published: boolean): Promise<CourseDocument> {
      return db.transaction(async (tx) => {
        const course = await service.lock(tx, schoolId, courseId);
        await setStatus(tx, course, published ? 'published' : 'draft');
        return document(tx, schoolId, courseId);
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
        return document(tx, schoolId, copy.id);
      });
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
    withImageCopies,
    discardCopy,
    assertPublishable,

    /** The course's row inside another module's transaction (enrollments: the title a certificate prints). */
    read(tx: Tx, schoolId: string, courseId: string) {
      return repo.findCourse(tx, schoolId, courseId);
    },
  };

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
