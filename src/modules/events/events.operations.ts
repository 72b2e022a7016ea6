import { withoutEmails } from '../../lib/email-visibility.js';
import type { Principal } from '../../lib/principal.js';
import { scopeGrants } from '../../lib/scopes.js';
import { defineOperation } from '../../operations/operation.js';
import { EventListSchema, EventParamsSchema, EventSchema, ListEventsQuerySchema } from './events.schemas.js';

const tags = ['Events'];
const read = ['webhooks:read' as const];

/** Emails are student data (decision 75): shown only to callers that also hold students:read. */
const emailsShown = (principal: Principal) => scopeGrants(principal.permissions, 'students:read');

export const eventOperations = [
  defineOperation({
    operationId: 'listEvents',
    method: 'GET',
    path: '/events',
    tags,
    summary: 'List events, oldest first after a cursor (kept 30 days)',
    description:
      'An integration that missed webhooks catches up from the last `pagination.nextCursor` it kept: `?after=<nextCursor>`. The last page carries a cursor too, to poll for newer events. Emails in events (students, community members) are null unless the caller also holds students:read.',
    scopes: read,
    query: ListEventsQuerySchema,
    responses: { 200: EventListSchema },
    async run({ principal, services }, { query }) {
      const page = await services.events.list(principal.schoolId, query);
      return { body: emailsShown(principal) ? page : { ...page, data: page.data.map(withoutEmails) } };
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
      const event = await services.events.get(principal.schoolId, params.id);
      return { body: emailsShown(principal) ? event : withoutEmails(event) };
    },
  }),
];
