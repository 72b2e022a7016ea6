import { defineOperation } from '../../operations/operation.js';
import { EventListSchema, EventParamsSchema, EventSchema, ListEventsQuerySchema } from './events.schemas.js';

const tags = ['Events'];
const read = ['webhooks:read' as const];

export const eventOperations = [
  defineOperation({
    operationId: 'listEvents',
    method: 'GET',
    path: '/events',
    tags,
    summary: 'List events, oldest first after a cursor (kept 30 days)',
    description:
      'An integration that missed webhooks catches up from the last `pagination.nextCursor` it kept: `?after=<nextCursor>`. The last page carries a cursor too, to poll for newer events.',
    scopes: read,
    query: ListEventsQuerySchema,
    responses: { 200: EventListSchema },
    async run({ principal, services }, { query }) {
      return { body: await services.events.list(principal.schoolId, query) };
    },
  }),
  defineOperation({
    operationId: 'getEvent',
    method: 'GET',
    path: '/events/:id',
    tags,
    summary: 'Get an event',
    scopes: read,
    params: EventParamsSchema,
    responses: { 200: EventSchema },
    async run({ principal, services }, { params }) {
      return { body: await services.events.get(principal.schoolId, params.id) };
    },
  }),
];
