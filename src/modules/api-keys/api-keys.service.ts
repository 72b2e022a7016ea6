import type { Db, DbOrTx } from '../../db/client.js';
import { timingSafeEqual } from 'node:crypto';
import { apiKeyDisplayPrefix, generateApiKey, hashApiKey, isWellFormedApiKey } from '../../lib/api-keys.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { Principal } from '../../lib/principal.js';
import { newId } from '../../lib/ids.js';
import { paginate, toListRequest, type Pagination } from '../../lib/pagination.js';
import { cursorValue } from '../../db/keyset.js';
import type { ApiKey, CreateApiKey } from './api-keys.schemas.js';
import * as repo from './api-keys.repo.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentApiKey(row: repo.ApiKeyRow): ApiKey {
  return {
    object: 'api_key',
    id: row.id,
    name: row.name,
    description: row.description,
    prefix: row.prefix,
    permissions: row.permissions,
    expiresAt: iso(row.expiresAt),
    lastUsedAt: iso(row.lastUsedAt),
    revokedAt: iso(row.revokedAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** API keys of a school: created with their secret shown once, listed without it, revoked at once. */
export function createApiKeyService({ db }: { db: Db }) {
  return {
    /** Format and checksum first, so a malformed key costs no database look-up; then one indexed query. */
    async authenticate(key: string): Promise<Principal> {
      if (!isWellFormedApiKey(key)) throw new AppError('unauthorized', 'Malformed API key.');
      const hash = hashApiKey(key);
      const found = await repo.findApiKeyByHash(db, hash);
      if (!found || !timingSafeEqual(Buffer.from(found.key.keyHash), Buffer.from(hash))) {
        throw new AppError('unauthorized', 'Unknown API key.');
      }
      const { key: row } = found;
      if (row.revokedAt) throw new AppError('unauthorized', 'This API key was revoked.');
      if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw new AppError('unauthorized', 'This API key has expired.');
      if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
        // Not awaited: recording use must not slow down or fail the request.
        repo.touchApiKey(db, row.id).catch(() => {});
      }
      return { via: 'key', keyId: row.id, schoolId: row.schoolId, permissions: row.permissions, rateLimitPerMinute: found.rateLimitPerMinute };
    },

    /** Creates a key; `tx` lets school creation make its first key in the same transaction. */
    async create(schoolId: string, input: CreateApiKey, createdByUserId: string | null, tx: DbOrTx = db) {
      const key = generateApiKey();
      const row = await repo.insertApiKey(tx, {
        id: newId('apiKey'),
        schoolId,
        name: input.name,
        description: input.description ?? null,
        keyHash: hashApiKey(key),
        prefix: apiKeyDisplayPrefix(key),
        permissions: [...new Set(input.permissions)],
        expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
        createdByUserId,
      });
      return { ...presentApiKey(row), key };
    },

    async list(schoolId: string, query: Parameters<typeof toListRequest>[0]): Promise<{ data: ApiKey[]; pagination: Pagination }> {
      const req = toListRequest(query, Object.keys(repo.API_KEY_SORTS), '-createdAt');
      const { rows, total } = await repo.listApiKeys(db, schoolId, req);
      const { items, pagination } = paginate(rows, req, total, (r) => cursorValue(r[req.sort.key as 'createdAt' | 'name']));
      return { data: items.map(presentApiKey), pagination };
    },

    async revoke(schoolId: string, keyId: string): Promise<void> {
      const row = await repo.revokeApiKey(db, schoolId, keyId);
      if (!row) throw notFound('API key');
    },
  };
}
export type ApiKeyService = ReturnType<typeof createApiKeyService>;
