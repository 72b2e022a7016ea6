/**
 * The course document of declarative sync, export and Markdown courses (API.md §2 Courses):
 * course fields, `sections[]` each with its `lessons[]`, `unsectionedLessons[]` and `paymentPlans[]`.
 * Children are matched by their own `externalId` (sections and lessons without one by title, see
 * sync.service.ts); positions come from the array order.
 */
import { z } from 'zod';
import { limitIssue } from '../../lib/validation.js';
import {
  CourseSchema,
  courseAliases,
  courseFields,
  lessonAliases,
  lessonFields,
  MAX_NESTED_LESSONS,
  MAX_NESTED_SECTIONS,
  PaymentPlanSchema,
  planFields,
  sectionAliases,
  sectionFields,
} from './courses.schemas.js';

/** A document holds at most this many payment plans (one active plan per type, two subscriptions). */
export const MAX_DOCUMENT_PLANS = 20;

// ---------- the document (input) ----------

const { sectionId: _sid, position: _lp, order: _lo, removeThumbnail: _rt, ...documentLessonFields } = lessonFields;

/** A lesson of the document: its section and position are where it stands. */
export const DocumentLessonSchema = z
  .strictObject({ ...documentLessonFields, type: lessonFields.type.optional() })
  .partial()
  .required({ title: true })
  .superRefine(lessonAliases);

const { position: _sp, order: _so, prerequisites: _pre, ...documentSectionFields } = sectionFields;

export const DocumentSectionSchema = z
  .strictObject({
    ...documentSectionFields,
    prerequisites: z.array(z.string().trim().min(1).max(255)).max(MAX_NESTED_SECTIONS).meta({
      description: 'Other sections of this document, named by their externalId (or title when they have none).',
    }),
    lessons: z.array(DocumentLessonSchema).max(MAX_NESTED_LESSONS),
  })
  .partial()
  .required({ title: true })
  .superRefine(sectionAliases);

/** A payment plan of the document, matched by its type (and interval for subscriptions). */
export const DocumentPlanSchema = z
  .strictObject({
    ...planFields,
    isDefault: z.boolean().meta({ description: 'At most one plan; without one, the first plan is the default.' }),
  })
  .partial()
  .required({ name: true, type: true })
  .superRefine((p, ctx) => {
    const amount = p.amount ?? (p.type === 'free' ? 0 : undefined);
    if (amount === undefined) ctx.addIssue({ code: 'custom', path: ['amount'], message: 'Required' });
    else if (p.type === 'free' && amount !== 0)
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'A free plan has amount 0.' });
    else if (p.type !== 'free' && amount <= 0)
      ctx.addIssue({ code: 'custom', path: ['amount'], message: `A ${p.type} plan needs an amount above 0.` });
    if (p.type === 'subscription' && !p.interval)
      ctx.addIssue({ code: 'custom', path: ['interval'], message: 'A subscription needs interval month or year.' });
    if (p.type !== 'subscription' && p.interval)
      ctx.addIssue({ code: 'custom', path: ['interval'], message: 'Only subscriptions have an interval.' });
    if (p.type === 'installments' && !p.installments)
      ctx.addIssue({
        code: 'custom',
        path: ['installments'],
        message: 'An installments plan needs installments.count (≥ 2).',
      });
    if (p.type !== 'installments' && p.installments)
      ctx.addIssue({ code: 'custom', path: ['installments'], message: 'Only installments plans have installments.' });
  });

/**
 * Counts sections and lessons (over all sections and `unsectionedLessons`) on the raw input, before
 * anything is validated or converted (API.md §1 Limits, `code: too_many_items`).
 */
function limitDocument(value: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const { sections, unsectionedLessons } = value as { sections?: unknown; unsectionedLessons?: unknown };
  if (Array.isArray(sections) && sections.length > MAX_NESTED_SECTIONS) {
    const message = `At most ${MAX_NESTED_SECTIONS} sections per document; this one has ${sections.length}.`;
    limitIssue(ctx, 'too_many_items', message, ['sections']);
    return value;
  }
  let lessons = Array.isArray(unsectionedLessons) ? unsectionedLessons.length : 0;
  if (Array.isArray(sections)) {
    for (const section of sections) {
      const list = (section as { lessons?: unknown } | null)?.lessons;
      if (Array.isArray(list)) lessons += list.length;
    }
  }
  if (lessons > MAX_NESTED_LESSONS) {
    const message = `At most ${MAX_NESTED_LESSONS} lessons per document (over all sections and unsectionedLessons); this one has ${lessons}.`;
    limitIssue(ctx, 'too_many_items', message, ['sections']);
  }
  return value;
}

const documentObject = z
  .strictObject({
    ...courseFields,
    sections: z.array(DocumentSectionSchema).max(MAX_NESTED_SECTIONS),
    unsectionedLessons: z.array(DocumentLessonSchema).max(MAX_NESTED_LESSONS),
    paymentPlans: z.array(DocumentPlanSchema).max(MAX_DOCUMENT_PLANS),
  })
  .partial()
  .required({ title: true })
  .superRefine((v, ctx) => {
    courseAliases(v, ctx);
    const defaults = (v.paymentPlans ?? []).flatMap((p, i) => (p.isDefault ? [i] : []));
    for (const i of defaults.slice(1))
      ctx.addIssue({
        code: 'custom',
        path: ['paymentPlans', i, 'isDefault'],
        message: 'Only one plan is the default.',
      });
  });

/**
 * The whole course (PUT /courses/by-external-id/{externalId}, syllabus import). A field left out
 * takes its default as on create (null, [], {}, `draft`, …), except `slug`, which is kept (or
 * generated for a new course). Pricing is `paymentPlans[]` (no isFree/price shortcuts).
 */
export const CourseDocumentSchema = z.preprocess(limitDocument, documentObject).meta({
  description: `The whole course. At most ${MAX_NESTED_SECTIONS} sections and ${MAX_NESTED_LESSONS} lessons (over all sections and unsectionedLessons): more is refused before anything is converted (400, code too_many_items). Sections and lessons are matched by externalId (without one: by title within their parent); paymentPlans by type (and interval).`,
  example: {
    title: 'Mastering TypeScript',
    status: 'draft',
    sections: [
      {
        externalId: 'intro',
        title: 'Getting Started',
        lessons: [{ externalId: 'intro-1', title: 'What is TypeScript?', contentMarkdown: '# Hello' }],
      },
    ],
    paymentPlans: [{ name: 'One-time payment', type: 'one_time', amount: 4999 }],
  },
});
/** The document after validation (what the sync service takes). */
export type CourseDocument = z.output<typeof CourseDocumentSchema>;
/** The document as written (JSON, Markdown front matter). */
export type CourseDocumentInput = z.input<typeof documentObject>;
export type DocumentSection = z.output<typeof DocumentSectionSchema>;
export type DocumentLesson = z.output<typeof DocumentLessonSchema>;
export type DocumentPlan = z.output<typeof DocumentPlanSchema>;

export const SyncParamsSchema = z.object({ externalId: z.string().trim().min(1).max(255) });
export const SyncQuerySchema = z.strictObject({
  dryRun: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: 'true: compute the changes without writing anything (200, dryRun: true).' }),
});

// ---------- answers ----------

const ChangeIdsSchema = z.object({
  course: z.array(z.string()),
  sections: z.array(z.string()),
  lessons: z.array(z.string()),
  paymentPlans: z.array(z.string()),
});
export const ChangeSetSchema = z.object({ count: z.number().int(), externalIds: ChangeIdsSchema }).meta({
  description:
    'How many, and which: sections and lessons by externalId (their title when they have none), payment plans by type (subscription:month, subscription:year).',
});
export type ChangeSet = z.output<typeof ChangeSetSchema>;
export const ChangesSchema = z.object({
  created: ChangeSetSchema,
  updated: ChangeSetSchema,
  deleted: ChangeSetSchema,
  unchanged: ChangeSetSchema,
});
export type Changes = z.output<typeof ChangesSchema>;

export const SyncResultSchema = z
  .object({
    course: CourseSchema.nullable().meta({
      description: 'As GET /courses/{id}; on a dry run the course as it stands (null when it does not exist yet).',
    }),
    changes: ChangesSchema,
    dryRun: z.boolean(),
  })
  .meta({ id: 'CourseSyncResult' });

// ---------- the document as exported (GET /courses/{id}/export) ----------

const RichTextDoc = z.record(z.string(), z.unknown()).nullable();
const ExportLessonSchema = z.object({
  externalId: z.string().nullable(),
  title: z.string(),
  type: z.string(),
  summary: z.string().nullable(),
  downloadable: z.boolean(),
  content: RichTextDoc.meta({ description: 'Rich text, or the quiz definition for quiz lessons.' }),
  media: z.object({ mediaId: z.string() }).nullable(),
  videoUrl: z.string().nullable().meta({ description: 'The URL as sent (before conversion to its embed URL).' }),
  duration: z.number().int().nullable(),
  isPreview: z.boolean(),
  status: z.string(),
  unlock: z.record(z.string(), z.unknown()),
  completion: z.record(z.string(), z.unknown()),
  instructorId: z.string().nullable(),
  thumbnailUrl: z.string().nullable(),
});
const ExportSectionSchema = z.object({
  externalId: z.string().nullable(),
  title: z.string(),
  description: RichTextDoc,
  posterImageUrl: z.string().nullable(),
  status: z.string(),
  drip: z.record(z.string(), z.unknown()),
  prerequisites: z.array(z.string()),
  lessons: z.array(ExportLessonSchema),
});
/** A plan as the document holds it: the plan's own fields, without ids, status or timestamps. */
const ExportPlanSchema = PaymentPlanSchema.pick({
  name: true,
  type: true,
  amount: true,
  currency: true,
  interval: true,
  installments: true,
  description: true,
  isDefault: true,
});
export const ExportedCourseSchema = z
  .object({
    externalId: z.string().nullable(),
    title: z.string(),
    type: z.string(),
    slug: z.string(),
    description: RichTextDoc,
    shortDescription: z.string().nullable(),
    thumbnailUrl: z.string().nullable(),
    featuredImage: z
      .object({ mediaId: z.string() })
      .nullable()
      .meta({ description: 'An uploaded course image; null when there is none or it is the copy of thumbnailUrl.' }),
    trailerUrl: z.string().nullable(),
    level: z.string().nullable(),
    categoryId: z.string().nullable(),
    tags: z.array(z.string()),
    authors: z.array(z.string()),
    customFields: z.record(z.string(), z.unknown()),
    source: z.string().nullable(),
    privacy: z.string(),
    status: z.string(),
    sections: z.array(ExportSectionSchema),
    unsectionedLessons: z.array(ExportLessonSchema),
    paymentPlans: z.array(ExportPlanSchema).meta({ description: 'The active plans.' }),
  })
  .meta({ id: 'CourseExport' });
export type ExportedCourse = z.output<typeof ExportedCourseSchema>;

// ---------- bulk create ----------

export const MAX_BULK_COURSES = 100;

export const BulkCreateResultSchema = z
  .object({
    results: z.array(
      z.object({
        index: z.number().int(),
        status: z.enum(['created', 'failed']),
        course: CourseSchema.optional(),
        error: z
          .object({
            error: z.string(),
            message: z.string(),
            details: z
              .array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() }))
              .optional(),
          })
          .optional()
          .meta({ description: 'The error this item alone would have answered; paths are inside the item.' }),
      }),
    ),
  })
  .meta({ id: 'BulkCreateCoursesResult' });
export type BulkCreateResult = z.output<typeof BulkCreateResultSchema>;
