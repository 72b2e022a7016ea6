import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { AppError } from '../lib/errors.js';

/**
 * Per-key limits (per-session, per-learner-token and per-IP for the rest) with the IETF RateLimit-* headers on every
 * response. The counter lives in Redis when REDIS_URL is set, so every instance shares it.
 * Registered after the auth hook: the limiter runs as a route hook, after global onRequest hooks.
 */
export default fp(async function rateLimitPlugin(
  app: FastifyInstance,
  opts: { perMinute: number; redis?: Redis | undefined },
) {
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    max: (request) => request.principal?.rateLimitPerMinute ?? opts.perMinute,
    keyGenerator: (request) => {
      const p = request.principal;
      if (p?.via === 'key') return `key:${p.keyId}`;
      if (p?.via === 'session') return `user:${p.userId}`;
      // Per token, not per student: each app or agent a student runs has its own budget.
      if (p?.via === 'learner') return `learner:${p.tokenId}`;
      return `ip:${request.ip}`;
    },
    enableDraftSpec: true,
    // Redis down must not take the API down: requests pass unlimited until it is back.
    skipOnError: true,
    ...(opts.redis ? { redis: opts.redis, nameSpace: 'syllabus-rl:' } : {}),
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'rate_limited',
        `Rate limit of ${context.max} requests per minute exceeded; retry in ${Math.ceil(context.ttl / 1000)} s.`,
      ),
  });
});
