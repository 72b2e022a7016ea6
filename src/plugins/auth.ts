import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../lib/errors.js';
import type { Principal } from '../lib/principal.js';
import { type RequiredScope, scopeGrants } from '../lib/scopes.js';
import type { AuthService } from '../modules/auth/auth.service.js';

/** How a route authenticates. Routes under /api/v1 default to `key`; everything else to `none`. */
export type RouteAuth = 'key' | 'session' | 'key-or-session' | 'none';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /** The scope an API key needs for this route (owner/admin sessions hold every scope). */
    scopes?: RequiredScope[];
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const SESSION_COOKIE = 'syllabus_session';

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw new AppError('unauthorized', "Use 'Authorization: Bearer <key>' or 'x-api-key: <key>'.");
    return match[1];
  }
  const xKey = request.headers['x-api-key'];
  return Array.isArray(xKey) ? xKey[0] : xKey;
}

export function routeAuth(request: FastifyRequest): RouteAuth {
  const configured = request.routeOptions.config?.auth;
  if (configured) return configured;
  return request.routeOptions.url?.startsWith('/api/v1/') ? 'key' : 'none';
}

/** One onRequest hook authenticates every request and checks the route's declared scopes. */
export default fp(async function authPlugin(app: FastifyInstance, opts: { auth: AuthService }) {
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (request) => {
    // Keys in URLs end up in logs, proxies and browser history: refuse them everywhere.
    const query = request.query as Record<string, unknown> | undefined;
    if (query && ('api_key' in query || 'apiKey' in query)) {
      throw new AppError('unauthorized', 'API keys are never accepted in the query string; send them in a header.');
    }
    const mode = routeAuth(request);
    if (mode === 'none') return;

    const key = mode === 'session' ? undefined : presentedKey(request);
    if (key !== undefined) {
      request.principal = await opts.auth.authenticateKey(key);
    } else if (mode !== 'key') {
      const token = request.cookies[SESSION_COOKIE];
      if (token) request.principal = await opts.auth.authenticateSession(token);
      if (!request.principal) {
        throw new AppError(
          'unauthorized',
          'Log in first: this route needs an owner session (POST /api/v1/auth/login).',
        );
      }
    } else {
      throw new AppError('unauthorized', "Missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'.");
    }
    if (mode === 'session' && request.principal.via !== 'session') {
      throw new AppError(
        'unauthorized',
        'This route needs an owner session (POST /api/v1/auth/login), not an API key.',
      );
    }
  });

  // Scopes are checked after the rate limiter (a route onRequest hook), so a 403 is counted and
  // carries the RateLimit-* headers like any other authenticated answer.
  app.addHook('preValidation', async (request) => {
    if (!request.principal) return;
    for (const scope of request.routeOptions.config?.scopes ?? []) {
      if (!scopeGrants(request.principal.permissions, scope)) {
        throw new AppError('forbidden', `This API key lacks the '${scope}' scope.`, [
          { path: 'scope', message: `Requires '${scope}'.`, code: 'missing_scope' },
        ]);
      }
    }
  });

  // Every key-authenticated route must say which scope it needs (or `scopes: []` for none), so a
  // forgotten declaration fails at start-up instead of opening the route to every key.
  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth ?? (route.url.startsWith('/api/v1/') ? 'key' : 'none');
    if ((auth === 'key' || auth === 'key-or-session') && route.config?.scopes === undefined) {
      throw new Error(`Route ${String(route.method)} ${route.url} authenticates keys but declares no scopes.`);
    }
  });

  // Authenticated answers are per-tenant and must never be cached by a shared cache.
  app.addHook('onSend', async (request, reply) => {
    if (request.principal) reply.header('cache-control', 'no-store');
  });
});
