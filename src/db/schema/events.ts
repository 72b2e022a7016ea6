import { sql } from 'drizzle-orm';
import { boolean, customType, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from './columns.js';
import { schoolIdColumn } from './schools.js';

/** A 64-bit transaction id (PostgreSQL xid8), read and written as its decimal text. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

const at = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export type EventActor = { type: 'key' | 'session' | 'learner' | 'system'; id: string | null };
export type EventData = { object: Record<string, unknown>; previousAttributes?: Record<string, unknown> };

/**
 * The outbox (API.md §2 Webhooks and events): a row per change, written in the transaction of the
 * change. `txId` is that transaction's id: `GET /events` walks (txId, id), and only shows rows of
 * transactions older than every running one, so a late commit can never slip behind a cursor.
 */
export const events = pgTable(
  'events',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    type: text('type').notNull(),
    apiVersion: text('api_version').notNull(),
    actorType: text('actor_type').$type<EventActor['type']>().notNull(),
    actorId: text('actor_id'),
    data: jsonb('data').$type<EventData>().notNull(),
    /** Only this endpoint receives the event (webhook.test); null: every subscribed endpoint. */
    webhookId: text('webhook_id'),
    txId: xid8('tx_id').notNull().default(sql`pg_current_xact_id()`),
    /** Set once its deliveries exist; a sweep re-queues the fan-out of events left without. */
    fannedOutAt: at('fanned_out_at'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('events_school_tx_idx').on(t.schoolId, t.txId, t.id),
    index('events_school_type_tx_idx').on(t.schoolId, t.type, t.txId, t.id),
    index('events_created_idx').on(t.createdAt),
    index('events_unfanned_idx').on(t.createdAt).where(sql`${t.fannedOutAt} IS NULL`),
  ],
);

/** An endpoint that receives a school's events. The signing secrets are stored encrypted (AES-256-GCM). */
export const webhooks = pgTable(
  'webhooks',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    url: text('url').notNull(),
    /** Event types, or `*` for all. */
    events: text('events').array().notNull(),
    description: text('description'),
    enabled: boolean('enabled').notNull().default(true),
    secret: text('secret').notNull(),
    /** The secret before the last rotation: deliveries are signed with both until it expires. */
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: at('previous_secret_expires_at'),
    /** Start of the current run of failed deliveries (null after any success). */
    failingSince: at('failing_since'),
    ...timestamps,
  },
  (t) => [index('webhooks_school_idx').on(t.schoolId, t.id)],
);

/** One event to one endpoint: its attempts and state. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: idColumn(),
    schoolId: schoolIdColumn(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: text('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    eventType: text('event_type').notNull(),
    status: text('status').$type<'pending' | 'succeeded' | 'failed'>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastResponseStatus: integer('last_response_status'),
    lastError: text('last_error'),
    lastAttemptAt: at('last_attempt_at'),
    nextAttemptAt: at('next_attempt_at'),
    /** While an attempt runs: no other worker may start one before this time. */
    leaseUntil: at('lease_until'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_webhook_event_uq').on(t.webhookId, t.eventId),
    index('webhook_deliveries_school_webhook_idx').on(t.schoolId, t.webhookId, t.id),
    index('webhook_deliveries_event_idx').on(t.eventId),
    index('webhook_deliveries_pending_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
  ],
);
