import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CertificateService } from './certificates.service.js';
import {
  AchievementListSchema,
  ActivitySchema,
  BulkEnrollmentSchema,
  BulkResultSchema,
  CertificateListSchema,
  CertificateSchema,
  CreateEnrollmentSchema,
  EnrollmentListSchema,
  EnrollmentParamsSchema,
  EnrollmentSchema,
  EnrollmentWithProgressSchema,
  ListCertificatesQuerySchema,
  ListEnrollmentsQuerySchema,
  ProgressInputSchema,
  VerifySchema,
} from './enrollments.schemas.js';
import type { EnrollmentService } from './enrollments.service.js';
import type { LearningService } from './learning.service.js';

const tags = ['Enrollments'];
const read = { scopes: ['enrollments:read' as const] };
const write = { scopes: ['enrollments:write' as const] };

export default async function enrollmentRoutes(
  app: FastifyInstance,
  { enrollments }: { enrollments: EnrollmentService },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const school = (req: { principal: { schoolId: string } | null }) => req.principal!.schoolId;

  r.post(
    '/enrollments',
    {
      schema: {
        operationId: 'createEnrollment',
        tags,
        summary: 'Enrol a student in a published course',
        body: CreateEnrollmentSchema,
        response: { 201: EnrollmentSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const { data, etag } = await enrollments.create(school(req), req.body);
      return reply.code(201).header('etag', etag).header('location', `/api/v1/enrollments/${data.id}`).send(data);
    },
  );
  r.post(
    '/enrollments/bulk',
    {
      schema: {
        operationId: 'bulkEnroll',
        tags,
        summary: 'Enrol up to 1000 pairs, each reported on its own',
        body: BulkEnrollmentSchema,
        response: { 200: BulkResultSchema },
      },
      config: write,
    },
    async (req) => enrollments.bulk(school(req), req.body),
  );
  r.get(
    '/enrollments',
    {
      schema: {
        operationId: 'listEnrollments',
        tags,
        summary: 'List enrollments',
        querystring: ListEnrollmentsQuerySchema,
        response: { 200: EnrollmentListSchema },
      },
      config: read,
    },
    async (req) => enrollments.list(school(req), req.query),
  );
  r.get(
    '/enrollments/:id',
    {
      schema: {
        operationId: 'getEnrollment',
        tags,
        summary: 'Get an enrollment with its progress',
        params: EnrollmentParamsSchema,
        response: { 200: EnrollmentWithProgressSchema },
      },
      config: read,
    },
    async (req, reply) => {
      const { data, etag } = await enrollments.get(school(req), req.params.id);
      return reply.header('etag', etag).send(data);
    },
  );
  r.delete(
    '/enrollments/:id',
    {
      schema: {
        operationId: 'deleteEnrollment',
        tags,
        summary: 'Remove an enrollment',
        params: EnrollmentParamsSchema,
        response: { 204: z.null() },
      },
      config: write,
    },
    async (req, reply) => {
      await enrollments.delete(school(req), req.params.id, req.headers['if-match']);
      return reply.code(204).send(null);
    },
  );
}

/** Certificates, the public verification page's data, and students' activity and achievements. */
export async function learningRoutes(
  app: FastifyInstance,
  deps: { enrollments: EnrollmentService; certificates: CertificateService; learning: LearningService },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const school = (req: { principal: { schoolId: string } | null }) => req.principal!.schoolId;
  const read = { scopes: ['enrollments:read' as const] };

  r.patch(
    '/enrollments/:id',
    {
      schema: {
        operationId: 'recordProgress',
        tags: ['Enrollments'],
        summary: 'Record progress on a lesson (lock and completion rules apply)',
        params: EnrollmentParamsSchema,
        body: ProgressInputSchema,
        response: { 200: EnrollmentWithProgressSchema },
      },
      config: { scopes: ['enrollments:write'] },
    },
    async (req) => deps.enrollments.record(school(req), req.params.id, req.body),
  );
  r.get(
    '/certificates',
    {
      schema: {
        operationId: 'listCertificates',
        tags: ['Certificates'],
        summary: 'List certificates',
        querystring: ListCertificatesQuerySchema,
        response: { 200: CertificateListSchema },
      },
      config: read,
    },
    async (req) => deps.certificates.list(school(req), req.query),
  );
  r.get(
    '/certificates/:id',
    {
      schema: {
        operationId: 'getCertificate',
        tags: ['Certificates'],
        summary: 'Get a certificate',
        params: EnrollmentParamsSchema,
        response: { 200: CertificateSchema },
      },
      config: read,
    },
    async (req) => deps.certificates.get(school(req), req.params.id),
  );
  r.get(
    '/certificates/:id/pdf',
    {
      schema: {
        operationId: 'getCertificatePdf',
        tags: ['Certificates'],
        summary: 'The certificate as a PDF',
        params: EnrollmentParamsSchema,
      },
      config: read,
    },
    async (req, reply) => {
      const pdf = await deps.certificates.pdf(school(req), req.params.id);
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="certificate-${req.params.id}.pdf"`)
        .serializer((x) => x as string)
        .send(Buffer.from(pdf));
    },
  );
  r.get(
    '/verify/:code',
    {
      schema: {
        operationId: 'verifyCertificate',
        tags: ['Certificates'],
        summary: 'Check a certificate by its code (public, no key)',
        params: z.object({ code: z.string().max(64) }),
        response: { 200: VerifySchema },
      },
      config: { auth: 'none' },
    },
    async (req) => deps.certificates.verify(req.params.code),
  );
  r.get(
    '/students/:id/activity',
    {
      schema: {
        operationId: 'studentActivity',
        tags: ['Students'],
        summary: 'Learning days and streaks (school time zone)',
        params: EnrollmentParamsSchema,
        response: { 200: ActivitySchema },
      },
      config: { scopes: ['students:read'] },
    },
    async (req) => deps.learning.activity(school(req), req.params.id),
  );
  r.get(
    '/students/:id/achievements',
    {
      schema: {
        operationId: 'studentAchievements',
        tags: ['Students'],
        summary: 'Achievements earned',
        params: EnrollmentParamsSchema,
        response: { 200: AchievementListSchema },
      },
      config: { scopes: ['students:read'] },
    },
    async (req) => deps.learning.achievements(school(req), req.params.id),
  );
}
