import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EnrollmentService } from './enrollments.service.js';
import {
  BulkEnrollmentSchema,
  BulkResultSchema,
  CreateEnrollmentSchema,
  EnrollmentListSchema,
  EnrollmentParamsSchema,
  EnrollmentSchema,
  ListEnrollmentsQuerySchema,
} from './enrollments.schemas.js';

const tags = ['Enrollments'];
const read = { scopes: ['enrollments:read' as const] };
const write = { scopes: ['enrollments:write' as const] };

export default async function enrollmentRoutes(app: FastifyInstance, { enrollments }: { enrollments: EnrollmentService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const school = (req: { principal: { schoolId: string } | null }) => req.principal!.schoolId;

  r.post('/enrollments', { schema: { operationId: 'createEnrollment', tags, summary: 'Enrol a student in a published course', body: CreateEnrollmentSchema, response: { 201: EnrollmentSchema } }, config: write }, async (req, reply) => {
    const { data, etag } = await enrollments.create(school(req), req.body);
    return reply.code(201).header('etag', etag).header('location', `/api/v1/enrollments/${data.id}`).send(data);
  });
  r.post('/enrollments/bulk', { schema: { operationId: 'bulkEnroll', tags, summary: 'Enrol up to 1000 pairs, each reported on its own', body: BulkEnrollmentSchema, response: { 200: BulkResultSchema } }, config: write }, async (req) =>
    enrollments.bulk(school(req), req.body),
  );
  r.get('/enrollments', { schema: { operationId: 'listEnrollments', tags, summary: 'List enrollments', querystring: ListEnrollmentsQuerySchema, response: { 200: EnrollmentListSchema } }, config: read }, async (req) =>
    enrollments.list(school(req), req.query),
  );
  r.get('/enrollments/:id', { schema: { operationId: 'getEnrollment', tags, summary: 'Get an enrollment', params: EnrollmentParamsSchema, response: { 200: EnrollmentSchema } }, config: read }, async (req, reply) => {
    const { data, etag } = await enrollments.get(school(req), req.params.id);
    return reply.header('etag', etag).send(data);
  });
  r.delete('/enrollments/:id', { schema: { operationId: 'deleteEnrollment', tags, summary: 'Remove an enrollment', params: EnrollmentParamsSchema, response: { 204: z.null() } }, config: write }, async (req, reply) => {
    await enrollments.delete(school(req), req.params.id, req.headers['if-match']);
    return reply.code(204).send(null);
  });
}
