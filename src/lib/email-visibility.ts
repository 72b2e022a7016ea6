import type { Principal } from './principal.js';
import { assertScope, scopeGrants } from './scopes.js';

/**
 * Users' emails are student data (issue 11): a response that embeds users shows an email only to
 * callers holding `students:read` (sessions hold every scope) or to the user themself; everyone
 * else gets `email: null`.
 */
export function emailVisibility(principal: Principal): (userId: string) => boolean {
  if (scopeGrants(principal.permissions, 'students:read')) return () => true;
  const self = principal.via === 'session' ? principal.userId : undefined;
  return (userId) => userId === self;
}

type EventData = { object: Record<string, unknown>; previousAttributes?: Record<string, unknown> | undefined };

/**
 * An event as a caller without `students:read` sees it (GET /events): the `email` of its object
 * and of its previous attributes (a student's, a community member's) is null. Shallow on purpose:
 * those are the objects that carry an email at their top level, and the cost stays constant
 * however large an event's object is.
 */
export function withoutEmails<E extends { data: EventData }>(event: E): E {
  const hide = (o: Record<string, unknown> | undefined) =>
    o && typeof o.email === 'string' ? { ...o, email: null } : o;
  const { object, previousAttributes } = event.data;
  if (typeof object.email !== 'string' && typeof previousAttributes?.email !== 'string') return event;
  return {
    ...event,
    data: {
      ...event.data,
      object: hide(object)!,
      ...(previousAttributes ? { previousAttributes: hide(previousAttributes) } : {}),
    },
  };
}

/** Event types whose object carries an email at its top level (a student, a community member). */
const TYPES_WITH_EMAILS = new Set([
  '*',
  'student.created',
  'student.updated',
  'student.deleted',
  'community.member.added',
]);

/**
 * Webhook deliveries carry events as recorded, emails included; so subscribing an endpoint to an
 * event type that carries emails (or to `*`) needs `students:read` as well as `webhooks:write`.
 */
export function assertMaySubscribe(principal: Principal, events: readonly string[] | undefined): void {
  if (!events?.some((type) => TYPES_WITH_EMAILS.has(type))) return;
  assertScope(principal.permissions, 'students:read', 'student and community member events carry emails');
}
