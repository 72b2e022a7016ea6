import { parseVideoUrlOrThrow } from '../../lib/video.js';
import { defineOperation } from '../../operations/operation.js';
import { ParseVideoBodySchema, ParseVideoResponseSchema } from './videos.schemas.js';

/** Video URL parsing (API.md §2): no database, so no service; the rules live in lib/video.ts. */
export const videoOperations = [
  defineOperation({
    operationId: 'parseVideoUrl',
    method: 'POST',
    path: '/videos/parse',
    tags: ['Videos'],
    summary: 'Parse a video URL (YouTube, Vimeo or direct file) without creating a lesson',
    scopes: ['courses:read'],
    body: ParseVideoBodySchema,
    responses: { 200: ParseVideoResponseSchema },
    errors: ['invalid_video_url'],
    // Parsing changes nothing: the same URL always gives the same answer.
    idempotent: true,
    async run(_ctx, { body }) {
      return { body: { video: parseVideoUrlOrThrow(body.url, 'url') } };
    },
  }),
];
