import { index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from './columns.js';
import { schoolIdColumn } from './schools.js';

export const categories = pgTable(
  'categories',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    icon: text('icon'),
    order: integer('order').notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('categories_school_slug_uq').on(t.schoolId, t.slug),
    index('categories_school_order_idx').on(t.schoolId, t.order, t.id),
  ],
);
