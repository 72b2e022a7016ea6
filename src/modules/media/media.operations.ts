import { defineOperation } from '../../operations/operation.js';
import {
  ListMediaQuerySchema,
  MediaListSchema,
  MediaParamsSchema,
  MediaSchema,
  PresignResponseSchema,
  PresignSchema,
} from './media.schemas.js';

const tags = ['Media'];
const read = ['media:read' as const];
const write = ['media:write' as const];

/** The JSON side of media; the bytes go through plain routes (media.routes.ts) or straight to S3. */
export const mediaOperations = [
  defineOperation({
    operationId: 'presignUpload',
    method: 'POST',
    path: '/media/presigned',
    tags,
    summary: 'Start an upload: a signed, expiring, single-use URL',
    scopes: write,
    body: PresignSchema,
    responses: { 201: PresignResponseSchema },
    async run({ principal, services }, { body }) {
      return { status: 201, body: await services.media.presign(principal.schoolId, body) };
    },
  }),
  defineOperation({
    operationId: 'completeUpload',
    method: 'POST',
    path: '/media/:id/complete',
    tags,
    summary: 'S3: check the uploaded object and mark the media ready',
    description:
      'Checks the object HEAD saw (size, type, first bytes) and moves exactly that version: if the upload link was used again meanwhile, nothing is made ready (409 conflict) and complete can be called again.',
    scopes: write,
    params: MediaParamsSchema,
    responses: { 200: MediaSchema },
    idempotent: true,
    async run({ principal, services }, { params }) {
      return { body: await services.media.complete(principal.schoolId, params.id) };
    },
  }),
  defineOperation({
    operationId: 'listMedia',
    method: 'GET',
    path: '/media',
    tags,
    summary: 'List media',
    scopes: read,
    query: ListMediaQuerySchema,
    responses: { 200: MediaListSchema },
    async run({ principal, services }, { query }) {
      return { body: await services.media.list(principal.schoolId, query) };
    },
  }),
  defineOperation({
    operationId: 'getMedia',
    method: 'GET',
    path: '/media/:id',
    tags,
    summary: 'Get media (with a short-lived download URL when ready)',
    scopes: read,
    params: MediaParamsSchema,
    responses: { 200: MediaSchema },
    async run({ principal, services }, { params }) {
      const { data, etag } = await services.media.get(principal.schoolId, params.id);
      return { body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'deleteMedia',
    method: 'DELETE',
    path: '/media/:id',
    tags,
    summary: 'Delete media and its bytes (409 while a lesson or course uses it)',
    scopes: write,
    params: MediaParamsSchema,
    responses: { 204: null },
    errors: ['conflict'],
    async run({ principal, services, ifMatch }, { params }) {
      await services.media.delete(principal.schoolId, params.id, ifMatch);
      return { status: 204, body: null };
    },
  }),
];
