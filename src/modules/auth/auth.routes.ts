import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import type { Throttle } from '../../lib/throttle.js';
import type { SessionCookie } from '../../plugins/auth.js';
import { LoginSchema, MeSchema } from './auth.schemas.js';
import type { AuthService } from './auth.service.js';

const tags = ['Session'];

export default async function authRoutes(
  app: FastifyInstance,
  opts: { auth: AuthService; session: SessionCookie; throttle: Throttle },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { name, options: cookie } = opts.session;

  r.post(
    '/auth/login',
    {
      schema: {
        operationId: 'login',
        tags,
        summary: 'Log in as a school owner or admin (sets the session cookie)',
        description:
          'Limited per client address and per account: after repeated failures each further attempt waits longer (429 with Retry-After).',
        body: LoginSchema,
        response: { 200: MeSchema },
      },
      config: { auth: 'none' },
    },
    async (req, reply) => {
      // The throttle runs before the password hash: a locked account costs no argon2 work.
      await opts.throttle.beforeLogin(req.ip, req.body.email);
      const result = await opts.auth.login(req.body).catch(async (err: unknown) => {
        if (err instanceof AppError && err.code === 'unauthorized')
          await opts.throttle.loginFailed(req.ip, req.body.email);
        throw err;
      });
      await opts.throttle.loginSucceeded(req.body.email);
      reply.setCookie(name, result.token, { ...cookie, expires: result.cookieExpiresAt });
      return result.me;
    },
  );

  r.post(
    '/auth/logout',
    {
      schema: { operationId: 'logout', tags, summary: 'End the session', response: { 204: z.null() } },
      config: { auth: 'none' },
    },
    async (req, reply) => {
      await opts.auth.logout(req.cookies[name]);
      reply.clearCookie(name, cookie);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/auth/me',
    {
      schema: { operationId: 'me', tags, summary: 'The logged-in user and school', response: { 200: MeSchema } },
      config: { auth: 'session' },
    },
    async (req) => {
      const p = req.principal!;
      if (p.via !== 'session') throw new Error('unreachable: session route');
      return opts.auth.me(p.schoolId, p.userId, p.expiresAt);
    },
  );
}
