import { z } from 'zod';
import { PaginationSchema } from '../../lib/pagination.js';
import { EVENT_TYPES } from '../events/events.schemas.js';

/** Types an endpoint can subscribe to: every event type, or `*`. */
const SubscriptionSchema = z.enum(['*', ...EVENT_TYPES]);

const fields = {
  url: z.string().trim().min(1).max(2048).meta({
    description:
      'Where events are POSTed: https, or http only to hosts the operator allows (OUTBOUND_ALLOW_HOSTS). Private, loopback and link-local addresses are refused unless allowed.',
  }),
  events: z
    .array(SubscriptionSchema)
    .min(1)
    .max(EVENT_TYPES.length + 1)
    .meta({
      description:
        'Event types to receive, or `["*"]` for all. `*`, `student.*` and `community.member.added` carry emails: subscribing to them needs `students:read` too (else 403, `missing_scope`).',
    }),
  description: z.string().trim().max(500).nullable(),
  enabled: z.boolean().meta({ description: 'Disabled endpoints receive nothing (set again to true to resume).' }),
};

export const CreateWebhookSchema = z
  .strictObject({
    url: fields.url,
    events: fields.events,
    description: fields.description.optional(),
    enabled: fields.enabled.optional(),
  })
  .meta({ example: { url: 'https://example.com/hooks/syllabus', events: ['course.published', 'enrollment.created'] } });
export type CreateWebhook = z.infer<typeof CreateWebhookSchema>;

export const UpdateWebhookSchema = z
  .strictObject(fields)
  .partial()
  .meta({ example: { events: ['*'], enabled: true } });
export type UpdateWebhook = z.infer<typeof UpdateWebhookSchema>;

const webhookShape = {
  object: z.literal('webhook'),
  id: z.string(),
  url: z.string(),
  events: z.array(SubscriptionSchema),
  description: z.string().nullable(),
  enabled: z.boolean(),
  /** Until then deliveries are signed with the previous secret too (after a rotation). */
  previousSecretExpiresAt: z
    .string()
    .nullable()
    .meta({ description: 'After a rotation: until then, deliveries carry a signature with the previous secret too.' }),
  createdAt: z.string(),
  updatedAt: z.string(),
};
const example = {
  object: 'webhook',
  id: 'whk_01JD3Q8Z7N0000000000000000',
  url: 'https://example.com/hooks/syllabus',
  events: ['course.published', 'enrollment.created'],
  description: null,
  enabled: true,
  previousSecretExpiresAt: null,
  createdAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-22T10:00:00.000Z',
};

export const WebhookSchema = z.object(webhookShape).meta({ id: 'Webhook', example });
export type Webhook = z.infer<typeof WebhookSchema>;

export const WebhookWithSecretSchema = z
  .object({
    ...webhookShape,
    secret: z.string().meta({
      description: 'The signing secret (Standard Webhooks, `whsec_…`). Shown only in this response: keep it.',
    }),
  })
  .meta({ id: 'WebhookWithSecret', example: { ...example, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } });

export const WebhookListSchema = z.object({ data: z.array(WebhookSchema), pagination: PaginationSchema });

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

export const DeliverySchema = z
  .object({
    object: z.literal('webhook_delivery'),
    id: z.string(),
    webhookId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastResponseStatus: z.number().int().nullable().meta({ description: 'HTTP status of the last answer, if any.' }),
    lastError: z.string().nullable().meta({ description: 'Why the last attempt failed (no answer, or not 2xx).' }),
    lastAttemptAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable().meta({ description: 'When the next attempt is due, while pending.' }),
    createdAt: z.string(),
  })
  .meta({
    id: 'WebhookDelivery',
    example: {
      object: 'webhook_delivery',
      id: 'dlv_01JD3Q8Z7N0000000000000000',
      webhookId: 'whk_01JD3Q8Z7N0000000000000000',
      eventId: 'evt_01JD3Q8Z7N0000000000000000',
      eventType: 'course.published',
      status: 'pending',
      attempts: 2,
      lastResponseStatus: 503,
      lastError: 'HTTP 503',
      lastAttemptAt: '2026-11-22T10:00:20.000Z',
      nextAttemptAt: '2026-11-22T10:01:00.000Z',
      createdAt: '2026-11-22T10:00:00.000Z',
    },
  });
export type Delivery = z.infer<typeof DeliverySchema>;

export const DeliveryListSchema = z.object({ data: z.array(DeliverySchema), pagination: PaginationSchema });

const limit = z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'Items per page, 1–100.' });
const cursor = z.string().min(1).max(512).optional().meta({ description: 'nextCursor from the previous page.' });

export const ListWebhooksQuerySchema = z.strictObject({ limit, cursor });
export type ListWebhooksQuery = z.infer<typeof ListWebhooksQuerySchema>;

export const ListDeliveriesQuerySchema = z.strictObject({
  limit,
  cursor,
  status: z.enum(DELIVERY_STATUSES).optional().meta({ description: 'Only deliveries in this state.' }),
});
export type ListDeliveriesQuery = z.infer<typeof ListDeliveriesQuerySchema>;

export const WebhookParamsSchema = z.object({ id: z.string() });
export const DeliveryParamsSchema = z.object({ id: z.string(), deliveryId: z.string() });
