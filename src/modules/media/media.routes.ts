import send from '@fastify/send';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import { MediaSchema, TokenParamsSchema } from './media.schemas.js';
import type { MediaService } from './media.service.js';
import { dispositionFor, MEDIA_CACHE_CONTROL } from './storage/driver.js';
import type { LocalDriver } from './storage/local.js';

const tags = ['Media'];

/**
 * The local driver's byte routes (the JSON side is in media.operations.ts): the upload and download
 * URLs signed by the driver point here. The token is the credential, so no API key.
 */
export default async function mediaRoutes(
  app: FastifyInstance,
  { media, local }: { media: MediaService; local: LocalDriver | undefined },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  if (!local) return;
  const driver = local;

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
        // The answer carries a signed download link.
        reply.header('cache-control', MEDIA_CACHE_CONTROL);
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
        response: {
          200: {
            description:
              'The file, with its own Content-Type (images, audio, video and PDF inline; anything else as an attachment).',
            content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } },
          },
          206: {
            description: 'The requested range of the file.',
            content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } },
          },
        },
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
      reply.code(result.statusCode as 200).headers(result.headers as Record<string, string>); // 206, 304, 412, 416 as send decided
      // Uploaded bytes are served from the API's own origin: they must never run as a page here.
      reply.header('x-content-type-options', 'nosniff');
      // A signed link is a bearer credential for one caller: no shared or browser cache keeps the bytes.
      reply.header('cache-control', MEDIA_CACHE_CONTROL);
      reply.header('content-security-policy', "sandbox; default-src 'none'");
      if (result.statusCode < 300) {
        reply.header('content-type', grant.mimeType);
        reply.header(
          'content-disposition',
          `${dispositionFor(grant.mimeType)}; filename*=UTF-8''${encodeURIComponent(grant.fileName)}`,
        );
      }
      // A stream: Fastify pipes it, no serializer runs (the schema above only documents the bytes).
      return reply.send(result.stream as never);
    },
  );
}
