import { timingSafeEqual } from 'node:crypto';
import type { Db, DbOrTx } from '../../db/client.js';
import { cursorValue } from '../../db/keyset.js';
import type { Notifier } from '../../db/notify.js';
import { apiKeyDisplayPrefix, generateApiKey, hashApiKey, isWellFormedApiKey } from '../../lib/api-keys.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { type Pagination, paginate, toListRequest } from '../../lib/pagination.js';
import type { Principal } from '../../lib/principal.js';
import * as repo from './api-keys.repo.js';
import type { ApiKey, CreateApiKey } from './api-keys.schemas.js';

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

type AuthTarget = `key:${string}` | `school:${string}`;
type CachedKey = {
  found: NonNullable<Awaited<ReturnType<typeof repo.findApiKeyByHash>>>;
  cachedAt: number;
  touchedAt: number;
};

/** Cached look-ups expire after this long even without a notification (a safety net). */
const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 10_000;

/**
 * API keys of a school: created with their secret shown once, listed without it, revoked at once.
 *
 * Authentication caches valid keys in memory so a request does not pay a query for its key. The
 * cache is only used while the PostgreSQL LISTEN connection is live: revocation and school limit
 * changes NOTIFY every instance in the committing transaction, and the instance that made the
 * change also evicts synchronously, so a revoked key is refused at once everywhere.
 */
export function createApiKeyService({
  db,
  notifier,
  rateLimitCeiling,
}: {
  db: Db;
  notifier: Notifier;
  /** RATE_LIMIT_MAX_PER_MINUTE: a school's stored limit never counts for more. */
  rateLimitCeiling: number;
}) {
  const cache = new Map<string, CachedKey>();
  /**
   * Bumped by every eviction: a look-up that was in flight when credentials changed must not cache
   * what it read before the change (it could re-cache a key revoked meanwhile).
   */
  let generation = 0;
  const evict = (target: string) => {
    generation++;
    const [kind, id] = target.split(':');
    for (const [hash, entry] of cache) {
      if ((kind === 'key' && entry.found.key.id === id) || (kind === 'school' && entry.found.key.schoolId === id))
        cache.delete(hash);
    }
  };
  notifier.subscribe(repo.AUTH_CHANNEL, {
    onMessage: evict,
    onReset: () => {
      generation++;
      cache.clear();
    },
  });

  async function lookUp(hash: string): Promise<CachedKey | undefined> {
    const hit = cache.get(hash);
    if (hit && notifier.live && Date.now() - hit.cachedAt < CACHE_TTL_MS) return hit;
    const startedAt = generation;
    const found = await repo.findApiKeyByHash(db, hash);
    if (!found) return undefined;
    const entry = { found, cachedAt: Date.now(), touchedAt: found.key.lastUsedAt?.getTime() ?? 0 };
    if (notifier.live && !found.key.revokedAt && generation === startedAt) {
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(hash, entry);
    }
    return entry;
  }

  return {
    /** Format and checksum first, so a malformed key costs no database look-up; then the cache or one indexed query. */
    async authenticate(key: string): Promise<Principal> {
      if (!isWellFormedApiKey(key)) throw new AppError('unauthorized', 'Malformed API key.');
      const hash = hashApiKey(key);
      const entry = await lookUp(hash);
      if (!entry || !timingSafeEqual(Buffer.from(entry.found.key.keyHash), Buffer.from(hash))) {
        throw new AppError('unauthorized', 'Unknown API key.');
      }
      const { key: row, rateLimitPerMinute } = entry.found;
      if (row.revokedAt) throw new AppError('unauthorized', 'This API key was revoked.');
      if (row.expiresAt && row.expiresAt.getTime() <= Date.now())
        throw new AppError('unauthorized', 'This API key has expired.');
      if (Date.now() - entry.touchedAt > 60_000) {
        entry.touchedAt = Date.now();
        // Not awaited: recording use must not slow down or fail the request.
        repo.touchApiKey(db, row.schoolId, row.id).catch(() => {});
      }
      return {
        via: 'key',
        keyId: row.id,
        schoolId: row.schoolId,
        permissions: row.permissions,
        rateLimitPerMinute: rateLimitPerMinute === null ? null : Math.min(rateLimitPerMinute, rateLimitCeiling),
      };
    },

    /** Inside the changing transaction: every instance forgets the cached credentials on commit. */
    notifyChange: (tx: DbOrTx, target: AuthTarget) => repo.notifyAuthChange(tx, target),
    /** After commit: this instance forgets them at once (its own notification follows in ms). */
    forget: (target: AuthTarget) => evict(target),

    /** Creates a key; `tx` lets school creation make its first key in the same transaction. */
    async create(schoolId: string, input: CreateApiKey, createdByUserId: string | null, tx: DbOrTx = db) {
      const key = generateApiKey();
      const row = await repo.insertApiKey(tx, schoolId, {
        id: newId('apiKey'),
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

    async list(
      schoolId: string,
      query: Parameters<typeof toListRequest>[0],
    ): Promise<{ data: ApiKey[]; pagination: Pagination }> {
      const req = toListRequest(query, Object.keys(repo.API_KEY_SORTS), '-createdAt');
      const { rows, total } = await repo.listApiKeys(db, schoolId, req);
      const { items, pagination } = paginate(rows, req, total, (r) =>
        cursorValue(r[req.sort.key as 'createdAt' | 'name']),
      );
      return { data: items.map(presentApiKey), pagination };
    },

    async revoke(schoolId: string, keyId: string): Promise<void> {
      await db.transaction(async (tx) => {
        const row = await repo.revokeApiKey(tx, schoolId, keyId);
        if (!row) throw notFound('API key');
        await repo.notifyAuthChange(tx, `key:${keyId}`);
      });
      evict(`key:${keyId}`); // after commit: a request racing the commit may have re-cached it
    },
  };
}
export type ApiKeyService = ReturnType<typeof createApiKeyService>;
