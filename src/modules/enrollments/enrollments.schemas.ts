import { z } from 'zod';
import { PaginationQuerySchema, PaginationSchema } from '../../lib/pagination.js';
import { strictQuery } from '../../lib/shape.js';
import { limitedArray } from '../../lib/validation.js';

const id = z.string().min(1).max(64);

export const CreateEnrollmentSchema = z
  .strictObject({ studentId: id, courseId: id })
  .meta({ example: { studentId: 'usr_…', courseId: 'crs_…' } });
export type CreateEnrollment = z.infer<typeof CreateEnrollmentSchema>;

/** A bulk request's size (API.md §1 Limits). */
export const MAX_BULK_ENROLLMENTS = 1000;

export const BulkEnrollmentSchema = z
  .strictObject({
    enrollments: limitedArray(
      z
        .array(
          z
            .strictObject({ studentId: id.optional(), email: z.email().optional(), courseId: id })
            .refine(
              (e) => (e.studentId === undefined) !== (e.email === undefined),
              'Give studentId or email (one of them).',
            ),
        )
        .min(1),
      MAX_BULK_ENROLLMENTS,
      'enrollments',
    ).meta({
      description: `At most ${MAX_BULK_ENROLLMENTS} per request; more is refused before any is looked at (400, code too_many_items).`,
    }),
  })
  .meta({
    example: {
      enrollments: [
        { studentId: 'usr_…', courseId: 'crs_…' },
        { email: 'jane@example.com', courseId: 'crs_…' },
      ],
    },
  });
export type BulkEnrollment = z.infer<typeof BulkEnrollmentSchema>;

export const EnrollmentSchema = z
  .object({
    object: z.literal('enrollment'),
    id: z.string(),
    studentId: z.string(),
    courseId: z.string(),
    enrolledAt: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Enrollment' });
export type Enrollment = z.infer<typeof EnrollmentSchema>;

export const ProgressInputSchema = z
  .strictObject({
    lessonId: id,
    completed: z.boolean(),
    watchedSeconds: z.number().int().min(0).max(10_000_000).optional(),
    answers: z
      .array(z.array(z.number().int().min(0).max(100)).max(100))
      .max(500)
      .optional()
      .meta({ description: 'Quiz: the chosen option indexes, one array per question.' }),
  })
  .meta({ example: { lessonId: 'les_…', completed: true, watchedSeconds: 560 } });

const LessonProgressSchema = z.object({
  lessonId: z.string(),
  completed: z.boolean(),
  completedAt: z.string().nullable(),
  watchedSeconds: z.number().int(),
  locked: z.boolean(),
  unlocksAt: z.string().nullable(),
});
export const ProgressSchema = z.object({
  percent: z.number().int().meta({ description: 'Rounded down: 100 only when every published lesson is completed.' }),
  complete: z.boolean(),
  completedLessons: z.number().int(),
  totalLessons: z.number().int(),
  lessons: z.array(LessonProgressSchema),
});
const AttemptSchema = z.object({
  id: z.string(),
  lessonId: z.string(),
  answers: z.array(z.array(z.number())),
  score: z.number().int(),
  passed: z.boolean(),
  createdAt: z.string(),
});
export const EnrollmentWithProgressSchema = EnrollmentSchema.extend({
  progress: ProgressSchema,
  quizAttempts: z.array(AttemptSchema).meta({
    description:
      'The newest 10 attempts of each quiz lesson, oldest first (older attempts stay stored, and count for nothing: a lesson passed once stays completed).',
  }),
  lastAttempt: AttemptSchema.omit({ answers: true })
    .nullable()
    .optional()
    .meta({ description: 'On PATCH with answers: the attempt just made.' }),
}).meta({ id: 'EnrollmentWithProgress' });

export const CertificateSchema = z
  .object({
    object: z.literal('certificate'),
    id: z.string(),
    code: z.string(),
    verifyUrl: z.string(),
    studentId: z.string().nullable(),
    courseId: z.string().nullable(),
    studentName: z.string(),
    courseTitle: z.string(),
    schoolName: z.string(),
    issuedAt: z.string(),
    revokedAt: z.string().nullable().meta({ description: 'When the certificate was revoked; null while it is valid.' }),
    revocationReason: z.string().nullable().meta({ description: 'The reason given when it was revoked.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Certificate' });
export const RevokeCertificateSchema = z.object({
  reason: z.string().trim().min(1).max(500).meta({ description: 'Why the certificate is revoked (shown by /verify).' }),
});
export const CertificateListSchema = z.object({ data: z.array(CertificateSchema), pagination: PaginationSchema });
export const ListCertificatesQuerySchema = strictQuery({
  ...PaginationQuerySchema.shape,
  studentId: z.string().max(64).optional(),
  courseId: z.string().max(64).optional(),
  sort: z.string().optional(),
});
export const VerifySchema = z.object({
  valid: z.boolean().meta({ description: 'False once the certificate was revoked.' }),
  code: z.string(),
  studentName: z.string(),
  courseTitle: z.string(),
  schoolName: z.string(),
  issuedAt: z.string(),
  revokedAt: z.string().nullable(),
  reason: z.string().nullable().meta({ description: 'The revocation reason; null while valid.' }),
});
export const ActivitySchema = z.object({
  currentStreak: z.number().int(),
  longestStreak: z.number().int(),
  days: z.array(z.string()),
});
export const AchievementListSchema = z.object({
  data: z.array(
    z.object({
      object: z.literal('achievement'),
      code: z.string(),
      courseId: z.string().nullable(),
      awardedAt: z.string(),
    }),
  ),
});

export const EnrollmentListSchema = z.object({ data: z.array(EnrollmentSchema), pagination: PaginationSchema });

export const BulkResultSchema = z.object({
  results: z.array(
    z.object({
      index: z.number().int(),
      status: z.enum(['created', 'exists', 'failed']),
      enrollment: EnrollmentSchema.optional(),
      error: z.object({ error: z.string(), message: z.string() }).optional(),
    }),
  ),
});

export const ListEnrollmentsQuerySchema = strictQuery({
  ...PaginationQuerySchema.shape,
  studentId: z.string().max(64).optional(),
  courseId: z.string().max(64).optional(),
  sort: z.string().optional().meta({ description: 'createdAt (default -createdAt).' }),
});
export const EnrollmentParamsSchema = z.object({ id: z.string() });
