import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from './columns.js';
import { schoolIdColumn } from './schools.js';
import { users } from './users.js';

export const memberRole = pgEnum('community_member_role', ['member', 'moderator', 'admin']);
export const communityMediaType = pgEnum('community_media_type', ['video', 'file', 'image']);

export const communities = pgTable(
  'communities',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    description: text('description'),
    coverImageUrl: text('cover_image_url'),
    isFree: boolean('is_free').notNull().default(true),
    price: integer('price').notNull().default(0),
    isPublic: boolean('is_public').notNull().default(true),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('communities_school_slug_uq').on(t.schoolId, t.slug),
    index('communities_school_created_idx').on(t.schoolId, t.createdAt, t.id),
  ],
);

export const communityMembers = pgTable(
  'community_members',
  {
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: memberRole('role').notNull().default('member'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('community_members_member_uq').on(t.communityId, t.userId)],
);

/** Authors are kept as ids; a removed member's posts stay (a deleted user's lose the author). */
export const threads = pgTable(
  'threads',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    title: text('title').notNull(),
    /** As written (plain text or Markdown); contentHtml is its sanitised rendering. */
    content: text('content').notNull(),
    contentHtml: text('content_html').notNull(),
    pinned: boolean('pinned').notNull().default(false),
    commentCount: integer('comment_count').notNull().default(0),
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    ...timestamps,
  },
  (t) => [
    index('threads_community_order_idx').on(
      t.communityId,
      sql`${t.pinned} DESC`,
      sql`${t.createdAt} DESC`,
      sql`${t.id} DESC`,
    ),
  ],
);

export const comments = pgTable(
  'comments',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    threadId: text('thread_id')
      .notNull()
      .references(() => threads.id, { onDelete: 'cascade' }),
    /** A reply's parent; deleting a comment deletes its replies. */
    parentId: text('parent_id').references((): AnyPgColumn => comments.id, { onDelete: 'cascade' }),
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    content: text('content').notNull(),
    contentHtml: text('content_html').notNull(),
    ...timestamps,
  },
  (t) => [
    index('comments_thread_created_idx').on(t.threadId, t.createdAt, t.id),
    index('comments_parent_idx').on(t.parentId),
  ],
);

export const communityMedia = pgTable(
  'community_media',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    type: communityMediaType('type').notNull(),
    title: text('title').notNull(),
    url: text('url').notNull(),
    fileName: text('file_name').notNull(),
    fileSize: bigint('file_size', { mode: 'number' }).notNull(),
    mimeType: text('mime_type'),
    thumbnailUrl: text('thumbnail_url'),
    duration: integer('duration'),
    description: text('description'),
    ...timestamps,
  },
  (t) => [index('community_media_community_idx').on(t.communityId, t.createdAt, t.id)],
);
