import type { Db, Tx } from '../../db/client.js';
import { notFound } from '../../lib/errors.js';
import { assertIfMatch, etagOf } from '../../lib/etag.js';
import { newId } from '../../lib/ids.js';
import { generatePassword } from '../../lib/password.js';
import type { ApiKeyService } from '../api-keys/api-keys.service.js';
import type { UserService } from '../users/users.service.js';
import * as repo from './schools.repo.js';
import type { School, UpdateSchool } from './schools.schemas.js';

export type CreatedSchool = {
  school: { id: string; name: string };
  owner: { id: string; email: string; password?: string };
  apiKey: string;
};

type Defaults = { rateLimitPerMinute: number; mediaQuotaBytes: number; maxUploadBytes: number };

export function createSchoolService(deps: { db: Db; apiKeys: ApiKeyService; users: UserService; defaults: Defaults }) {
  const { db, apiKeys, users, defaults } = deps;
  const present = (row: repo.SchoolRow): School => ({
    object: 'school',
    id: row.id,
    name: row.name,
    currency: row.currency,
    timezone: row.timezone,
    customFields: row.customFields,
    rateLimitPerMinute: row.rateLimitPerMinute ?? defaults.rateLimitPerMinute,
    mediaQuotaBytes: row.mediaQuotaBytes ?? defaults.mediaQuotaBytes,
    maxUploadBytes: row.maxUploadBytes ?? defaults.maxUploadBytes,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  });

  async function createInTx(
    tx: Tx,
    input: { name: string; ownerEmail: string; ownerPassword?: string | undefined },
  ): Promise<CreatedSchool> {
    const password = input.ownerPassword ?? generatePassword();
    const school = await repo.insertSchool(tx, { id: newId('school'), name: input.name });
    const owner = await users.create(
      { schoolId: school.id, email: input.ownerEmail, name: 'Owner', role: 'owner', password },
      tx,
    );
    const key = await apiKeys.create(school.id, { name: 'Default key', permissions: ['*'] }, owner.id, tx);
    return {
      school: { id: school.id, name: school.name },
      owner: { id: owner.id, email: owner.email, ...(input.ownerPassword ? {} : { password }) },
      apiKey: key.key,
    };
  }

  return {
    async get(schoolId: string) {
      const row = await repo.findSchool(db, schoolId);
      if (!row) throw notFound('School');
      return { data: present(row), etag: etagOf(row) };
    },

    async update(schoolId: string, patch: UpdateSchool, ifMatch?: string) {
      const result = await db.transaction(async (tx) => {
        const current = await repo.findSchool(tx, schoolId, true);
        if (!current) throw notFound('School');
        assertIfMatch(ifMatch, current);
        const row = await repo.updateSchool(tx, schoolId, patch);
        // Cached credentials carry the school's rate limit.
        if (patch.rateLimitPerMinute !== undefined) await apiKeys.notifyChange(tx, `school:${schoolId}`);
        return { data: present(row), etag: etagOf(row) };
      });
      if (patch.rateLimitPerMinute !== undefined) apiKeys.forget(`school:${schoolId}`);
      return result;
    },

    /**
     * A school, its owner and an API key with every scope, in one transaction. The owner's
     * password is generated when not given and returned (once) so it can be shown.
     */
    async create(input: {
      name: string;
      ownerEmail: string;
      ownerPassword?: string | undefined;
    }): Promise<CreatedSchool> {
      return db.transaction((tx) => createInTx(tx, input));
    },

    /** First start on an empty database: make one school. Returns undefined when schools exist. */
    async bootstrapIfEmpty(input: { name: string; ownerEmail: string }): Promise<CreatedSchool | undefined> {
      return db.transaction(async (tx) => {
        await repo.lockBootstrap(tx);
        if ((await repo.countSchools(tx)) > 0) return undefined;
        return createInTx(tx, input);
      });
    },

    /** The school's row inside another module's transaction (enrollments: time zone, certificate name). */
    read(tx: Tx, schoolId: string) {
      return repo.findSchool(tx, schoolId);
    },
  };
}
export type SchoolService = ReturnType<typeof createSchoolService>;
