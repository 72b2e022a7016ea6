import type { Db, DbOrTx } from '../../db/client.js';
import { enqueue, TASKS } from '../../jobs/queue.js';
import { AppError, notFound } from '../../lib/errors.js';
import { isId, newId } from '../../lib/ids.js';
import { currentActor } from '../../lib/request-context.js';
import * as repo from './events.repo.js';
import {
  EVENT_API_VERSION,
  EVENT_RETENTION_DAYS,
  type Event,
  type EventType,
  type ListEventsQuery,
} from './events.schemas.js';

export type RecordEvent = {
  schoolId: string;
  type: EventType;
  /** The resource as GET returns it. */
  object: Record<string, unknown>;
  /** On updates: the changed fields with their old values. */
  previousAttributes?: Record<string, unknown> | undefined;
  /** Deliver to this endpoint only (webhook.test). */
  webhookId?: string | undefined;
};

export function presentEvent(row: repo.EventRow): Event {
  return {
    object: 'event',
    id: row.id,
    type: row.type as EventType,
    createdAt: row.createdAt.toISOString(),
    apiVersion: row.apiVersion,
    actor: { type: row.actorType, id: row.actorId },
    data: row.data,
  };
}

/** The cursor of GET /events: an opaque (transaction, id) position. */
const encodePosition = (row: repo.EventRow) => Buffer.from(`${row.txId}.${row.id}`).toString('base64url');

function decodePosition(cursor: string): repo.EventPosition {
  const [txId, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('.');
  if (txId && /^\d{1,20}$/.test(txId) && id && isId('event', id)) return { txId, id };
  throw new AppError('invalid_cursor', 'The cursor is not one this list issued; start again without it.', [
    { path: 'after', message: 'Invalid cursor.' },
  ]);
}

/**
 * Events (API.md §2): the outbox every change writes in its own transaction. `record` is what other
 * services call, with their transaction: the event row and the job that fans it out to webhooks
 * commit together with the change, or not at all.
 */
export function createEventService({ db }: { db: Db }) {
  return {
    async record(tx: DbOrTx, input: RecordEvent): Promise<Event> {
      const actor = currentActor();
      const row = await repo.insertEvent(tx, input.schoolId, {
        id: newId('event'),
        type: input.type,
        apiVersion: EVENT_API_VERSION,
        actorType: actor.type,
        actorId: actor.id,
        data: {
          object: input.object,
          ...(input.previousAttributes ? { previousAttributes: input.previousAttributes } : {}),
        },
        webhookId: input.webhookId ?? null,
      });
      await enqueue(tx, { task: TASKS.fanOut, payload: { schoolId: input.schoolId, eventId: row.id } });
      return presentEvent(row);
    },

    async get(schoolId: string, id: string): Promise<Event> {
      const row = isId('event', id) ? await repo.findEvent(db, schoolId, id, EVENT_RETENTION_DAYS) : undefined;
      if (!row) throw notFound('Event');
      return presentEvent(row);
    },

    async list(schoolId: string, query: ListEventsQuery) {
      const rows = await repo.listEvents(db, schoolId, {
        type: query.type,
        after: query.after === undefined ? undefined : decodePosition(query.after),
        limit: query.limit + 1,
        retentionDays: EVENT_RETENTION_DAYS,
      });
      const hasMore = rows.length > query.limit;
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        data: page.map(presentEvent),
        pagination: {
          page: null,
          limit: query.limit,
          total: null,
          totalPages: null,
          hasMore,
          // Also on the last page: the position to poll from for newer events.
          nextCursor: last ? encodePosition(last) : (query.after ?? null),
        },
      };
    },

    /** The event, locked, while its deliveries are created; undefined once that is done. */
    lockForFanOut(tx: DbOrTx, schoolId: string, id: string) {
      return repo.lockEventForFanOut(tx, schoolId, id);
    },

    markFannedOut(tx: DbOrTx, schoolId: string, id: string) {
      return repo.markFannedOut(tx, schoolId, id);
    },

    /** The event as delivered (the webhook body), within the retention window. */
    async forDelivery(schoolId: string, id: string): Promise<Event | undefined> {
      const row = await repo.findEvent(db, schoolId, id, EVENT_RETENTION_DAYS);
      return row ? presentEvent(row) : undefined;
    },
  };
}
export type EventService = ReturnType<typeof createEventService>;
