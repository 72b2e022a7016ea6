import { defineOperation } from '../../operations/operation.js';
import { SchoolSchema, UpdateSchoolSchema } from './schools.schemas.js';

const tags = ['School'];

export const schoolOperations = [
  defineOperation({
    operationId: 'getSchool',
    method: 'GET',
    path: '/school',
    tags,
    summary: "The caller's school",
    // Any key of the school may read its settings (currency, time zone, custom fields).
    auth: 'key-or-session',
    scopes: [],
    responses: { 200: SchoolSchema },
    async run({ principal, services }) {
      const { data, etag } = await services.schools.get(principal.schoolId);
      return { body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'updateSchool',
    method: 'PATCH',
    path: '/school',
    tags,
    summary: 'Update the school (owner session or a key with *)',
    description:
      "rateLimitPerMinute, maxUploadBytes and mediaQuotaBytes above the operator's ceilings are refused (400, code above_ceiling).",
    auth: 'key-or-session',
    scopes: [],
    body: UpdateSchoolSchema,
    responses: { 200: SchoolSchema },
    async run({ principal, services, ifMatch }, { body }) {
      const { data, etag } = await services.schools.update(principal.schoolId, body, ifMatch, principal.permissions);
      return { body: data, etag };
    },
  }),
];
