import type { FastifyReply } from 'fastify';

/**
 * Sends JSON text built by PostgreSQL as it is: no parse, no re-serialisation. The route's
 * response schema still documents the shape in OpenAPI.
 */
export function sendJsonText(reply: FastifyReply, json: string, status = 200, etag?: string): FastifyReply {
  if (etag) reply.header('etag', etag);
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .serializer((payload) => payload as string)
    .send(json);
}
