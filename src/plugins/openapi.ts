import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERROR_STATUS } from '../lib/errors.js';
import { documentedErrors } from '../operations/errors-doc.js';
import type { AnyOperation } from '../operations/operation.js';
import type { RouteAuth } from './auth.js';

export const ErrorSchema = z
  .object({
    error: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]]),
    message: z.string(),
    details: z
      .array(
        z.object({
          path: z.string(),
          message: z.string(),
          code: z.string().optional(),
          unlocksAt: z.string().optional(),
        }),
      )
      .optional(),
    requestId: z.string(),
  })
  .meta({
    id: 'Error',
    example: {
      error: 'validation_error',
      message: "Field 'name' is required.",
      details: [{ path: 'name', message: 'Required', code: 'invalid_type' }],
      requestId: 'req_01JD3Q8Z7N5K2M4P6R8T0V2X4Z',
    },
  });

// ErrorSchema is registered by its meta id, so the document carries it once in components.schemas.
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const SECURITY: Record<RouteAuth, Record<string, string[]>[] | undefined> = {
  key: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
  session: [{ sessionCookie: [] }],
  'key-or-session': [{ bearerAuth: [] }, { apiKeyHeader: [] }, { sessionCookie: [] }],
  learner: [{ learnerToken: [] }],
  'key-or-learner': [{ bearerAuth: [] }, { apiKeyHeader: [] }, { learnerToken: [] }],
  none: [],
};

/**
 * OpenAPI 3.1 generated from the routes' Zod schemas, with each route's security and the error
 * responses every route can give. Served at /api/v1/openapi.json, with Swagger UI at /docs (its
 * assets come from the npm package: no outside network needed).
 */
export default fp(async function openapiPlugin(app: FastifyInstance, opts: { publicUrl: string; version: string }) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Syllabus API',
        version: opts.version,
        license: { name: 'MIT', identifier: 'MIT' },
        description:
          'API-first course platform. Authenticate with `Authorization: Bearer <key>` or `x-api-key: <key>`. Every error has the shape of the `Error` schema.',
      },
      servers: [{ url: opts.publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key: syl_…' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          learnerToken: {
            type: 'http',
            scheme: 'bearer',
            description:
              'Learner token: slt_… from POST /students/{id}/tokens. Acts as one student on the /me routes only.',
          },
          sessionCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: 'syllabus_session',
            description:
              'Owner/admin session from POST /auth/login; named `__Host-syllabus_session` when served over https.',
          },
        },
      },
    },
    transform: (doc) => {
      const out = jsonSchemaTransform(doc) as { schema: Record<string, unknown>; url: string };
      if (!doc.url.startsWith('/api/v1/') || out.schema.hide) return out;
      const auth: RouteAuth = (doc.route.config as { auth?: RouteAuth } | undefined)?.auth ?? 'key';
      const scopes = (doc.route.config as { scopes?: string[] } | undefined)?.scopes ?? [];
      const response = (out.schema.response ?? {}) as Record<string, unknown>;
      const operation = (doc.route.config as { operation?: AnyOperation } | undefined)?.operation;
      if (operation) {
        // Every status the operation can answer, with its error codes.
        for (const [status, codes] of documentedErrors(operation)) {
          response[String(status)] ??= errorResponse(`\`${codes.join('`, `')}\``);
        }
      } else {
        if (out.schema.body || out.schema.querystring || out.schema.params)
          response['400'] ??= errorResponse('Invalid request (validation_error, invalid_json, …)');
        if (auth !== 'none')
          response['401'] ??= errorResponse('Missing, malformed, unknown, revoked or expired credentials');
        if (scopes.length) response['403'] ??= errorResponse(`The key lacks the scope ${scopes.join(', ')}`);
        else if (auth !== 'none') response['403'] ??= errorResponse('These credentials may not use this route');
        if (out.schema.params) response['404'] ??= errorResponse('Not found (also other schools\u2019 ids)');
        if (doc.route.method === 'PATCH' || doc.route.method === 'DELETE')
          response['412'] ??= errorResponse('If-Match did not match the ETag');
        response['429'] ??= errorResponse('Rate limited; see Retry-After');
        response['500'] ??= errorResponse('Unexpected server error');
        const ok = response['200'] as { content?: Record<string, unknown> } | undefined;
        if (ok?.content?.['application/pdf'])
          response['503'] ??= errorResponse('Too many PDFs being rendered at once; see Retry-After');
      }
      const description = scopes.length ? `Requires scope \`${scopes.join('`, `')}\`.` : undefined;
      return {
        url: out.url,
        schema: {
          ...out.schema,
          response,
          security: SECURITY[auth],
          ...(description && !out.schema.description ? { description } : {}),
        },
      };
    },
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });

  app.get('/api/v1/openapi.json', { schema: { hide: true }, config: { auth: 'none' } }, async () => app.swagger());
});
