/**
 * The Fastify adapter of the operation registry: every operation becomes a route with the same
 * path, schemas, auth and scopes it always had. Plugins (auth, rate limit, idempotency, OpenAPI)
 * read the route config this writes; handlers are one call to `run`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actorOf, requestContext } from '../lib/request-context.js';
import {
  type AnyOperation,
  defaultStatus,
  isDestructive,
  isIdempotent,
  isRawJson,
  type OperationContext,
  type Responses,
} from '../operations/operation.js';
import type { Services } from '../services.js';
import { contractCheckHook } from './contract-check.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation behind the route (OpenAPI reads its error codes and hints). */
    operation?: AnyOperation;
  }
}

/** The API base every operation path lives under. */
export const API_BASE = '/api/v1';

export function responseSchemas(op: AnyOperation): Record<number, z.ZodType> {
  const responses = op.responses as Responses;
  return Object.fromEntries(Object.entries(responses).map(([status, schema]) => [status, schema ?? z.null()]));
}

export function mountOperations(
  app: FastifyInstance,
  operations: readonly AnyOperation[],
  opts: { services: Services; contractCheck?: boolean },
) {
  for (const op of operations) {
    app.route({
      method: op.method,
      url: op.path,
      schema: {
        operationId: op.operationId,
        tags: op.tags,
        summary: op.summary,
        ...(op.description ? { description: op.description } : {}),
        ...(op.params ? { params: op.params } : {}),
        ...(op.query ? { querystring: op.query } : {}),
        ...(op.body ? { body: op.body } : {}),
        response: responseSchemas(op),
      },
      config: {
        // API.md §1: an owner/admin session works on every route a key may call (the dashboard).
        auth: op.auth ?? 'key-or-session',
        scopes: op.scopes,
        ...(op.replayable === false ? { replayable: false } : {}),
        ...(op.throttle ? { throttle: op.throttle } : {}),
        operation: op,
      },
      ...(opts.contractCheck ? { onSend: contractCheckHook(op) } : {}),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const ctx: OperationContext = {
          principal: request.principal!,
          services: opts.services,
          ifMatch: request.headers['if-match'],
        };
        const input = { params: request.params, query: request.query, body: request.body };
        // The actor of any event the operation records (lib/request-context).
        const result = await requestContext.run({ actor: actorOf(request.principal) }, () =>
          op.run(ctx, input as never),
        );
        if (result.etag) reply.header('etag', result.etag);
        if (result.location) reply.header('location', `${API_BASE}${result.location}`);
        reply.code(result.status ?? defaultStatus(op));
        if (isRawJson(result.body)) {
          // JSON text built by PostgreSQL: no parse, no re-serialisation.
          return reply
            .type('application/json; charset=utf-8')
            .serializer((payload) => payload as string)
            .send(result.body.text);
        }
        return reply.send(result.body);
      },
    });
  }
}

/** Hints for agents, derived once from the operation (also used by the MCP adapter). */
export const operationHints = (op: AnyOperation) => ({
  readOnlyHint: op.method === 'GET',
  destructiveHint: isDestructive(op),
  idempotentHint: isIdempotent(op),
});
