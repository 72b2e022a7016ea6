import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** The learner routes: the only ones a browser may call cross-origin. */
const ME_PATH = /^\/api\/v1\/me(?:[/?]|$)/;

/**
 * CORS for the learner /me routes only, from the origins in CORS_ORIGINS (API.md §2 Learners).
 * Every other route, and every other origin, gets no CORS headers at all, so browsers keep the
 * same-origin rule there; preflights of other routes are answered as before (404/405). Learner
 * tokens are bearer tokens, so no credentials mode (cookies) is ever allowed. Registered before the
 * auth plugin: a preflight carries no Authorization header and is answered before authentication.
 */
export default fp(async function corsPlugin(app: FastifyInstance, opts: { origins: readonly string[] }) {
  if (opts.origins.length === 0) return;
  const allowed = new Set(opts.origins);
  await app.register(cors, {
    delegator: (request: FastifyRequest, callback) => {
      const origin = request.headers.origin;
      if (!origin || !allowed.has(origin) || !ME_PATH.test(request.url)) return callback(null, { origin: false });
      callback(null, {
        origin,
        methods: ['GET', 'POST', 'PATCH'],
        allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Request-Id'],
        exposedHeaders: [
          'ETag',
          'Retry-After',
          'RateLimit-Limit',
          'RateLimit-Remaining',
          'RateLimit-Reset',
          'Idempotent-Replayed',
          'X-Request-Id',
        ],
        credentials: false,
        maxAge: 600,
      });
    },
  });
});
