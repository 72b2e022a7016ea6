import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { parseVideoUrlOrThrow } from '../../lib/video.js';
import { ParseVideoBodySchema, ParseVideoResponseSchema } from './videos.schemas.js';

const tags = ['Videos'];

/** Video URL parsing (API.md §2): no database, so no service; the rules live in lib/video.ts. */
export default async function videoRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/videos/parse',
    {
      schema: {
        operationId: 'parseVideoUrl',
        tags,
        summary: 'Parse a video URL (YouTube, Vimeo or direct file) without creating a lesson',
        body: ParseVideoBodySchema,
        response: { 200: ParseVideoResponseSchema },
      },
      config: { scopes: ['courses:read' as const] },
    },
    async (req) => ({ video: parseVideoUrlOrThrow(req.body.url, 'url') }),
  );
}
