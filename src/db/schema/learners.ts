import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from './columns.js';
import { schoolIdColumn } from './schools.js';
import { users } from './users.js';

/**
 * Learner tokens (`slt_…`): short-lived bearer tokens that act as one student on the /me routes.
 * Only the SHA-256 of the token is stored; deleting the student deletes its tokens.
 */
export const learnerTokens = pgTable(
  'learner_tokens',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    studentId: text('student_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
    ...timestamps,
  },
  (t) => [index('learner_tokens_school_student_idx').on(t.schoolId, t.studentId)],
);
