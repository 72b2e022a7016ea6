import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Secrets every instance must share (e.g. the key that signs upload URLs), made once. */
export const instanceSecrets = pgTable('instance_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});
