import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ApiKeyIdParamsSchema,
  ApiKeyListSchema,
  CreateApiKeySchema,
  CreatedApiKeySchema,
  ListApiKeysQuerySchema,
  RevokeQuerySchema,
} from './api-keys.schemas.js';
import type { ApiKeyService } from './api-keys.service.js';

const tags = ['API keys'];
/** Key management needs a logged-in owner or admin, never an API key (a key cannot mint keys). */
const config = { auth: 'session' as const };

export default async function apiKeyRoutes(app: FastifyInstance, { apiKeys }: { apiKeys: ApiKeyService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api-keys',
    {
      schema: {
        operationId: 'createApiKey',
        tags,
        summary: 'Create an API key (the key is shown once)',
        body: CreateApiKeySchema,
        response: { 201: CreatedApiKeySchema },
      },
      config: { ...config, replayable: false },
    },
    async (req, reply) => {
      const p = req.principal!;
      return reply.code(201).send(await apiKeys.create(p.schoolId, req.body, p.via === 'session' ? p.userId : null));
    },
  );

  r.get(
    '/api-keys',
    {
      schema: {
        operationId: 'listApiKeys',
        tags,
        summary: 'List API keys (never the keys themselves)',
        querystring: ListApiKeysQuerySchema,
        response: { 200: ApiKeyListSchema },
      },
      config,
    },
    async (req) => apiKeys.list(req.principal!.schoolId, req.query),
  );

  r.delete(
    '/api-keys/:id',
    {
      schema: {
        operationId: 'revokeApiKey',
        tags,
        summary: 'Revoke an API key at once',
        params: ApiKeyIdParamsSchema,
        response: { 204: z.null() },
      },
      config,
    },
    async (req, reply) => {
      await apiKeys.revoke(req.principal!.schoolId, req.params.id);
      return reply.code(204).send(null);
    },
  );

  r.delete(
    '/api-keys',
    {
      schema: {
        operationId: 'revokeApiKeyByQuery',
        tags,
        summary: 'Revoke an API key (?id=)',
        querystring: RevokeQuerySchema,
        response: { 204: z.null() },
      },
      config,
    },
    async (req, reply) => {
      await apiKeys.revoke(req.principal!.schoolId, req.query.id);
      return reply.code(204).send(null);
    },
  );
}
