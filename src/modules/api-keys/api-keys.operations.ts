import { defineOperation } from '../../operations/operation.js';
import {
  ApiKeyIdParamsSchema,
  ApiKeyListSchema,
  CreateApiKeySchema,
  CreatedApiKeySchema,
  ListApiKeysQuerySchema,
  RevokeQuerySchema,
} from './api-keys.schemas.js';

const tags = ['API keys'];
/** Key management needs a logged-in owner or admin, never an API key (a key cannot mint keys). */
const auth = 'session' as const;

export const apiKeyOperations = [
  defineOperation({
    operationId: 'createApiKey',
    method: 'POST',
    path: '/api-keys',
    tags,
    summary: 'Create an API key (the key is shown once)',
    auth,
    scopes: [],
    body: CreateApiKeySchema,
    responses: { 201: CreatedApiKeySchema },
    replayable: false,
    async run({ principal, services }, { body }) {
      const userId = principal.via === 'session' ? principal.userId : null;
      return { status: 201, body: await services.apiKeys.create(principal.schoolId, body, userId) };
    },
  }),
  defineOperation({
    operationId: 'listApiKeys',
    method: 'GET',
    path: '/api-keys',
    tags,
    summary: 'List API keys (never the keys themselves)',
    auth,
    scopes: [],
    query: ListApiKeysQuerySchema,
    responses: { 200: ApiKeyListSchema },
    async run({ principal, services }, { query }) {
      return { body: await services.apiKeys.list(principal.schoolId, query) };
    },
  }),
  defineOperation({
    operationId: 'revokeApiKey',
    method: 'DELETE',
    path: '/api-keys/:id',
    tags,
    summary: 'Revoke an API key at once',
    auth,
    scopes: [],
    params: ApiKeyIdParamsSchema,
    responses: { 204: null },
    async run({ principal, services }, { params }) {
      await services.apiKeys.revoke(principal.schoolId, params.id);
      return { status: 204, body: null };
    },
  }),
  defineOperation({
    operationId: 'revokeApiKeyByQuery',
    method: 'DELETE',
    path: '/api-keys',
    tags,
    summary: 'Revoke an API key (?id=)',
    auth,
    scopes: [],
    query: RevokeQuerySchema,
    responses: { 204: null },
    errors: ['not_found'],
    async run({ principal, services }, { query }) {
      await services.apiKeys.revoke(principal.schoolId, query.id);
      return { status: 204, body: null };
    },
  }),
];
