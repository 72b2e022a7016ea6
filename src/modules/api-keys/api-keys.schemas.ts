import { z } from 'zod';
import { PaginationQuerySchema, PaginationSchema } from '../../lib/pagination.js';
import { SCOPES } from '../../lib/scopes.js';
import { strictQuery } from '../../lib/shape.js';

export const ScopeSchema = z.enum(SCOPES as unknown as [string, ...string[]]);

export const CreateApiKeySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(1000).optional(),
    permissions: z.array(ScopeSchema).min(1).max(SCOPES.length),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .meta({ example: { name: 'CMS sync', permissions: ['courses:write'], expiresInDays: 90 } });
export type CreateApiKey = z.infer<typeof CreateApiKeySchema>;

export const ApiKeySchema = z
  .object({
    object: z.literal('api_key'),
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    prefix: z.string().meta({ description: 'The first characters of the key, to recognise it.' }),
    permissions: z.array(z.string()),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().meta({ description: 'The secret key. Shown only in this response; store it now.' }),
}).meta({ id: 'CreatedApiKey' });

export const ApiKeyListSchema = z.object({ data: z.array(ApiKeySchema), pagination: PaginationSchema });

export const ListApiKeysQuerySchema = strictQuery({
  ...PaginationQuerySchema.shape,
  sort: z.string().optional().meta({ description: 'createdAt, name; prefix - for descending. Default -createdAt.' }),
});

export const ApiKeyIdParamsSchema = z.object({ id: z.string() });
export const RevokeQuerySchema = z.strictObject({ id: z.string().min(1) });
