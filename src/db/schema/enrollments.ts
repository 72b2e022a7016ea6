import { index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from './columns.js';
import { courses } from './courses.js';
import { schoolIdColumn } from './schools.js';
import { users } from './users.js';

/** A learner in a course. One per (student, course): the unique index makes double enrolment impossible. */
export const enrollments = pgTable(
  'enrollments',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    studentId: text('student_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    courseId: text('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('enrollments_student_course_uq').on(t.studentId, t.courseId),
    index('enrollments_course_idx').on(t.courseId, t.createdAt, t.id),
    index('enrollments_school_created_idx').on(t.schoolId, t.createdAt, t.id),
  ],
);
