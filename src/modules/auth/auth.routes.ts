import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE } from '../../plugins/auth.js';
import { LoginSchema, MeSchema } from './auth.schemas.js';
import type { AuthService } from './auth.service.js';

const tags = ['Session'];

export default async function authRoutes(app: FastifyInstance, opts: { auth: AuthService; secureCookies: boolean }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const cookie = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: opts.secureCookies };

  r.post(
    '/auth/login',
    {
      schema: {
        operationId: 'login',
        tags,
        summary: 'Log in as a school owner or admin (sets the session cookie)',
        body: LoginSchema,
        response: { 200: MeSchema },
      },
      config: { auth: 'none' },
    },
    async (req, reply) => {
      const { token, expiresAt, me } = await opts.auth.login(req.body);
      reply.setCookie(SESSION_COOKIE, token, { ...cookie, expires: expiresAt });
      return me;
    },
  );

  r.post(
    '/auth/logout',
    {
      schema: { operationId: 'logout', tags, summary: 'End the session', response: { 204: z.null() } },
      config: { auth: 'none' },
    },
    async (req, reply) => {
      await opts.auth.logout(req.cookies[SESSION_COOKIE]);
      reply.clearCookie(SESSION_COOKIE, cookie);
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
