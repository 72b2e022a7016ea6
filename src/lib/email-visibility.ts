import type { Principal } from './principal.js';
import { scopeGrants } from './scopes.js';

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
