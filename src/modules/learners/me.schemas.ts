import { z } from 'zod';
import { PaginationQuerySchema, PaginationSchema } from '../../lib/pagination.js';
import { strictQuery } from '../../lib/shape.js';
import { EnrollmentSchema, ProgressInputSchema } from '../enrollments/enrollments.schemas.js';
import { UpdateStudentSchema } from '../users/users.schemas.js';

const id = z.string().min(1).max(64);

// ---------- tokens ----------

export const LEARNER_TOKEN_MINUTES = { min: 5, max: 1440, default: 60 } as const;

export const CreateLearnerTokenSchema = z
  .strictObject({
    expiresInMinutes: z
      .number()
      .int()
      .min(LEARNER_TOKEN_MINUTES.min)
      .max(LEARNER_TOKEN_MINUTES.max)
      .optional()
      .meta({ description: 'Lifetime in minutes, 5–1440 (default 60).' }),
  })
  .optional()
  .meta({ example: { expiresInMinutes: 60 } });

export const LearnerTokenSchema = z
  .object({
    object: z.literal('learner_token'),
    id: z.string(),
    studentId: z.string(),
    token: z.string().meta({ description: 'slt_…: shown only in this response; only its hash is stored.' }),
    expiresAt: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'LearnerToken' });
export type LearnerToken = z.infer<typeof LearnerTokenSchema>;

export const StudentParamsSchema = z.object({ id: z.string() });

// ---------- the student ----------

export const MeSchema = z
  .object({
    object: z.literal('student'),
    id: z.string(),
    name: z.string(),
    email: z.string(),
    avatarUrl: z.string().nullable(),
    bio: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Me' });

export const UpdateMeSchema = UpdateStudentSchema.pick({ name: true, avatarUrl: true, bio: true })
  .refine((v) => Object.keys(v).length > 0, 'Send at least one of name, avatarUrl, bio.')
  .meta({ example: { name: 'Jane Doe', bio: 'Learning Rust.' } });

// ---------- enrollments ----------

const ProgressSummarySchema = z.object({
  percent: z.number().int().meta({ description: 'Rounded down: 100 only when every lesson is completed.' }),
  complete: z.boolean(),
  completedLessons: z.number().int(),
  totalLessons: z.number().int(),
});

export const MyEnrollmentSchema = EnrollmentSchema.extend({ progress: ProgressSummarySchema }).meta({
  id: 'MyEnrollment',
});
export const MyEnrollmentListSchema = z.object({ data: z.array(MyEnrollmentSchema), pagination: PaginationSchema });
export const SelfEnrollSchema = z.strictObject({ courseId: id }).meta({ example: { courseId: 'crs_…' } });
export const MyListQuerySchema = strictQuery({
  ...PaginationQuerySchema.shape,
  sort: z.string().optional().meta({ description: 'createdAt (default -createdAt).' }),
});

// ---------- courses and lessons ----------

export const CourseLessonParamsSchema = z.object({ courseId: z.string(), lessonId: z.string() });
export const CourseParamsSchema = z.object({ courseId: z.string() });

const lessonOutline = {
  object: z.literal('lesson'),
  id: z.string(),
  courseId: z.string(),
  sectionId: z.string().nullable(),
  title: z.string(),
  type: z.string(),
  position: z.number().int(),
  summary: z.string().nullable(),
  duration: z.number().int().nullable(),
  isPreview: z.boolean(),
  completion: z.object({ type: z.string() }),
  locked: z.boolean(),
  unlocksAt: z.string().nullable(),
  completed: z.boolean(),
};
export const OutlineLessonSchema = z.object(lessonOutline).meta({ id: 'OutlineLesson' });

export const MyCourseSchema = z
  .object({
    object: z.literal('learner_course'),
    id: z.string(),
    title: z.string(),
    slug: z.string(),
    shortDescription: z.string().nullable(),
    description: z.record(z.string(), z.unknown()).nullable(),
    descriptionHtml: z.string().nullable(),
    thumbnailUrl: z.string().nullable(),
    level: z.string().nullable(),
    enrolled: z.boolean().meta({ description: 'false: a published course seen for its preview lessons only.' }),
    enrollmentId: z.string().nullable(),
    progress: ProgressSummarySchema.nullable(),
    sections: z.array(
      z.object({
        object: z.literal('section'),
        id: z.string(),
        title: z.string(),
        description: z.record(z.string(), z.unknown()).nullable(),
        descriptionHtml: z.string().nullable(),
        position: z.number().int(),
        lessons: z.array(OutlineLessonSchema),
      }),
    ),
    unsectionedLessons: z.array(OutlineLessonSchema),
  })
  .meta({ id: 'LearnerCourse' });

/** A quiz as a learner sees it: questions and options, never which options are correct. */
export const LearnerQuizSchema = z
  .object({
    questions: z.array(z.object({ text: z.string(), options: z.array(z.object({ text: z.string() })) })),
    passingScore: z.number(),
  })
  .meta({ id: 'LearnerQuiz' });

export const MyLessonSchema = z
  .object({
    ...lessonOutline,
    downloadable: z.boolean(),
    videoUrl: z.string().nullable(),
    videoMeta: z.record(z.string(), z.unknown()).nullable(),
    thumbnailUrl: z.string().nullable(),
    content: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: 'The rich-text document (null for quizzes: see quiz).' }),
    contentHtml: z.string().nullable(),
    quiz: LearnerQuizSchema.nullable().meta({ description: 'Quiz lessons: the questions without the answers.' }),
    media: z
      .object({
        object: z.literal('media'),
        id: z.string(),
        fileName: z.string(),
        mimeType: z.string(),
        size: z.number().int(),
        duration: z.number().nullable(),
        url: z.string().nullable(),
        urlExpiresAt: z.string().nullable(),
      })
      .nullable()
      .meta({ description: 'Media lessons: the file with a short-lived signed download URL.' }),
  })
  .meta({ id: 'LearnerLesson' });

export const MyProgressInputSchema = z
  .strictObject({
    completed: ProgressInputSchema.shape.completed
      .optional()
      .meta({ description: 'Default: true when answers are sent, else false.' }),
    watchedSeconds: ProgressInputSchema.shape.watchedSeconds,
    answers: ProgressInputSchema.shape.answers,
  })
  .refine((v) => Object.keys(v).length > 0, 'Send completed, watchedSeconds or answers.')
  .meta({ example: { completed: true, watchedSeconds: 560 } });
export type MyProgressInput = z.infer<typeof MyProgressInputSchema>;

export const MyProgressResultSchema = z
  .object({
    object: z.literal('lesson_progress'),
    courseId: z.string(),
    lessonId: z.string(),
    enrollmentId: z.string(),
    completed: z.boolean(),
    completedAt: z.string().nullable(),
    watchedSeconds: z.number().int(),
    progress: ProgressSummarySchema,
    quiz: z
      .object({
        attemptId: z.string(),
        score: z.number().int(),
        passed: z.boolean(),
        passingScore: z.number(),
        questions: z.array(z.object({ index: z.number().int(), correct: z.boolean() })),
      })
      .nullable()
      .meta({ description: 'After answers: the attempt, and per question whether it was answered right.' }),
  })
  .meta({ id: 'LearnerProgress' });
