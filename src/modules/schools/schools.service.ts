import type { Db, Tx } from '../../db/client.js';
import { AppError, notFound } from '../../lib/errors.js';
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

type Limits = { rateLimitPerMinute: number; mediaQuotaBytes: number; maxUploadBytes: number };
type LimitField = keyof Limits;

/** The environment variable that sets each ceiling (named in the refusal). */
const CEILING_ENV: Record<LimitField, string> = {
  rateLimitPerMinute: 'RATE_LIMIT_MAX_PER_MINUTE',
  maxUploadBytes: 'MAX_UPLOAD_BYTES',
  mediaQuotaBytes: 'MEDIA_QUOTA_BYTES',
};

/**
 * `defaults` apply when a school sets nothing; `ceilings` (environment only) bound what a school may
 * set: a value above one is refused, and a stored value above a since-lowered ceiling counts as the ceiling.
 */
export function createSchoolService(deps: {
  db: Db;
  apiKeys: ApiKeyService;
  users: UserService;
  defaults: Limits;
  ceilings: Limits;
}) {
  const { db, apiKeys, users, defaults, ceilings } = deps;
  const effective = (row: repo.SchoolRow, field: LimitField) =>
    Math.min(row[field] ?? defaults[field], ceilings[field]);

  /** A tenant can never lift a limit that protects the host: above the ceiling is a 400, never a silent clamp. */
  function assertWithinCeilings(patch: UpdateSchool) {
    const details = (Object.keys(CEILING_ENV) as LimitField[])
      .filter((field) => typeof patch[field] === 'number' && patch[field] > ceilings[field])
      .map((field) => ({
        path: field,
        message: `At most ${ceilings[field]}, the server's ceiling (${CEILING_ENV[field]}).`,
        code: 'above_ceiling',
      }));
    if (details.length === 0) return;
    const first = details[0]!;
    throw new AppError(
      'validation_error',
      `${first.path} may be at most ${ceilings[first.path as LimitField]}, the ceiling the server's operator set (${CEILING_ENV[first.path as LimitField]}).`,
      details,
    );
  }

  const present = (row: repo.SchoolRow): School => ({
    object: 'school',
    id: row.id,
    name: row.name,
    currency: row.currency,
    timezone: row.timezone,
    customFields: row.customFields,
    rateLimitPerMinute: effective(row, 'rateLimitPerMinute'),
    mediaQuotaBytes: effective(row, 'mediaQuotaBytes'),
    maxUploadBytes: effective(row, 'maxUploadBytes'),
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

    /** School settings change the whole tenant: a session or a key with `*` (`permissions` of the caller). */
    async update(schoolId: string, patch: UpdateSchool, ifMatch: string | undefined, permissions: readonly string[]) {
      if (!permissions.includes('*')) {
        throw new AppError('forbidden', "Changing the school needs an owner session or a key with the '*' scope.", [
          { path: 'scope', message: "Requires '*'.", code: 'missing_scope' },
        ]);
      }
      assertWithinCeilings(patch);
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
