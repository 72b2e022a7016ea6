import { z } from 'zod';
import { defineOperation } from '../../operations/operation.js';
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
  RevokeCertificateSchema,
  VerifySchema,
} from './enrollments.schemas.js';

const tags = ['Enrollments'];
const read = ['enrollments:read' as const];
const write = ['enrollments:write' as const];

const enrollmentOperationList = [
  defineOperation({
    operationId: 'createEnrollment',
    method: 'POST',
    path: '/enrollments',
    tags,
    summary: 'Enrol a student in a published course',
    scopes: write,
    body: CreateEnrollmentSchema,
    responses: { 201: EnrollmentSchema },
    errors: ['already_enrolled'],
    async run({ principal, services }, { body }) {
      const { data, etag } = await services.enrollments.create(principal.schoolId, body);
      return { status: 201, body: data, etag, location: `/enrollments/${data.id}` };
    },
  }),
  defineOperation({
    operationId: 'bulkEnroll',
    method: 'POST',
    path: '/enrollments/bulk',
    tags,
    summary: 'Enrol up to 1000 pairs, each reported on its own',
    scopes: write,
    body: BulkEnrollmentSchema,
    responses: { 200: BulkResultSchema },
    async run({ principal, services }, { body }) {
      return { body: await services.enrollments.bulk(principal.schoolId, body) };
    },
  }),
  defineOperation({
    operationId: 'listEnrollments',
    method: 'GET',
    path: '/enrollments',
    tags,
    summary: 'List enrollments',
    scopes: read,
    query: ListEnrollmentsQuerySchema,
    responses: { 200: EnrollmentListSchema },
    async run({ principal, services }, { query }) {
      return { body: await services.enrollments.list(principal.schoolId, query) };
    },
  }),
  defineOperation({
    operationId: 'getEnrollment',
    method: 'GET',
    path: '/enrollments/:id',
    tags,
    summary: 'Get an enrollment with its progress',
    scopes: read,
    params: EnrollmentParamsSchema,
    responses: { 200: EnrollmentWithProgressSchema },
    async run({ principal, services }, { params }) {
      const { data, etag } = await services.enrollments.get(principal.schoolId, params.id);
      return { body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'recordProgress',
    method: 'PATCH',
    path: '/enrollments/:id',
    tags,
    summary: 'Record progress on a lesson (lock and completion rules apply)',
    scopes: write,
    params: EnrollmentParamsSchema,
    body: ProgressInputSchema,
    responses: { 200: EnrollmentWithProgressSchema },
    errors: ['lesson_locked'],
    async run({ principal, services }, { params, body }) {
      return { body: await services.enrollments.record(principal.schoolId, params.id, body) };
    },
  }),
  defineOperation({
    operationId: 'deleteEnrollment',
    method: 'DELETE',
    path: '/enrollments/:id',
    tags,
    summary: 'Remove an enrollment',
    scopes: write,
    params: EnrollmentParamsSchema,
    responses: { 204: null },
    async run({ principal, services, ifMatch }, { params }) {
      await services.enrollments.delete(principal.schoolId, params.id, ifMatch);
      return { status: 204, body: null };
    },
  }),
];

/**
 * Certificates and the public verification. The PDF and the credential JWTs are plain routes
 * (enrollments.routes.ts): their answers are not JSON.
 */
const certificateOperations = [
  defineOperation({
    operationId: 'listCertificates',
    method: 'GET',
    path: '/certificates',
    tags: ['Certificates'],
    summary: 'List certificates',
    scopes: read,
    query: ListCertificatesQuerySchema,
    responses: { 200: CertificateListSchema },
    async run({ principal, services }, { query }) {
      return { body: await services.certificates.list(principal.schoolId, query) };
    },
  }),
  defineOperation({
    operationId: 'getCertificate',
    method: 'GET',
    path: '/certificates/:id',
    tags: ['Certificates'],
    summary: 'Get a certificate',
    scopes: read,
    params: EnrollmentParamsSchema,
    responses: { 200: CertificateSchema },
    async run({ principal, services }, { params }) {
      return { body: await services.certificates.get(principal.schoolId, params.id) };
    },
  }),
  defineOperation({
    operationId: 'revokeCertificate',
    method: 'POST',
    path: '/certificates/:id/revoke',
    tags: ['Certificates'],
    summary: 'Revoke a certificate',
    description:
      'For good: `/verify/{code}` then answers `valid: false` with `revokedAt` and `reason`, the bit of the certificate in its status list is set, and `certificate.revoked` is recorded. Revoking again is `409 conflict`; the enrollment is not issued a new certificate.',
    scopes: write,
    params: EnrollmentParamsSchema,
    body: RevokeCertificateSchema,
    responses: { 200: CertificateSchema },
    errors: ['conflict'],
    async run({ principal, services }, { params, body }) {
      return { body: await services.certificates.revoke(principal.schoolId, params.id, body.reason) };
    },
  }),
  defineOperation({
    operationId: 'verifyCertificate',
    method: 'GET',
    path: '/verify/:code',
    tags: ['Certificates'],
    summary: 'Check a certificate by its code (public, no key)',
    description: 'Public; limited per client address (VERIFY_PER_MINUTE, default 30 a minute).',
    auth: 'none',
    throttle: 'verify',
    scopes: [],
    params: z.object({ code: z.string().max(64) }),
    responses: { 200: VerifySchema },
    // No principal here: the code alone finds the certificate, in whichever school.
    async run({ services }, { params }) {
      return { body: await services.certificates.verify(params.code) };
    },
  }),
];

/** A student's learning days, streaks and achievements. */
const learningOperations = [
  defineOperation({
    operationId: 'studentActivity',
    method: 'GET',
    path: '/students/:id/activity',
    tags: ['Students'],
    summary: 'Learning days and streaks (school time zone)',
    scopes: ['students:read'],
    params: EnrollmentParamsSchema,
    responses: { 200: ActivitySchema },
    async run({ principal, services }, { params }) {
      return { body: await services.learning.activity(principal.schoolId, params.id) };
    },
  }),
  defineOperation({
    operationId: 'studentAchievements',
    method: 'GET',
    path: '/students/:id/achievements',
    tags: ['Students'],
    summary: 'Achievements earned',
    scopes: ['students:read'],
    params: EnrollmentParamsSchema,
    responses: { 200: AchievementListSchema },
    async run({ principal, services }, { params }) {
      return { body: await services.learning.achievements(principal.schoolId, params.id) };
    },
  }),
];

export const enrollmentOperations = [...enrollmentOperationList, ...certificateOperations, ...learningOperations];
