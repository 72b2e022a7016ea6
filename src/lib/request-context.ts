/**
 * Who caused the work in progress, carried through async calls without threading it through every
 * signature: the HTTP adapter runs each operation inside `requestContext.run({ actor }, …)`, and the
 * events service reads the actor from here. Outside a request (jobs, CLI) the actor is the system.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Principal } from './principal.js';

export type Actor = { type: 'key' | 'session' | 'learner' | 'system'; id: string | null };
export type RequestContext = { actor: Actor };

export const requestContext = new AsyncLocalStorage<RequestContext>();

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null };

/** The actor a principal stands for: the API key, the logged-in user of a session, or the student of a learner token. */
export function actorOf(principal: Principal | null | undefined): Actor {
  if (!principal) return SYSTEM_ACTOR;
  switch (principal.via) {
    case 'key':
      return { type: 'key', id: principal.keyId };
    case 'session':
      return { type: 'session', id: principal.userId };
    case 'learner':
      return { type: 'learner', id: principal.studentId };
  }
}

export const currentActor = (): Actor => requestContext.getStore()?.actor ?? SYSTEM_ACTOR;
