import { integer, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Columns every resource table shares. Times have millisecond precision so a value read into a
 * JS Date and sent back (cursors, ETags) compares equal to what is stored.
 */
export const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  /** Bumped by every update; the resource's ETag is derived from it. */
  version: integer('version').notNull().default(1),
};

export const idColumn = () => text('id').primaryKey();
