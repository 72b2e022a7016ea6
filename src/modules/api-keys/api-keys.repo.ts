import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { listPage, type SortColumns } from '../../db/keyset.js';
import { apiKeys, schools } from '../../db/schema/index.js';
import type { ListRequest } from '../../lib/pagination.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export const API_KEY_SORTS: SortColumns = {
  createdAt: { column: apiKeys.createdAt, kind: 'date' },
  name: { column: apiKeys.name, kind: 'string' },
};

export async function insertApiKey(
  db: DbOrTx,
  schoolId: string,
  row: Omit<typeof apiKeys.$inferInsert, 'schoolId'>,
): Promise<ApiKeyRow> {
  const [created] = await db
    .insert(apiKeys)
    .values({ ...row, schoolId })
    .returning();
  return created!;
}

/**
 * The one query of key authentication: the key row and its school's rate limit. Not scoped by
 * school: the key is what tells which school the request is for.
 */
export async function findApiKeyByHash(db: DbOrTx, keyHash: string) {
  const [row] = await db
    .select({ key: apiKeys, rateLimitPerMinute: schools.rateLimitPerMinute })
    .from(apiKeys)
    .innerJoin(schools, eq(schools.id, apiKeys.schoolId))
    .where(eq(apiKeys.keyHash, keyHash));
  return row;
}

/** Records use at most once a minute per key, so authentication does not write on every request. */
export async function touchApiKey(db: DbOrTx, schoolId: string, keyId: string): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiKeys.schoolId, schoolId),
        eq(apiKeys.id, keyId),
        or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`)),
      ),
    );
}

export async function listApiKeys(db: DbOrTx, schoolId: string, req: ListRequest) {
  const scope = eq(apiKeys.schoolId, schoolId);
  return listPage(db, apiKeys, scope, req, API_KEY_SORTS, apiKeys.id);
}

/** Tells every instance (on commit) to forget cached credentials of a key or of a whole school. */
export async function notifyAuthChange(db: DbOrTx, target: `key:${string}` | `school:${string}`): Promise<void> {
  await db.execute(sql`SELECT pg_notify(${AUTH_CHANNEL}, ${target})`);
}
export const AUTH_CHANNEL = 'syllabus_auth';

export async function revokeApiKey(db: DbOrTx, schoolId: string, keyId: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db
    .update(apiKeys)
    .set({
      revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())`,
      updatedAt: new Date(),
      version: sql`${apiKeys.version} + 1`,
    })
    .where(and(eq(apiKeys.schoolId, schoolId), eq(apiKeys.id, keyId)))
    .returning();
  return row;
}
