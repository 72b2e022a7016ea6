import { bigint, index, integer, pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from './columns.js';
import { schoolIdColumn } from './schools.js';

export const mediaStatus = pgEnum('media_status', ['pending', 'ready', 'failed']);

/** An uploaded file: bytes live in the storage driver under `storageKey`. */
export const media = pgTable(
  'media',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    fileName: text('file_name').notNull(),
    mimeType: text('mime_type').notNull(),
    /** Declared size while pending; the stored size once ready. */
    size: bigint('size', { mode: 'number' }).notNull(),
    status: mediaStatus('status').notNull().default('pending'),
    storageKey: text('storage_key').notNull(),
    driver: text('driver').$type<'local' | 's3'>().notNull(),
    /** Why the upload failed (wrong type, too large), for the client. */
    failureReason: text('failure_reason'),
    duration: integer('duration'),
    /** The upload target stops working after this. */
    uploadExpiresAt: timestamp('upload_expires_at', { withTimezone: true, precision: 3 }).notNull(),
    /** Set when an upload is received: the target is single-use. */
    uploadedAt: timestamp('uploaded_at', { withTimezone: true, precision: 3 }),
    ...timestamps,
  },
  (t) => [
    index('media_school_created_idx').on(t.schoolId, t.createdAt, t.id),
    index('media_school_status_idx').on(t.schoolId, t.status),
  ],
);
