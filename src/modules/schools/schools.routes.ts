import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../../lib/errors.js';
import { SchoolSchema, UpdateSchoolSchema } from './schools.schemas.js';
import type { SchoolService } from './schools.service.js';

const tags = ['School'];

export default async function schoolRoutes(app: FastifyInstance, { schools }: { schools: SchoolService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/school',
    {
      schema: { operationId: 'getSchool', tags, summary: "The caller's school", response: { 200: SchoolSchema } },
      // Any key of the school may read its settings (currency, time zone, custom fields).
      config: { auth: 'key-or-session', scopes: [] },
    },
    async (req, reply) => {
      const { data, etag } = await schools.get(req.principal!.schoolId);
      return reply.header('etag', etag).send(data);
    },
  );

  r.patch(
    '/school',
    {
      schema: {
        operationId: 'updateSchool',
        tags,
        summary: 'Update the school (owner session or a key with *)',
        body: UpdateSchoolSchema,
        response: { 200: SchoolSchema },
      },
      config: { auth: 'key-or-session', scopes: [] },
    },
    async (req, reply) => {
      // School settings change the whole tenant: a narrowly scoped key must not touch them.
      if (!req.principal!.permissions.includes('*')) {
        throw new AppError('forbidden', "Changing the school needs an owner session or a key with the '*' scope.", [
          { path: 'scope', message: "Requires '*'.", code: 'missing_scope' },
        ]);
      }
      const { data, etag } = await schools.update(req.principal!.schoolId, req.body, req.headers['if-match']);
      return reply.header('etag', etag).send(data);
    },
  );
}
