import { z } from 'zod';
import { PaginationSchema } from '../../lib/pagination.js';

/** Every event type (API.md §2 Webhooks and events); endpoints subscribe to these or to `*`. */
export const EVENT_TYPES = [
  'course.created',
  'course.updated',
  'course.published',
  'course.unpublished',
  'course.deleted',
  'section.created',
  'section.updated',
  'section.deleted',
  'lesson.created',
  'lesson.updated',
  'lesson.deleted',
  'payment_plan.created',
  'payment_plan.updated',
  'payment_plan.archived',
  'student.created',
  'student.updated',
  'student.deleted',
  'enrollment.created',
  'enrollment.deleted',
  'lesson.completed',
  'quiz.attempted',
  'course.completed',
  'certificate.issued',
  'certificate.revoked',
  'achievement.unlocked',
  'community.created',
  'community.thread.created',
  'community.comment.created',
  'community.member.added',
  'media.ready',
  'media.failed',
  'webhook.test',
  'webhook.disabled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Events are kept this long (GET /events, retries); a scheduled job deletes older ones. */
export const EVENT_RETENTION_DAYS = 30;
/** `apiVersion` of every event: the shape of `data.object` is the v1 API's. */
export const EVENT_API_VERSION = 'v1';

export const EventSchema = z
  .object({
    object: z.literal('event'),
    id: z.string(),
    type: z.enum(EVENT_TYPES),
    createdAt: z.string(),
    apiVersion: z.string(),
    actor: z.object({
      type: z.enum(['key', 'session', 'learner', 'system']),
      id: z.string().nullable().meta({ description: 'The API key, user or learner id; null for the system.' }),
    }),
    data: z.object({
      object: z.record(z.string(), z.unknown()).meta({ description: 'The resource as GET returns it.' }),
      previousAttributes: z
        .record(z.string(), z.unknown())
        .optional()
        .meta({ description: 'On updates: the changed fields with their old values.' }),
    }),
  })
  .meta({
    id: 'Event',
    example: {
      object: 'event',
      id: 'evt_01JD3Q8Z7N0000000000000000',
      type: 'course.updated',
      createdAt: '2026-11-22T10:00:00.000Z',
      apiVersion: 'v1',
      actor: { type: 'key', id: 'key_01JD3Q8Z7N0000000000000000' },
      data: {
        object: { object: 'course', id: 'crs_01JD3Q8Z7N0000000000000000', title: 'Intro to SQL' },
        previousAttributes: { title: 'SQL basics' },
      },
    },
  });
export type Event = z.infer<typeof EventSchema>;

export const EventListSchema = z.object({ data: z.array(EventSchema), pagination: PaginationSchema });

export const ListEventsQuerySchema = z.strictObject({
  type: z.enum(EVENT_TYPES).optional().meta({ description: 'Only events of this type.' }),
  after: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .meta({ description: 'pagination.nextCursor of the previous page: the events that came after it, oldest first.' }),
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'Events per page, 1–100.' }),
});
export type ListEventsQuery = z.infer<typeof ListEventsQuerySchema>;

export const EventParamsSchema = z.object({ id: z.string() });
