import { sql } from 'drizzle-orm';
import { index, pgEnum, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from './columns.js';
import { schoolIdColumn } from './schools.js';

export const userRole = pgEnum('user_role', ['owner', 'admin', 'instructor', 'student', 'bot']);

export const users = pgTable(
  'users',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: userRole('role').notNull(),
    passwordHash: text('password_hash'),
    avatarUrl: text('avatar_url'),
    bio: text('bio'),
    externalId: text('external_id'),
    ...timestamps,
  },
  (t) => [
    // Emails are unique per school, case-insensitively.
    uniqueIndex('users_school_email_uq').on(t.schoolId, sql`lower(${t.email})`),
    uniqueIndex('users_school_external_id_uq').on(t.schoolId, t.externalId),
    index('users_email_idx').on(sql`lower(${t.email})`),
    index('users_school_created_idx').on(t.schoolId, t.createdAt, t.id),
  ],
);
