import {
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from './columns.js';
import { courses, lessons } from './courses.js';
import { enrollments } from './enrollments.js';
import { schoolIdColumn, schools } from './schools.js';
import { users } from './users.js';

const at = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/** A learner's state in one lesson of an enrollment. */
export const lessonProgress = pgTable(
  'lesson_progress',
  {
    schoolId: schoolIdColumn(),
    enrollmentId: text('enrollment_id')
      .notNull()
      .references(() => enrollments.id, { onDelete: 'cascade' }),
    lessonId: text('lesson_id')
      .notNull()
      .references(() => lessons.id, { onDelete: 'cascade' }),
    completedAt: at('completed_at'),
    watchedSeconds: integer('watched_seconds').notNull().default(0),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.enrollmentId, t.lessonId] })],
);

/** Every quiz attempt, passed or not. */
export const quizAttempts = pgTable(
  'quiz_attempts',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    enrollmentId: text('enrollment_id')
      .notNull()
      .references(() => enrollments.id, { onDelete: 'cascade' }),
    lessonId: text('lesson_id')
      .notNull()
      .references(() => lessons.id, { onDelete: 'cascade' }),
    answers: jsonb('answers').$type<number[][]>().notNull(),
    score: integer('score').notNull(),
    passed: boolean('passed').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('quiz_attempts_enrollment_idx').on(t.enrollmentId, t.lessonId, t.createdAt)],
);

/** Days (in the school's time zone) on which a student completed something: streaks. */
export const learningDays = pgTable(
  'learning_days',
  {
    schoolId: schoolIdColumn(),
    studentId: text('student_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.studentId, t.day] })],
);

export const achievements = pgTable(
  'achievements',
  {
    schoolId: schoolIdColumn(),
    studentId: text('student_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    code: text('code').notNull(),
    courseId: text('course_id').references(() => courses.id, { onDelete: 'set null' }),
    awardedAt: at('awarded_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.studentId, t.code] })],
);

/**
 * A certificate keeps the names it prints (student, course, school), so it stays valid and
 * verifiable after the student or course is deleted.
 */
export const certificates = pgTable(
  'certificates',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    studentId: text('student_id').references(() => users.id, { onDelete: 'set null' }),
    courseId: text('course_id').references(() => courses.id, { onDelete: 'set null' }),
    code: text('code').notNull(),
    studentName: text('student_name').notNull(),
    courseTitle: text('course_title').notNull(),
    schoolName: text('school_name').notNull(),
    issuedAt: at('issued_at').notNull().defaultNow(),
    /** Set once by POST /certificates/{id}/revoke; a revoked certificate stays revoked. */
    revokedAt: at('revoked_at'),
    revocationReason: text('revocation_reason'),
    /**
     * The certificate's position in its school's revocation status lists (Bitstring Status List),
     * numbered from 0 per school by certificate_status_counters.
     */
    statusIndex: integer('status_index').notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('certificates_code_uq').on(t.code),
    uniqueIndex('certificates_once_uq').on(t.studentId, t.courseId),
    uniqueIndex('certificates_status_index_uq').on(t.schoolId, t.statusIndex),
    index('certificates_school_created_idx').on(t.schoolId, t.createdAt, t.id),
  ],
);

/** The next status-list index of each school's certificates (the row lock orders concurrent issues). */
export const certificateStatusCounters = pgTable('certificate_status_counters', {
  schoolId: text('school_id')
    .primaryKey()
    .references(() => schools.id, { onDelete: 'cascade' }),
  nextIndex: integer('next_index').notNull(),
});

/**
 * Each school's Ed25519 key that signs its Open Badges credentials: made on first use, one per
 * school (the unique index lets the first writer win), the private JWK sealed with ENCRYPTION_KEY.
 */
export const issuerKeys = pgTable(
  'issuer_keys',
  {
    kid: text('kid').primaryKey(),
    schoolId: schoolIdColumn(),
    publicJwk: jsonb('public_jwk').$type<Record<string, string>>().notNull(),
    privateJwkSealed: text('private_jwk_sealed').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('issuer_keys_school_uq').on(t.schoolId)],
);
