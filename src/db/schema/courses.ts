import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { categories } from './categories.js';
import { idColumn, timestamps } from './columns.js';
import { media } from './media.js';
import { schoolIdColumn } from './schools.js';
import { users } from './users.js';

export const courseType = pgEnum('course_type', [
  'course',
  'download',
  'learning_path',
  'webinar',
  'video',
  'article',
  'scorm',
  'xapi',
]);
export const courseLevel = pgEnum('course_level', ['beginner', 'intermediate', 'advanced']);
export const coursePrivacy = pgEnum('course_privacy', ['public', 'unlisted', 'private']);
export const courseStatus = pgEnum('course_status', ['draft', 'published', 'archived']);
export const contentStatus = pgEnum('content_status', ['draft', 'published']);
export const lessonType = pgEnum('lesson_type', ['text', 'video', 'audio', 'pdf', 'file', 'embed', 'quiz']);
export const planType = pgEnum('plan_type', ['free', 'one_time', 'subscription', 'installments']);
export const planInterval = pgEnum('plan_interval', ['month', 'year']);
export const planStatus = pgEnum('plan_status', ['active', 'archived']);

/** A rich-text document (Tiptap/ProseMirror JSON), stored with its rendered HTML. */
export type RichTextJson = { type: 'doc'; content?: unknown[] };

export const courses = pgTable(
  'courses',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    title: text('title').notNull(),
    type: courseType('type').notNull().default('course'),
    slug: text('slug').notNull(),
    description: jsonb('description').$type<RichTextJson>(),
    descriptionHtml: text('description_html'),
    shortDescription: text('short_description'),
    thumbnailUrl: text('thumbnail_url'),
    /** The course image: uploaded media (featuredImage) or the stored copy of thumbnailUrl. */
    featuredMediaId: text('featured_media_id').references(() => media.id, { onDelete: 'restrict' }),
    trailerUrl: text('trailer_url'),
    level: courseLevel('level'),
    // A category in use cannot be deleted (409), so no cascade here.
    categoryId: text('category_id').references(() => categories.id, { onDelete: 'restrict' }),
    authors: text('authors').array().notNull().default(sql`'{}'::text[]`),
    externalId: text('external_id'),
    customFields: jsonb('custom_fields').$type<Record<string, unknown>>().notNull().default({}),
    source: text('source'),
    privacy: coursePrivacy('privacy').notNull().default('public'),
    status: courseStatus('status').notNull().default('draft'),
    defaultPaymentPlanId: text('default_payment_plan_id').references((): AnyPgColumn => paymentPlans.id, {
      onDelete: 'set null',
    }),
    publishedAt: timestamp('published_at', { withTimezone: true, precision: 3 }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('courses_school_slug_uq').on(t.schoolId, t.slug),
    uniqueIndex('courses_school_external_id_uq').on(t.schoolId, t.externalId),
    index('courses_school_created_idx').on(t.schoolId, t.createdAt, t.id),
    index('courses_school_updated_idx').on(t.schoolId, t.updatedAt, t.id),
    index('courses_school_title_idx').on(t.schoolId, t.title, t.id),
    index('courses_category_idx').on(t.categoryId),
  ],
);

/** Tags are created on first use; names compare case-insensitively within a school. */
export const tags = pgTable(
  'tags',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    name: text('name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('tags_school_name_uq').on(t.schoolId, sql`lower(${t.name})`)],
);

export const courseTags = pgTable(
  'course_tags',
  {
    courseId: text('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    tagId: text('tag_id')
      .notNull()
      .references(() => tags.id, { onDelete: 'cascade' }),
    /** Keeps the order the tags were given in. */
    position: integer('position').notNull(),
  },
  (t) => [primaryKey({ columns: [t.courseId, t.tagId] }), index('course_tags_tag_idx').on(t.tagId)],
);

export type Drip = { type: 'none' } | { type: 'days'; days: number } | { type: 'date'; date: string };

export const sections = pgTable(
  'sections',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    courseId: text('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    description: jsonb('description').$type<RichTextJson>(),
    descriptionHtml: text('description_html'),
    /** 1-based and dense within the course; kept so under the course row lock. */
    position: integer('position').notNull(),
    posterImageUrl: text('poster_image_url'),
    /** The stored copy of posterImageUrl. */
    posterMediaId: text('poster_media_id').references(() => media.id, { onDelete: 'restrict' }),
    status: contentStatus('status').notNull().default('published'),
    drip: jsonb('drip').$type<Drip>().notNull().default({ type: 'none' }),
    prerequisites: text('prerequisites').array().notNull().default(sql`'{}'::text[]`),
    externalId: text('external_id'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('sections_course_title_uq').on(t.courseId, sql`lower(${t.title})`),
    uniqueIndex('sections_course_external_id_uq').on(t.courseId, t.externalId),
    index('sections_course_position_idx').on(t.courseId, t.position),
  ],
);

export type Unlock =
  | { type: 'immediate' }
  | { type: 'sequential' }
  | { type: 'timed'; afterDays: number }
  | { type: 'date'; at: string };
export type Completion = { type: 'none' | 'visited' | 'button' | 'video' | 'quiz' };
export type QuizContent = {
  questions: { text: string; options: { text: string; correct: boolean }[] }[];
  passingScore: number;
};
export type VideoMetaJson = Record<string, unknown>;

export const lessons = pgTable(
  'lessons',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    courseId: text('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    sectionId: text('section_id').references(() => sections.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    type: lessonType('type').notNull().default('text'),
    /** 1-based and dense within its section (or among the unsectioned lessons). */
    position: integer('position').notNull(),
    downloadable: boolean('downloadable').notNull().default(false),
    summary: text('summary'),
    /** Rich text for text lessons; the quiz definition for quiz lessons. */
    content: jsonb('content').$type<RichTextJson | QuizContent>(),
    contentHtml: text('content_html'),
    /** Media-backed lessons (video, audio, pdf, file); a media item in use cannot be deleted. */
    mediaId: text('media_id').references(() => media.id, { onDelete: 'restrict' }),
    videoUrl: text('video_url'),
    videoMeta: jsonb('video_meta').$type<VideoMetaJson>(),
    duration: integer('duration'),
    isPreview: boolean('is_preview').notNull().default(false),
    status: contentStatus('status').notNull().default('published'),
    unlock: jsonb('unlock').$type<Unlock>().notNull().default({ type: 'immediate' }),
    completion: jsonb('completion').$type<Completion>().notNull().default({ type: 'button' }),
    instructorId: text('instructor_id').references(() => users.id, { onDelete: 'set null' }),
    thumbnailUrl: text('thumbnail_url'),
    /** The stored copy of thumbnailUrl. */
    thumbnailMediaId: text('thumbnail_media_id').references(() => media.id, { onDelete: 'restrict' }),
    externalId: text('external_id'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('lessons_course_external_id_uq').on(t.courseId, t.externalId),
    index('lessons_course_section_position_idx').on(t.courseId, t.sectionId, t.position),
    index('lessons_section_idx').on(t.sectionId),
    index('lessons_media_idx').on(t.mediaId),
  ],
);

export const paymentPlans = pgTable(
  'payment_plans',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    courseId: text('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    type: planType('type').notNull(),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    interval: planInterval('interval'),
    installmentsCount: integer('installments_count'),
    description: text('description'),
    status: planStatus('status').notNull().default('active'),
    ...timestamps,
  },
  (t) => [
    // At most one active plan per type per course; subscriptions: one monthly and one yearly.
    uniqueIndex('payment_plans_active_type_uq')
      .on(t.courseId, t.type)
      .where(sql`${t.status} = 'active' AND ${t.interval} IS NULL`),
    uniqueIndex('payment_plans_active_interval_uq')
      .on(t.courseId, t.type, t.interval)
      .where(sql`${t.status} = 'active' AND ${t.interval} IS NOT NULL`),
    index('payment_plans_course_idx').on(t.courseId, t.createdAt),
  ],
);
