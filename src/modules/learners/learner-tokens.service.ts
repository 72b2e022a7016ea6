import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../../db/client.js';
import { checksummedFormat, hashApiKey } from '../../lib/api-keys.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Principal } from '../../lib/principal.js';
import type { UserService } from '../users/users.service.js';
import * as repo from './learner-tokens.repo.js';
import type { LearnerToken } from './me.schemas.js';

/** `slt_` + 32 base62 + 6 checksum chars: recognisable, and a typo costs no database look-up. */
export const learnerTokenFormat = checksummedFormat('slt_');

/** Expired tokens are deleted when the student's next token is minted, this long after they expired. */
const KEEP_EXPIRED_MS = 24 * 3_600_000;

/**
 * Learner tokens: minted for one student by the school's server (shown once, stored as SHA-256),
 * revoked all at once per student, and authenticated on every request with one indexed query.
 * No cache: tokens live minutes to a day, and a revocation then takes effect on the next request.
 */
export function createLearnerTokenService({
  db,
  users,
  now,
  rateLimitCeiling,
}: {
  db: Db;
  users: UserService;
  /** The clock of expiry (the same injectable clock as the learning rules). */
  now: () => Date;
  rateLimitCeiling: number;
}) {
  return {
    /** Only for a user with role student of this school (anything else is 404 Student, like GET /students/{id}). */
    async create(schoolId: string, studentId: string, expiresInMinutes: number): Promise<LearnerToken> {
      await users.getVia(schoolId, studentId, 'student');
      const token = learnerTokenFormat.generate();
      const at = now();
      await repo.deleteExpiredTokens(db, schoolId, studentId, new Date(at.getTime() - KEEP_EXPIRED_MS));
      const row = await repo.insertLearnerToken(db, schoolId, {
        id: newId('learnerToken'),
        studentId,
        tokenHash: hashApiKey(token),
        expiresAt: new Date(at.getTime() + expiresInMinutes * 60_000),
      });
      return {
        object: 'learner_token',
        id: row.id,
        studentId,
        token,
        expiresAt: row.expiresAt.toISOString(),
        createdAt: row.createdAt.toISOString(),
      };
    },

    /** Revokes every token of the student (404 when not a student of this school); idempotent. */
    async revokeAll(schoolId: string, studentId: string): Promise<number> {
      await users.getVia(schoolId, studentId, 'student');
      return repo.revokeStudentTokens(db, schoolId, studentId);
    },

    /** The learner principal of a token, or `unauthorized` (malformed, unknown, revoked, expired, no longer a student). */
    async authenticate(token: string): Promise<Principal> {
      if (!learnerTokenFormat.isWellFormed(token)) throw new AppError('unauthorized', 'Malformed learner token.');
      const hash = hashApiKey(token);
      const found = await repo.findLearnerTokenByHash(db, hash);
      if (!found || !timingSafeEqual(Buffer.from(found.token.tokenHash), Buffer.from(hash)))
        throw new AppError('unauthorized', 'Unknown learner token.');
      const { token: row, rateLimitPerMinute, role } = found;
      if (row.revokedAt) throw new AppError('unauthorized', 'This learner token was revoked.');
      if (row.expiresAt.getTime() <= now().getTime())
        throw new AppError('unauthorized', 'This learner token has expired.');
      if (role !== 'student') throw new AppError('unauthorized', 'This learner token no longer names a student.');
      return {
        via: 'learner',
        tokenId: row.id,
        studentId: row.studentId,
        schoolId: row.schoolId,
        expiresAt: row.expiresAt,
        permissions: [],
        rateLimitPerMinute: rateLimitPerMinute === null ? null : Math.min(rateLimitPerMinute, rateLimitCeiling),
      };
    },
  };
}
export type LearnerTokenService = ReturnType<typeof createLearnerTokenService>;
