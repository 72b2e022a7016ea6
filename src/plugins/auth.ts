import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../lib/errors.js';
import type { Principal } from '../lib/principal.js';
import { assertScope, type RequiredScope } from '../lib/scopes.js';
import type { Throttle } from '../lib/throttle.js';
import type { AuthService } from '../modules/auth/auth.service.js';

/**
 * How a route authenticates. Routes under /api/v1 default to `key`; everything else to `none`.
 * `learner`: the /me routes, for learner tokens only; `key-or-learner`: the MCP endpoint, whose
 * tools then depend on which one it was.
 */
export type RouteAuth = 'key' | 'session' | 'key-or-session' | 'learner' | 'key-or-learner' | 'none';

/** What learner tokens look like; any bearer credential with this prefix is checked as one. */
export const LEARNER_TOKEN_PREFIX = 'slt_';

/** Authenticates a learner token (format and checksum first), or throws `unauthorized`. */
export type LearnerAuthenticator = { authenticate(token: string): Promise<Principal> };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /** A public look-up with its own per-address budget (e.g. certificate verification). */
    throttle?: 'verify';
    /** The scope an API key needs for this route (owner/admin sessions hold every scope). */
    scopes?: RequiredScope[];
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/**
 * The session cookie. Over https it is a `__Host-` cookie: the browser then insists on Secure,
 * Path=/ and no Domain, so no sibling sub-domain can set or shadow it.
 */
export type SessionCookie = {
  name: string;
  options: { path: '/'; httpOnly: true; sameSite: 'lax'; secure: boolean };
};
export function sessionCookie(secure: boolean): SessionCookie {
  return {
    name: secure ? '__Host-syllabus_session' : 'syllabus_session',
    options: { path: '/', httpOnly: true, sameSite: 'lax', secure },
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** An `Origin` naming neither PUBLIC_URL's origin nor the host the request was sent to. */
function crossSite(request: FastifyRequest, publicUrl: string): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return false; // not a browser, or a same-origin GET-like navigation
  if (origin === new URL(publicUrl).origin) return false;
  return origin !== `${request.protocol}://${request.headers.host ?? ''}`;
}

/** Whether the request carries a key or a session cookie (a guess), rather than nothing at all. */
function presentsCredentials(request: FastifyRequest, cookieName: string): boolean {
  return (
    request.headers.authorization !== undefined ||
    request.headers['x-api-key'] !== undefined ||
    request.cookies[cookieName] !== undefined
  );
}

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

/** In session-only routes a key is not looked at, but a learner token is (it gets its own 403). */
function presentedLearnerToken(request: FastifyRequest): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  const xKey = request.headers['x-api-key'];
  const presented = bearer ?? (Array.isArray(xKey) ? xKey[0] : xKey);
  return presented?.startsWith(LEARNER_TOKEN_PREFIX) ? presented : undefined;
}

const acceptsLearner = (mode: RouteAuth) => mode === 'learner' || mode === 'key-or-learner';
const readsCookie = (mode: RouteAuth) => mode === 'session' || mode === 'key-or-session' || mode === 'learner';

export function routeAuth(request: FastifyRequest): RouteAuth {
  const configured = request.routeOptions.config?.auth;
  if (configured) return configured;
  return request.routeOptions.url?.startsWith('/api/v1/') ? 'key' : 'none';
}

/** One onRequest hook authenticates every request and checks the route's declared scopes. */
export default fp(async function authPlugin(
  app: FastifyInstance,
  opts: {
    auth: AuthService;
    learners: LearnerAuthenticator;
    throttle: Throttle;
    session: SessionCookie;
    publicUrl: string;
  },
) {
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (request) => {
    // Keys in URLs end up in logs, proxies and browser history: refuse them everywhere.
    const query = request.query as Record<string, unknown> | undefined;
    if (query && ('api_key' in query || 'apiKey' in query)) {
      throw new AppError('unauthorized', 'API keys are never accepted in the query string; send them in a header.');
    }
    const mode = routeAuth(request);
    if (request.routeOptions.config?.throttle === 'verify') await opts.throttle.beforeVerify(request.ip);
    if (mode === 'none') return;
    try {
      request.principal = await authenticate(request, mode);
    } catch (err) {
      if (err instanceof AppError && err.code === 'unauthorized' && presentsCredentials(request, opts.session.name)) {
        await opts.throttle.authenticationFailed(request.ip);
      }
      throw err;
    }
  });

  /** The principal of a request, or `unauthorized`; credentials are looked up only for an address that may still try. */
  async function authenticate(request: FastifyRequest, mode: Exclude<RouteAuth, 'none'>): Promise<Principal> {
    const key = mode === 'session' ? presentedLearnerToken(request) : presentedKey(request);
    const token = key === undefined && readsCookie(mode) ? request.cookies[opts.session.name] : undefined;
    if (key !== undefined || token) await opts.throttle.assertMayAuthenticate(request.ip);
    let principal: Principal | null = null;
    if (key?.startsWith(LEARNER_TOKEN_PREFIX)) {
      // Authenticated on every route, so a bad one is a 401 (and counts) everywhere; where learner
      // tokens are not accepted, the valid ones get 403 after the rate limiter (preValidation).
      principal = await opts.learners.authenticate(key);
    } else if (key !== undefined) {
      principal = await opts.auth.authenticateKey(key);
    } else if (readsCookie(mode)) {
      if (token) principal = await opts.auth.authenticateSession(token);
      if (!principal) {
        throw new AppError(
          'unauthorized',
          mode === 'session'
            ? 'Log in first: this route needs an owner session (POST /api/v1/auth/login).'
            : mode === 'learner'
              ? "Missing learner token: send 'Authorization: Bearer slt_…' (minted by POST /api/v1/students/{id}/tokens)."
              : "Missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>' (or log in for a session).",
        );
      }
    } else if (mode === 'key-or-learner') {
      throw new AppError('unauthorized', "Missing credentials: send 'Authorization: Bearer <key or learner token>'.");
    } else {
      throw new AppError('unauthorized', "Missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'.");
    }
    if (principal.via === 'session' && !SAFE_METHODS.has(request.method) && crossSite(request, opts.publicUrl)) {
      // A browser sends the session cookie with a form another site submits; the Origin tells.
      throw new AppError('forbidden', 'A request carrying the session cookie must come from this site (Origin).', [
        { path: 'origin', message: 'Cross-site request refused.', code: 'cross_site' },
      ]);
    }
    if (mode === 'session' && principal.via === 'key') {
      throw new AppError(
        'unauthorized',
        'This route needs an owner session (POST /api/v1/auth/login), not an API key.',
      );
    }
    return principal;
  }

  // Scopes are checked after the rate limiter (a route onRequest hook), so a 403 is counted and
  // carries the RateLimit-* headers like any other authenticated answer.
  app.addHook('preValidation', async (request) => {
    if (!request.principal) return;
    const mode = routeAuth(request);
    if (request.principal.via === 'learner' && !acceptsLearner(mode)) {
      throw new AppError('forbidden', 'A learner token works only on the /me routes.', [
        { path: 'authorization', message: 'Learner tokens act as one student on /me….', code: 'learner_token' },
      ]);
    }
    if (mode === 'learner' && request.principal.via !== 'learner') {
      throw new AppError(
        'forbidden',
        'The /me routes act as one student: call them with a learner token (POST /students/{id}/tokens), not a school key or session.',
        [{ path: 'authorization', message: 'A learner token is required.', code: 'learner_token_required' }],
      );
    }
    for (const scope of request.routeOptions.config?.scopes ?? []) assertScope(request.principal.permissions, scope);
  });

  // Every key-authenticated route must say which scope it needs (or `scopes: []` for none), so a
  // forgotten declaration fails at start-up instead of opening the route to every key.
  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth ?? (route.url.startsWith('/api/v1/') ? 'key' : 'none');
    if (auth !== 'none' && auth !== 'session' && route.config?.scopes === undefined) {
      throw new Error(`Route ${String(route.method)} ${route.url} authenticates keys but declares no scopes.`);
    }
  });

  // Authenticated answers are per-tenant: no shared cache may keep them, and no browser cache either.
  app.addHook('onSend', async (request, reply) => {
    if (request.principal) reply.header('cache-control', 'private, no-store');
  });
});
