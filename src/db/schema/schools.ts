import { bigint, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from './columns.js';

export type CustomFieldDefinition = { key: string; label: string; type: 'text' | 'number' | 'boolean' | 'date' };

/** A tenant. Every other row belongs to exactly one school. */
export const schools = pgTable('schools', {
  id: idColumn(),
  name: text('name').notNull(),
  currency: text('currency').notNull().default('USD'),
  timezone: text('timezone').notNull().default('UTC'),
  customFields: jsonb('custom_fields').$type<CustomFieldDefinition[]>().notNull().default([]),
  /** Per-school override of the global RATE_LIMIT_PER_MINUTE; null uses the global one. */
  rateLimitPerMinute: integer('rate_limit_per_minute'),
  /** Per-school overrides of MEDIA_QUOTA_BYTES and MAX_UPLOAD_BYTES; null uses the global ones. */
  mediaQuotaBytes: bigint('media_quota_bytes', { mode: 'number' }),
  maxUploadBytes: bigint('max_upload_bytes', { mode: 'number' }),
  ...timestamps,
});

/** The tenant column every resource table has: deleting a school deletes everything it owns. */
export const schoolIdColumn = () =>
  text('school_id')
    .notNull()
    .references(() => schools.id, { onDelete: 'cascade' });
