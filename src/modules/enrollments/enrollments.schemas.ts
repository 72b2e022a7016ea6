import { z } from 'zod';
import { PaginationQuerySchema, PaginationSchema } from '../../lib/pagination.js';
import { strictQuery } from '../../lib/shape.js';

const id = z.string().min(1).max(64);

export const CreateEnrollmentSchema = z.strictObject({ studentId: id, courseId: id }).meta({ example: { studentId: 'usr_…', courseId: 'crs_…' } });
export type CreateEnrollment = z.infer<typeof CreateEnrollmentSchema>;

export const BulkEnrollmentSchema = z
  .strictObject({
    enrollments: z
      .array(
        z
          .strictObject({ studentId: id.optional(), email: z.email().optional(), courseId: id })
          .refine((e) => (e.studentId === undefined) !== (e.email === undefined), 'Give studentId or email (one of them).'),
      )
      .min(1)
      .max(1000),
  })
  .meta({ example: { enrollments: [{ studentId: 'usr_…', courseId: 'crs_…' }, { email: 'jane@example.com', courseId: 'crs_…' }] } });
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
