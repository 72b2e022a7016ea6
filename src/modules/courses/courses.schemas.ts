import { z } from 'zod';
import { PaginationQuerySchema, PaginationSchema } from '../../lib/pagination.js';
import { MarkdownText, RichTextInput } from '../../lib/richtext-input.js';
import { strictQuery } from '../../lib/shape.js';
import { SLUG_PATTERN } from '../../lib/slug.js';
import { HttpUrl, limitIssue } from '../../lib/validation.js';

// ---------- shared field rules ----------

export const COURSE_TYPES = [
  'course',
  'download',
  'learning_path',
  'webinar',
  'video',
  'article',
  'scorm',
  'xapi',
] as const;
export const LESSON_TYPES = ['text', 'video', 'audio', 'pdf', 'file', 'embed', 'quiz', 'scorm'] as const;

export const id = z.string().min(1).max(64);
const externalId = z.string().trim().min(1).max(255);
/** A rich-text value: a Tiptap document, that document as a JSON string, or HTML. Converted by the service. */
const richText = RichTextInput;
const markdown = MarkdownText;
const position = z.number().int().min(1).max(100_000);

/** `a` and its alias `b` mean the same; giving both with different values is an error. */
function alias<T extends Record<string, unknown>>(
  value: T,
  ctx: z.RefinementCtx,
  canonical: keyof T & string,
  aliasKey: keyof T & string,
) {
  if (value[aliasKey] !== undefined && value[canonical] !== undefined && value[aliasKey] !== value[canonical]) {
    ctx.addIssue({
      code: 'custom',
      path: [aliasKey],
      message: `'${aliasKey}' is an alias of '${canonical}'; send one of them.`,
    });
  }
}

// ---------- lessons ----------

export const UnlockSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('immediate') }),
    z.strictObject({ type: z.literal('sequential') }),
    z.strictObject({ type: z.literal('timed'), afterDays: z.number().int().min(0).max(3650) }),
    z.strictObject({ type: z.literal('date'), at: z.iso.datetime({ offset: true }) }),
  ])
  .meta({ description: 'timed needs afterDays (days after enrolment); date needs at (ISO 8601).' });

export const CompletionSchema = z.strictObject({ type: z.enum(['none', 'visited', 'button', 'video', 'quiz']) });

export const QuizSchema = z.strictObject({
  questions: z
    .array(
      z.strictObject({
        text: z.string().trim().min(1).max(2000),
        options: z
          .array(z.strictObject({ text: z.string().trim().min(1).max(1000), correct: z.boolean() }))
          .min(2, 'A question needs at least 2 options.')
          .max(20)
          .refine((o) => o.some((x) => x.correct), 'A question needs at least one correct option.'),
      }),
    )
    .min(1)
    .max(200),
  passingScore: z.number().min(0).max(100),
});

export const lessonFields = {
  title: z.string().trim().min(1).max(200),
  type: z.enum(LESSON_TYPES),
  sectionId: id.nullable(),
  position,
  order: position,
  downloadable: z.boolean(),
  summary: z.string().max(5000).nullable(),
  description: z.string().max(5000).nullable(),
  content: richText,
  contentMarkdown: markdown,
  media: z
    .strictObject({ mediaId: id })
    .nullable()
    .meta({ description: 'A ready media item of the school (video, audio, pdf, file lessons).' }),
  videoUrl: z.string().trim().min(1).max(2048).nullable(),
  duration: z.number().int().min(0).max(1_000_000).nullable(),
  isPreview: z.boolean(),
  status: z.enum(['draft', 'published']),
  unlock: UnlockSchema,
  completion: CompletionSchema,
  instructorId: id.nullable(),
  thumbnailUrl: HttpUrl.nullable().meta({
    description:
      'An image URL, stored as sent. The server copies it into media in the background: thumbnailMediaId is set when the copy is ready (event media.ready); an unreachable or invalid image never fails the write — it is recorded as a media.failed event.',
  }),
  removeThumbnail: z.literal(true),
  externalId: externalId.nullable(),
};

export function lessonAliases(v: Record<string, unknown>, ctx: z.RefinementCtx) {
  alias(v, ctx, 'position', 'order');
  alias(v, ctx, 'summary', 'description');
  if (v.content !== undefined && v.contentMarkdown !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['contentMarkdown'], message: "Send either 'content' or 'contentMarkdown'." });
  }
}

const lessonExample = {
  title: 'What is TypeScript?',
  type: 'video',
  videoUrl: 'https://youtube.com/watch?v=dQw4w9WgXcQ',
  duration: 600,
  isPreview: true,
};

/** A lesson as created (also nested in sections of a course). */
export const CreateLessonSchema = z
  .strictObject({ ...lessonFields, title: lessonFields.title, type: lessonFields.type.optional() })
  .partial()
  .required({ title: true })
  .superRefine(lessonAliases)
  .meta({ example: lessonExample });
export type CreateLesson = z.infer<typeof CreateLessonSchema>;

export const UpdateLessonSchema = z
  .strictObject(lessonFields)
  .partial()
  .superRefine(lessonAliases)
  .meta({ example: { title: 'Renamed', isPreview: false } });
export type UpdateLesson = z.infer<typeof UpdateLessonSchema>;

export const MoveLessonSchema = z
  .strictObject({ sectionId: id.nullable(), position: position.optional() })
  .meta({ example: { sectionId: null, position: 1 } });

// ---------- sections ----------

export const DripSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('days'), days: z.number().int().min(0).max(3650) }),
  z.strictObject({ type: z.literal('date'), date: z.iso.datetime({ offset: true }) }),
]);

export const sectionFields = {
  title: z.string().trim().min(1).max(255),
  description: richText,
  descriptionMarkdown: markdown,
  position,
  order: position,
  posterImageUrl: HttpUrl.nullable().meta({
    description:
      'An image URL, stored as sent. The server copies it into media in the background: posterMediaId is set when the copy is ready (event media.ready); an unreachable or invalid image never fails the write — it is recorded as a media.failed event.',
  }),
  status: z.enum(['draft', 'published']),
  drip: DripSchema,
  prerequisites: z.array(id).max(100),
  externalId: externalId.nullable(),
};

export function sectionAliases(v: Record<string, unknown>, ctx: z.RefinementCtx) {
  alias(v, ctx, 'position', 'order');
  if (v.description !== undefined && v.descriptionMarkdown !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['descriptionMarkdown'],
      message: "Send either 'description' or 'descriptionMarkdown'.",
    });
  }
}

export const CreateSectionSchema = z
  .strictObject(sectionFields)
  .partial()
  .required({ title: true })
  .superRefine(sectionAliases)
  .meta({ example: { title: 'Getting Started', drip: { type: 'days', days: 7 } } });
export type CreateSection = z.infer<typeof CreateSectionSchema>;

export const UpdateSectionSchema = z
  .strictObject(sectionFields)
  .partial()
  .superRefine(sectionAliases)
  .meta({ example: { title: 'Week 1' } });
export type UpdateSection = z.infer<typeof UpdateSectionSchema>;

/** A lesson inside a nested section: its section and position come from where it stands. */
const { sectionId: _sid, position: _lp, order: _lo, ...nestedLessonFields } = lessonFields;
export const NestedLessonSchema = z
  .strictObject({ ...nestedLessonFields, type: lessonFields.type.optional() })
  .partial()
  .required({ title: true })
  .superRefine(lessonAliases);

/** Nested creation (API.md §1 Limits): the most sections, and lessons over all sections, in one request. */
export const MAX_NESTED_SECTIONS = 200;
export const MAX_NESTED_LESSONS = 1000;

/** A section inside `POST /courses`, with its lessons (positions follow the array order; prerequisites need ids, so not here). */
const { prerequisites: _pre, position: _sp, order: _so, ...nestedSectionFields } = sectionFields;
export const NestedSectionSchema = z
  .strictObject({
    ...nestedSectionFields,
    lessons: z.array(NestedLessonSchema).max(MAX_NESTED_LESSONS).optional(),
  })
  .partial()
  .required({ title: true })
  .superRefine(sectionAliases);

/**
 * Counts sections and lessons on the raw input, before any of them is validated or converted, so
 * an oversized request is refused for the price of reading array lengths (`code: too_many_items`).
 */
function limitNestedCurriculum(value: unknown, ctx: z.RefinementCtx): unknown {
  if (!Array.isArray(value)) return value;
  if (value.length > MAX_NESTED_SECTIONS) {
    const message = `At most ${MAX_NESTED_SECTIONS} sections per request; this one has ${value.length}.`;
    limitIssue(ctx, 'too_many_items', message);
    return value;
  }
  let lessons = 0;
  for (const [i, section] of value.entries()) {
    const list = (section as { lessons?: unknown } | null)?.lessons;
    if (!Array.isArray(list)) continue;
    if (list.length > MAX_NESTED_LESSONS) {
      const message = `At most ${MAX_NESTED_LESSONS} lessons per request; this section alone has ${list.length}.`;
      limitIssue(ctx, 'too_many_items', message, [i, 'lessons']);
      return value;
    }
    lessons += list.length;
  }
  if (lessons > MAX_NESTED_LESSONS) {
    const message = `At most ${MAX_NESTED_LESSONS} lessons per request over all sections; this one has ${lessons}.`;
    limitIssue(ctx, 'too_many_items', message);
  }
  return value;
}

const NestedSectionsSchema = z
  .preprocess(limitNestedCurriculum, z.array(NestedSectionSchema).max(MAX_NESTED_SECTIONS))
  .meta({
    description: `Created with the course, atomically. At most ${MAX_NESTED_SECTIONS} sections and ${MAX_NESTED_LESSONS} lessons (over all sections) per request: more is refused before anything is converted (400, code too_many_items).`,
  });

export const ReorderSectionsSchema = z
  .strictObject({ sectionIds: z.array(id).min(1).max(1000) })
  .meta({ example: { sectionIds: ['sec_…2', 'sec_…1'] } });

// ---------- courses ----------

export const courseFields = {
  title: z.string().trim().min(1).max(255),
  type: z.enum(COURSE_TYPES),
  courseType: z.enum(COURSE_TYPES),
  slug: z.string().max(100).regex(SLUG_PATTERN, 'Lowercase letters, digits and single hyphens.'),
  description: richText,
  descriptionMarkdown: markdown,
  shortDescription: z.string().max(500).nullable(),
  thumbnailUrl: HttpUrl.nullable().meta({
    description:
      'An image URL, stored as sent. The server copies it into media in the background: featuredImage is set when the copy is ready (event media.ready); an unreachable or invalid image never fails the write — it is recorded as a media.failed event. A new URL clears featuredImage until its copy is ready; featuredImage sent in the same request wins.',
  }),
  featuredImage: z
    .strictObject({ mediaId: id })
    .nullable()
    .meta({ description: 'An uploaded image (media) as the course image.' }),
  trailerUrl: HttpUrl.nullable(),
  level: z.enum(['beginner', 'intermediate', 'advanced']).nullable(),
  categoryId: id.nullable(),
  tags: z.array(z.string().trim().min(1).max(50)).max(50),
  authors: z.array(z.string().trim().min(1).max(100)).max(20),
  externalId: externalId.nullable(),
  customFields: z.record(z.string(), z.unknown()),
  source: z.string().trim().max(255).nullable(),
  privacy: z.enum(['public', 'unlisted', 'private']),
  status: z.enum(['draft', 'published', 'archived']),
  publishedStatus: z.enum(['draft', 'published', 'archived']),
  published: z.boolean(),
};

export function courseAliases(v: Record<string, unknown>, ctx: z.RefinementCtx) {
  alias(v, ctx, 'type', 'courseType');
  alias(v, ctx, 'status', 'publishedStatus');
  if (v.published !== undefined) {
    const implied = v.published ? 'published' : 'draft';
    for (const k of ['status', 'publishedStatus']) {
      if (v[k] !== undefined && v[k] !== implied)
        ctx.addIssue({ code: 'custom', path: ['published'], message: `'published' contradicts '${k}'.` });
    }
  }
  if (v.description !== undefined && v.descriptionMarkdown !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['descriptionMarkdown'],
      message: "Send either 'description' or 'descriptionMarkdown'.",
    });
  }
}

export const CreateCourseSchema = z
  .strictObject({
    ...courseFields,
    isFree: z.boolean(),
    price: z.number().int().min(0).max(100_000_000),
    sections: NestedSectionsSchema,
  })
  .partial()
  .required({ title: true })
  .superRefine((v, ctx) => {
    courseAliases(v, ctx);
    if (v.isFree && v.price !== undefined && v.price > 0) {
      ctx.addIssue({ code: 'custom', path: ['price'], message: 'A free course has no price.' });
    }
  })
  .meta({
    example: {
      title: 'Mastering TypeScript',
      type: 'course',
      shortDescription: 'Learn TypeScript from scratch',
      price: 4999,
      level: 'intermediate',
      tags: ['typescript', 'web'],
      sections: [{ title: 'Getting Started', lessons: [lessonExample] }],
    },
  });
export type CreateCourse = z.infer<typeof CreateCourseSchema>;

export const UpdateCourseSchema = z
  .strictObject(courseFields)
  .partial()
  .superRefine(courseAliases)
  .meta({ example: { slug: 'mastering-typescript', privacy: 'unlisted', tags: ['typescript', 'featured'] } });
export type UpdateCourse = z.infer<typeof UpdateCourseSchema>;

// ---------- payment plans ----------

export const planFields = {
  name: z.string().trim().min(1).max(255),
  type: z.enum(['free', 'one_time', 'subscription', 'installments']),
  amount: z.number().int().min(0).max(100_000_000),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'An ISO 4217 code such as USD.')
    .transform((c) => c.toUpperCase()),
  interval: z.enum(['month', 'year']).nullable(),
  installments: z.strictObject({ count: z.number().int().min(2).max(120) }).nullable(),
  description: z.string().max(2000).nullable(),
};

export const CreatePaymentPlanSchema = z
  .strictObject(planFields)
  .partial()
  .required({ name: true, type: true })
  .meta({ example: { name: 'Monthly', type: 'subscription', amount: 1999, interval: 'month' } });
export type CreatePaymentPlan = z.infer<typeof CreatePaymentPlanSchema>;

export const UpdatePaymentPlanSchema = z
  .strictObject({
    name: planFields.name,
    amount: planFields.amount,
    description: planFields.description,
    interval: planFields.interval,
    installments: planFields.installments,
  })
  .partial()
  .meta({ example: { name: 'Lifetime access', amount: 9900 } });
export type UpdatePaymentPlan = z.infer<typeof UpdatePaymentPlanSchema>;

// ---------- responses ----------

const Timestamps = { createdAt: z.string(), updatedAt: z.string() };
const LESSON_EXAMPLE = {
  object: 'lesson',
  id: 'les_01JD3Q8Z7N5K2M4P6R8T0V2X4Z',
  courseId: 'crs_01JD3Q8Z7N5K2M4P6R8T0V2X4Y',
  sectionId: 'sec_01JD3Q8Z7N5K2M4P6R8T0V2X4X',
  title: 'What is TypeScript?',
  type: 'video',
  position: 1,
  status: 'published',
  summary: 'An introduction to TypeScript',
  downloadable: false,
  duration: 600,
  isPreview: true,
  videoUrl: 'https://www.youtube.com/embed/dQw4w9WgXcQ',
  mediaId: null,
  videoMeta: {
    type: 'youtube',
    provider: 'YouTube',
    videoId: 'dQw4w9WgXcQ',
    originalUrl: 'https://youtube.com/watch?v=dQw4w9WgXcQ',
    embedUrl: 'https://www.youtube.com/embed/dQw4w9WgXcQ',
    thumbnailUrl: 'https://img.youtube.com/vi/dQw4w9WgXcQ/maxresdefault.jpg',
    icon: 'youtube',
    canEmbed: true,
  },
  unlock: { type: 'immediate' },
  completion: { type: 'video' },
  instructorId: null,
  thumbnailUrl: null,
  thumbnailMediaId: null,
  externalId: null,
  createdAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-22T10:00:00.000Z',
};
const SECTION_EXAMPLE = {
  object: 'section',
  id: 'sec_01JD3Q8Z7N5K2M4P6R8T0V2X4X',
  courseId: 'crs_01JD3Q8Z7N5K2M4P6R8T0V2X4Y',
  title: 'Getting Started',
  description: null,
  descriptionHtml: null,
  position: 1,
  posterImageUrl: null,
  posterMediaId: null,
  status: 'published',
  drip: { type: 'none' },
  prerequisites: [],
  externalId: null,
  lessons: [LESSON_EXAMPLE],
  createdAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-22T10:00:00.000Z',
};
const PLAN_EXAMPLE = {
  object: 'payment_plan',
  id: 'pln_01JD3Q8Z7N5K2M4P6R8T0V2X4W',
  courseId: 'crs_01JD3Q8Z7N5K2M4P6R8T0V2X4Y',
  name: 'One-time payment',
  type: 'one_time',
  amount: 4999,
  currency: 'USD',
  interval: null,
  installments: null,
  description: null,
  status: 'active',
  isDefault: true,
  createdAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-22T10:00:00.000Z',
};
const RichTextOut = z.record(z.string(), z.unknown()).nullable();

export const LessonSchema = z
  .object({
    object: z.literal('lesson'),
    id: z.string(),
    courseId: z.string(),
    sectionId: z.string().nullable(),
    title: z.string(),
    type: z.string(),
    position: z.number().int(),
    status: z.string(),
    summary: z.string().nullable(),
    downloadable: z.boolean(),
    duration: z.number().int().nullable(),
    isPreview: z.boolean(),
    videoUrl: z.string().nullable(),
    videoMeta: z.record(z.string(), z.unknown()).nullable(),
    mediaId: z.string().nullable(),
    media: z.record(z.string(), z.unknown()).nullable().optional().meta({ description: 'With include=lessons.media.' }),
    unlock: z.record(z.string(), z.unknown()),
    completion: z.record(z.string(), z.unknown()),
    instructorId: z.string().nullable(),
    thumbnailUrl: z.string().nullable(),
    thumbnailMediaId: z
      .string()
      .nullable()
      .meta({ description: 'The stored copy of thumbnailUrl; null until the background copy is ready.' }),
    externalId: z.string().nullable(),
    content: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .meta({ description: 'With include=lessons.content (always on the single-lesson routes).' }),
    contentHtml: z.string().nullable().optional(),
    ...Timestamps,
  })
  .meta({ id: 'Lesson', example: LESSON_EXAMPLE });

export const SectionSchema = z
  .object({
    object: z.literal('section'),
    id: z.string(),
    courseId: z.string(),
    title: z.string(),
    description: RichTextOut,
    descriptionHtml: z.string().nullable(),
    position: z.number().int(),
    posterImageUrl: z.string().nullable(),
    posterMediaId: z
      .string()
      .nullable()
      .meta({ description: 'The stored copy of posterImageUrl; null until the background copy is ready.' }),
    status: z.string(),
    drip: z.record(z.string(), z.unknown()),
    prerequisites: z.array(z.string()),
    externalId: z.string().nullable(),
    lessons: z.array(LessonSchema).optional(),
    ...Timestamps,
  })
  .meta({ id: 'Section', example: SECTION_EXAMPLE });

export const PaymentPlanSchema = z
  .object({
    object: z.literal('payment_plan'),
    id: z.string(),
    courseId: z.string(),
    name: z.string(),
    type: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    interval: z.string().nullable(),
    installments: z.object({ count: z.number().int() }).nullable(),
    description: z.string().nullable(),
    status: z.string(),
    isDefault: z.boolean(),
    ...Timestamps,
  })
  .meta({ id: 'PaymentPlan', example: PLAN_EXAMPLE });

/** An instructor of the course's lessons (include=instructors). */
export const CourseInstructorSchema = z.object({
  object: z.literal('user'),
  id: z.string(),
  name: z.string(),
  email: z.string().nullable().meta({ description: 'null unless the caller holds students:read.' }),
  role: z.string(),
  avatarUrl: z.string().nullable(),
  bio: z.string().nullable(),
});

export const CourseSchema = z
  .object({
    object: z.literal('course'),
    id: z.string(),
    title: z.string(),
    type: z.string(),
    slug: z.string(),
    description: RichTextOut,
    descriptionHtml: z.string().nullable(),
    shortDescription: z.string().nullable(),
    thumbnailUrl: z.string().nullable(),
    thumbnailMediaId: z.string().nullable().meta({
      description:
        'The media holding the course image: the background copy of thumbnailUrl once it is ready (null until then), or the uploaded featuredImage.',
    }),
    featuredImage: z.object({ mediaId: z.string() }).nullable(),
    trailerUrl: z.string().nullable(),
    level: z.string().nullable(),
    categoryId: z.string().nullable(),
    tags: z.array(z.string()),
    authors: z.array(z.string()),
    externalId: z.string().nullable(),
    customFields: z.record(z.string(), z.unknown()),
    source: z.string().nullable(),
    privacy: z.string(),
    status: z.string(),
    isFree: z.boolean(),
    price: z.number().int(),
    currency: z.string(),
    defaultPaymentPlanId: z.string().nullable(),
    publishedAt: z.string().nullable(),
    sections: z.array(SectionSchema).optional().meta({ description: 'The ordered curriculum (single-course routes).' }),
    unsectionedLessons: z.array(LessonSchema).optional(),
    paymentPlans: z.array(PaymentPlanSchema).optional().meta({ description: 'With include=paymentPlans.' }),
    category: z.record(z.string(), z.unknown()).nullable().optional().meta({ description: 'With include=category.' }),
    instructors: z.array(CourseInstructorSchema).optional().meta({ description: 'With include=instructors.' }),
    ...Timestamps,
  })
  .meta({
    id: 'Course',
    example: {
      object: 'course',
      id: 'crs_01JD3Q8Z7N5K2M4P6R8T0V2X4Y',
      title: 'Mastering TypeScript',
      type: 'course',
      slug: 'mastering-typescript',
      description: {
        type: 'doc',
        content: [{ type: 'paragraph', content: [{ type: 'text', text: 'A comprehensive guide.' }] }],
      },
      descriptionHtml: '<p>A comprehensive guide.</p>',
      shortDescription: 'Learn TypeScript from scratch',
      thumbnailUrl: null,
      thumbnailMediaId: null,
      featuredImage: null,
      trailerUrl: null,
      level: 'intermediate',
      categoryId: null,
      tags: ['typescript'],
      authors: ['Jane Doe'],
      externalId: null,
      customFields: {},
      source: null,
      privacy: 'public',
      status: 'published',
      isFree: false,
      price: 4999,
      currency: 'USD',
      defaultPaymentPlanId: PLAN_EXAMPLE.id,
      publishedAt: '2026-11-22T10:05:00.000Z',
      sections: [SECTION_EXAMPLE],
      unsectionedLessons: [],
      createdAt: '2026-11-22T10:00:00.000Z',
      updatedAt: '2026-11-22T10:05:00.000Z',
    },
  });

export type Course = z.output<typeof CourseSchema>;
export const CourseListSchema = z.object({ data: z.array(CourseSchema), pagination: PaginationSchema });
export type CourseList = z.output<typeof CourseListSchema>;
/** The parts of one course are listed whole, as a single page of the standard list shape. */
export const PaymentPlanListSchema = z.object({ data: z.array(PaymentPlanSchema), pagination: PaginationSchema });
export const SectionListSchema = z.object({ data: z.array(SectionSchema), pagination: PaginationSchema });
export const LessonListSchema = z.object({ data: z.array(LessonSchema), pagination: PaginationSchema });
export type Lesson = z.output<typeof LessonSchema>;
export type Section = z.output<typeof SectionSchema>;
export type PaymentPlan = z.output<typeof PaymentPlanSchema>;
export type LessonList = z.output<typeof LessonListSchema>;
export type SectionList = z.output<typeof SectionListSchema>;
export type PaymentPlanList = z.output<typeof PaymentPlanListSchema>;

// ---------- queries and params ----------

export const COURSE_INCLUDES = ['lessons.content', 'lessons.media', 'paymentPlans', 'category', 'instructors'] as const;
export const COURSE_FIELD_TYPES = [
  'courses',
  'sections',
  'lessons',
  'paymentPlans',
  'categories',
  'instructors',
] as const;
export const COURSE_SORTS = ['createdAt', 'updatedAt', 'title'] as const;

export const GetCourseQuerySchema = strictQuery({
  include: z
    .string()
    .optional()
    .meta({ description: `Comma-separated: ${COURSE_INCLUDES.join(', ')}.` }),
}).meta({
  description: 'Also fields[courses|sections|lessons|paymentPlans|categories|instructors]=a,b to trim each type.',
});

export const ListCoursesQuerySchema = strictQuery({
  ...PaginationQuerySchema.shape,
  search: z.string().max(255).optional().meta({ description: 'Matches the title (case-insensitive).' }),
  status: z.enum(['published', 'draft', 'archived', 'all']).default('all'),
  type: z.enum(COURSE_TYPES).optional(),
  tag: z.string().max(50).optional(),
  categoryId: z.string().max(64).optional(),
  externalId: z.string().max(255).optional(),
  sort: z
    .string()
    .optional()
    .meta({ description: 'createdAt, updatedAt, title; prefix - for descending. Default -createdAt.' }),
}).meta({ description: 'Also fields[courses]=a,b.' });

export type ListCoursesQuery = z.infer<typeof ListCoursesQuerySchema>;

export const DeleteCourseQuerySchema = strictQuery({ force: z.enum(['true', 'false']).optional() });

export const CourseParamsSchema = z.object({ id: z.string() });
export const SectionParamsSchema = z.object({ id: z.string(), sectionId: z.string() });
export const LessonParamsSchema = z.object({ id: z.string(), lessonId: z.string() });
export const NestedLessonParamsSchema = z.object({ id: z.string(), sectionId: z.string(), lessonId: z.string() });
export const PlanParamsSchema = z.object({ id: z.string(), planId: z.string() });
