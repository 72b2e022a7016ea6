import { assertMaySubscribe } from '../../lib/email-visibility.js';
import { defineOperation } from '../../operations/operation.js';
import { EventSchema } from '../events/events.schemas.js';
import {
  CreateWebhookSchema,
  DeliveryListSchema,
  DeliveryParamsSchema,
  DeliverySchema,
  ListDeliveriesQuerySchema,
  ListWebhooksQuerySchema,
  UpdateWebhookSchema,
  WebhookListSchema,
  WebhookParamsSchema,
  WebhookSchema,
  WebhookWithSecretSchema,
} from './webhooks.schemas.js';

const tags = ['Webhooks'];
const read = ['webhooks:read' as const];
const write = ['webhooks:write' as const];

export const webhookOperations = [
  defineOperation({
    operationId: 'createWebhook',
    method: 'POST',
    path: '/webhooks',
    tags,
    summary: 'Create a webhook endpoint (its signing secret is shown once)',
    description:
      'Deliveries follow the Standard Webhooks spec: `webhook-id` (the event id), `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`; the body is the event JSON.',
    scopes: write,
    body: CreateWebhookSchema,
    responses: { 201: WebhookWithSecretSchema },
    replayable: false,
    async run({ principal, services }, { body }) {
      assertMaySubscribe(principal, body.events);
      const { data, etag } = await services.webhooks.create(principal.schoolId, body);
      return { status: 201, body: data, etag, location: `/webhooks/${data.id}` };
    },
  }),
  defineOperation({
    operationId: 'listWebhooks',
    method: 'GET',
    path: '/webhooks',
    tags,
    summary: 'List webhook endpoints (never their secrets)',
    scopes: read,
    query: ListWebhooksQuerySchema,
    responses: { 200: WebhookListSchema },
    async run({ principal, services }, { query }) {
      return { body: await services.webhooks.list(principal.schoolId, query) };
    },
  }),
  defineOperation({
    operationId: 'getWebhook',
    method: 'GET',
    path: '/webhooks/:id',
    tags,
    summary: 'Get a webhook endpoint',
    scopes: read,
    params: WebhookParamsSchema,
    responses: { 200: WebhookSchema },
    async run({ principal, services }, { params }) {
      const { data, etag } = await services.webhooks.get(principal.schoolId, params.id);
      return { body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'updateWebhook',
    method: 'PATCH',
    path: '/webhooks/:id',
    tags,
    summary: 'Update a webhook endpoint (url, events, description, enabled)',
    scopes: write,
    params: WebhookParamsSchema,
    body: UpdateWebhookSchema,
    responses: { 200: WebhookSchema },
    async run({ principal, services, ifMatch }, { params, body }) {
      assertMaySubscribe(principal, body.events);
      const { data, etag } = await services.webhooks.update(principal.schoolId, params.id, body, ifMatch);
      return { body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'deleteWebhook',
    method: 'DELETE',
    path: '/webhooks/:id',
    tags,
    summary: 'Delete a webhook endpoint and its deliveries',
    scopes: write,
    params: WebhookParamsSchema,
    responses: { 204: null },
    async run({ principal, services, ifMatch }, { params }) {
      await services.webhooks.delete(principal.schoolId, params.id, ifMatch);
      return { status: 204, body: null };
    },
  }),
  defineOperation({
    operationId: 'rotateWebhookSecret',
    method: 'POST',
    path: '/webhooks/:id/rotate-secret',
    tags,
    summary: 'Rotate the signing secret (the new one is shown once; the old one signs too for 24 h)',
    scopes: write,
    params: WebhookParamsSchema,
    responses: { 200: WebhookWithSecretSchema },
    replayable: false,
    async run({ principal, services }, { params }) {
      const { data, etag } = await services.webhooks.rotateSecret(principal.schoolId, params.id);
      return { body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'sendWebhookTest',
    method: 'POST',
    path: '/webhooks/:id/test',
    tags,
    summary: 'Send a webhook.test event to this endpoint only',
    description: 'Answers with the recorded event; its delivery appears in the endpoint’s deliveries.',
    scopes: write,
    params: WebhookParamsSchema,
    responses: { 202: EventSchema },
    errors: ['conflict'],
    async run({ principal, services }, { params }) {
      return { status: 202, body: await services.webhooks.sendTest(principal.schoolId, params.id) };
    },
  }),
  defineOperation({
    operationId: 'listWebhookDeliveries',
    method: 'GET',
    path: '/webhooks/:id/deliveries',
    tags,
    summary: 'List an endpoint’s deliveries, newest first',
    scopes: read,
    params: WebhookParamsSchema,
    query: ListDeliveriesQuerySchema,
    responses: { 200: DeliveryListSchema },
    async run({ principal, services }, { params, query }) {
      return { body: await services.webhooks.listDeliveries(principal.schoolId, params.id, query) };
    },
  }),
  defineOperation({
    operationId: 'retryWebhookDelivery',
    method: 'POST',
    path: '/webhooks/:id/deliveries/:deliveryId/retry',
    tags,
    summary: 'Attempt a delivery again now',
    scopes: write,
    params: DeliveryParamsSchema,
    responses: { 202: DeliverySchema },
    errors: ['conflict'],
    async run({ principal, services }, { params }) {
      return {
        status: 202,
        body: await services.webhooks.retryDelivery(principal.schoolId, params.id, params.deliveryId),
      };
    },
  }),
];
