import { integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { schoolIdColumn } from './schools.js';

/**
 * One row per (school, Idempotency-Key). The row is inserted before the handler runs, which makes
 * it the lock that turns a concurrent duplicate into 409; the response is saved when it is sent.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    schoolId: schoolIdColumn(),
    key: text('key').notNull(),
    /** SHA-256 of method, route and body: a retry must match it. */
    fingerprint: text('fingerprint').notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    responseHeaders: jsonb('response_headers').$type<Record<string, string>>(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [primaryKey({ columns: [t.schoolId, t.key] })],
);
