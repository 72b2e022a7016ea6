import type { Db, DbOrTx } from '../../db/client.js';
import { TASKS } from '../../jobs/queue.js';
import { AppError, notFound } from '../../lib/errors.js';
import { isId, newId } from '../../lib/ids.js';
import { isRawJson, type RawJson } from '../../lib/raw-json.js';
import { type Actor, currentActor } from '../../lib/request-context.js';
import { timeSlicer } from '../../lib/time-slice.js';
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
  /** The resource as GET returns it (or its JSON text, as the course presenters build it). */
  object: Record<string, unknown> | RawJson<unknown>;
  /** On updates: the changed fields with their old values. */
  previousAttributes?: Record<string, unknown> | undefined;
  /** Deliver to this endpoint only (webhook.test). */
  webhookId?: string | undefined;
  /**
   * Who made the change, when it is not the request this code runs in: writes that share one
   * transaction (group commit) run in the first request's context. Default: the current actor.
   */
  actor?: Actor | undefined;
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
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The next id in string order (the last character that can grow grows; those after it reset). */
function successor(id: string): string {
  const chars = id.split('');
  for (let i = chars.length - 1; i > id.indexOf('_'); i--) {
    const at = CROCKFORD.indexOf(chars[i]!);
    if (at < CROCKFORD.length - 1) {
      chars[i] = CROCKFORD[at + 1]!;
      return chars.join('');
    }
    chars[i] = '0';
  }
  return newId('event');
}

/**
 * Events ids that grow within this process even inside one millisecond: the events of one
 * transaction are listed by id, so course.created comes before the section.created it contains.
 */
function monotonicEventIds() {
  let last = '';
  return () => {
    const id = newId('event');
    last = id > last ? id : successor(last);
    return last;
  };
}

/**
 * Event data per INSERT, in characters: a batch larger than this (a nested import's thousand
 * events) is split, so no one statement takes long to serialise; each adds its own fan-out job.
 */
const STATEMENT_DATA_CHARS = 512 * 1024;

/** Consecutive rows in groups of at most STATEMENT_DATA_CHARS of data (a larger event goes alone). */
function bySize(rows: repo.EventInput[]): repo.EventInput[][] {
  const groups: repo.EventInput[][] = [];
  let chars = Number.POSITIVE_INFINITY; // the first row opens the first group
  for (const row of rows) {
    if (chars + row.dataJson.length > STATEMENT_DATA_CHARS) {
      groups.push([]);
      chars = 0;
    }
    groups[groups.length - 1]!.push(row);
    chars += row.dataJson.length;
  }
  return groups;
}

/** `data` of an event as JSON text: the object spliced in as it is when PostgreSQL built it. */
function dataJson(input: RecordEvent): string {
  const object = isRawJson(input.object) ? input.object.text : JSON.stringify(input.object);
  const previous = input.previousAttributes ? `,"previousAttributes":${JSON.stringify(input.previousAttributes)}` : '';
  return `{"object":${object}${previous}}`;
}

/**
 * Events (API.md §2): the outbox every change writes in its own transaction. `record` and
 * `recordMany` are what other services call, with their transaction: the event rows and the job
 * that fans them out to webhooks commit together with the change, or not at all — in one
 * statement (a few for a large batch), and without a job when no endpoint of the school wants them.
 */
export function createEventService({ db }: { db: Db }) {
  const nextId = monotonicEventIds();

  /** Inserts the events (one statement per school and actor, split when large) and returns them as stored. */
  async function insert(tx: DbOrTx, inputs: RecordEvent[]): Promise<repo.EventRow[]> {
    const current = currentActor();
    // One statement per (school, actor): the actor is a column of the batch.
    const batches = new Map<string, { schoolId: string; actor: Actor; list: RecordEvent[] }>();
    for (const input of inputs) {
      const actor = input.actor ?? current;
      const key = `${input.schoolId} ${actor.type} ${actor.id ?? ''}`;
      const batch = batches.get(key);
      if (batch) batch.list.push(input);
      else batches.set(key, { schoolId: input.schoolId, actor, list: [input] });
    }
    const stored: repo.EventRow[] = [];
    // A nested import records a thousand events (~3 MB of data): serialising them as one
    // statement held the event loop for ~40 ms, so they go in statements of at most
    // STATEMENT_DATA_CHARS, with a turn for other requests between them (API.md §1: never 100 ms).
    const nextSlice = timeSlicer();
    for (const { schoolId, actor, list } of batches.values()) {
      const statement = { apiVersion: EVENT_API_VERSION, actorType: actor.type, actorId: actor.id };
      const rows = list.map((input) => ({
        id: nextId(),
        type: input.type,
        dataJson: dataJson(input),
        webhookId: input.webhookId ?? null,
      }));
      for (const group of bySize(rows)) {
        await nextSlice();
        const written = new Map(
          (await repo.insertEvents(tx, schoolId, statement, group, TASKS.fanOut)).map((w) => [w.id, w]),
        );
        for (const r of group) {
          const w = written.get(r.id)!;
          stored.push({
            id: r.id,
            schoolId,
            type: r.type,
            ...statement,
            // Parsed only when the caller wants the event back (record).
            get data() {
              return JSON.parse(r.dataJson) as repo.EventRow['data'];
            },
            webhookId: r.webhookId,
            txId: w.txId,
            fannedOutAt: w.fannedOutAt,
            createdAt: w.createdAt,
          });
        }
      }
    }
    return stored;
  }

  return {
    /** One event, returned as GET /events/{id} shows it. */
    async record(tx: DbOrTx, input: RecordEvent): Promise<Event> {
      const [row] = await insert(tx, [input]);
      return presentEvent(row!);
    },

    /**
     * Many events in one statement (a nested create: the course, each section, each lesson; a few
     * when their data passes STATEMENT_DATA_CHARS), with one fan-out job per statement, none when
     * no endpoint wants them. Nothing is sent for an empty list.
     */
    async recordMany(tx: DbOrTx, inputs: RecordEvent[]): Promise<void> {
      if (inputs.length === 0) return;
      await insert(tx, inputs);
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
