import send from '@fastify/send';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import {
  ListMediaQuerySchema,
  MediaListSchema,
  MediaParamsSchema,
  MediaSchema,
  PresignResponseSchema,
  PresignSchema,
  TokenParamsSchema,
} from './media.schemas.js';
import type { MediaService } from './media.service.js';
import { dispositionFor } from './storage/driver.js';
import type { LocalDriver } from './storage/local.js';

const tags = ['Media'];
const read = { scopes: ['media:read' as const] };
const write = { scopes: ['media:write' as const] };

export default async function mediaRoutes(
  app: FastifyInstance,
  { media, local }: { media: MediaService; local: LocalDriver | undefined },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const school = (req: { principal: { schoolId: string } | null }) => req.principal!.schoolId;

  r.post(
    '/media/presigned',
    {
      schema: {
        operationId: 'presignUpload',
        tags,
        summary: 'Start an upload: a signed, expiring, single-use URL',
        body: PresignSchema,
        response: { 201: PresignResponseSchema },
      },
      config: write,
    },
    async (req, reply) => reply.code(201).send(await media.presign(school(req), req.body)),
  );
  r.post(
    '/media/:id/complete',
    {
      schema: {
        operationId: 'completeUpload',
        tags,
        summary: 'S3: check the uploaded object and mark the media ready',
        params: MediaParamsSchema,
        response: { 200: MediaSchema },
      },
      config: write,
    },
    async (req) => media.complete(school(req), req.params.id),
  );
  r.get(
    '/media',
    {
      schema: {
        operationId: 'listMedia',
        tags,
        summary: 'List media',
        querystring: ListMediaQuerySchema,
        response: { 200: MediaListSchema },
      },
      config: read,
    },
    async (req) => media.list(school(req), req.query),
  );
  r.get(
    '/media/:id',
    {
      schema: {
        operationId: 'getMedia',
        tags,
        summary: 'Get media (with a short-lived download URL when ready)',
        params: MediaParamsSchema,
        response: { 200: MediaSchema },
      },
      config: read,
    },
    async (req, reply) => {
      const { data, etag } = await media.get(school(req), req.params.id);
      return reply.header('etag', etag).send(data);
    },
  );
  r.delete(
    '/media/:id',
    {
      schema: {
        operationId: 'deleteMedia',
        tags,
        summary: 'Delete media and its bytes (409 while a lesson or course uses it)',
        params: MediaParamsSchema,
        response: { 204: z.null() },
      },
      config: write,
    },
    async (req, reply) => {
      await media.delete(school(req), req.params.id, req.headers['if-match']);
      return reply.code(204).send(null);
    },
  );

  if (!local) return;
  const driver = local;

  // Local driver: the signed URLs point here. The token is the credential, so no API key.
  await app.register(async (uploads) => {
    // The body is streamed to disk by the service: no parser reads it here, whatever its type.
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser('*', (_req, _payload, done) => done(null));
    uploads.withTypeProvider<ZodTypeProvider>().put(
      '/uploads/:token',
      {
        schema: {
          operationId: 'uploadBytes',
          tags,
          summary: 'Upload the bytes (local storage; the URL from /media/presigned)',
          params: TokenParamsSchema,
          response: { 200: MediaSchema },
        },
        config: { auth: 'none' },
      },
      async (req, reply) => {
        const length = req.headers['content-length'] ? Number(req.headers['content-length']) : undefined;
        // Any refusal may leave part of the body unread: close the connection after answering.
        reply.header('connection', 'close');
        const result = await media.receive(driver, req.params.token, req.raw, length);
        reply.removeHeader('connection');
        return result;
      },
    );
  });

  r.get(
    '/media-files/:token',
    {
      schema: {
        operationId: 'downloadBytes',
        tags,
        summary: 'The bytes of ready media (signed link; supports Range)',
        params: TokenParamsSchema,
      },
      config: { auth: 'none' },
    },
    async (req, reply) => {
      const grant = await driver.verifyDownload(req.params.token);
      const result = await send(req.raw, encodeURI(driver.relativePath(grant.key)), {
        root: driver.root,
        dotfiles: 'deny',
        cacheControl: false,
        etag: true,
        contentType: false,
      });
      if (result.type === 'error' && result.statusCode === 404) throw new AppError('not_found', 'Media not found.');
      if (result.type === 'error' && result.statusCode >= 500)
        throw new AppError('internal_error', 'The file could not be read.');
      reply.code(result.statusCode).headers(result.headers as Record<string, string>); // 206, 304, 412, 416 as send decided
      // Uploaded bytes are served from the API's own origin: they must never run as a page here.
      reply.header('x-content-type-options', 'nosniff');
      reply.header('content-security-policy', "sandbox; default-src 'none'");
      if (result.statusCode < 300) {
        reply.header('content-type', grant.mimeType);
        reply.header(
          'content-disposition',
          `${dispositionFor(grant.mimeType)}; filename*=UTF-8''${encodeURIComponent(grant.fileName)}`,
        );
      }
      return reply.serializer((x) => x as string).send(result.stream);
    },
  );
}
