import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../../db/client.js';
import { generateSessionToken, hashApiKey, hashToken, isWellFormedApiKey } from '../../lib/api-keys.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { burnPasswordCheck, verifyPassword } from '../../lib/password.js';
import * as keysRepo from '../api-keys/api-keys.repo.js';
import type { UserRole } from '../users/users.repo.js';
import * as usersRepo from '../users/users.repo.js';
import { findSchool } from '../schools/schools.repo.js';
import type { Me } from './auth.schemas.js';
import * as repo from './auth.repo.js';

/** Who is making a request: always one school, plus what the credentials allow. */
export type Principal = {
  schoolId: string;
  /** The school's rate-limit override, or null for the global default. */
  rateLimitPerMinute: number | null;
  permissions: readonly string[];
} & ({ via: 'key'; keyId: string } | { via: 'session'; userId: string; role: UserRole; expiresAt: Date });

const unauthorized = (why: string) => new AppError('unauthorized', why);

export function createAuthService({ db, sessionTtlHours }: { db: Db; sessionTtlHours: number }) {
  return {
    /** Format and checksum first, so a malformed key costs no database look-up. */
    async authenticateKey(key: string): Promise<Principal> {
      if (!isWellFormedApiKey(key)) throw unauthorized('Malformed API key.');
      const hash = hashApiKey(key);
      const found = await keysRepo.findApiKeyByHash(db, hash);
      if (!found || !timingSafeEqual(Buffer.from(found.key.keyHash), Buffer.from(hash))) throw unauthorized('Unknown API key.');
      const { key: row } = found;
      if (row.revokedAt) throw unauthorized('This API key was revoked.');
      if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw unauthorized('This API key has expired.');
      if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
        // Not awaited: recording use must not slow down or fail the request.
        keysRepo.touchApiKey(db, row.id).catch(() => {});
      }
      return { via: 'key', keyId: row.id, schoolId: row.schoolId, permissions: row.permissions, rateLimitPerMinute: found.rateLimitPerMinute };
    },

    async authenticateSession(token: string): Promise<Principal | null> {
      const found = await repo.findLiveSession(db, hashToken(token));
      if (!found) return null;
      return {
        via: 'session',
        userId: found.user.id,
        role: found.user.role,
        schoolId: found.session.schoolId,
        permissions: ['*'],
        rateLimitPerMinute: found.rateLimitPerMinute,
        expiresAt: found.session.expiresAt,
      };
    },

    /** Owners and admins log in with email and password; the token goes in an HTTP-only cookie. */
    async login(input: { email: string; password: string; schoolId?: string | undefined }) {
      const candidates = (await usersRepo.findUsersByEmail(db, input.email, ['owner', 'admin'])).filter(
        (u) => u.passwordHash && (!input.schoolId || u.schoolId === input.schoolId),
      );
      if (candidates.length === 0) {
        await burnPasswordCheck(input.password);
        throw unauthorized('Invalid email or password.');
      }
      const matching = [];
      for (const u of candidates) if (await verifyPassword(u.passwordHash!, input.password)) matching.push(u);
      if (matching.length === 0) throw unauthorized('Invalid email or password.');
      if (matching.length > 1) {
        throw new AppError('validation_error', 'This email administers several schools; add schoolId to choose one.', [
          { path: 'schoolId', message: `One of ${matching.map((u) => u.schoolId).join(', ')}.` },
        ]);
      }
      const user = matching[0]!;
      const token = generateSessionToken();
      const expiresAt = new Date(Date.now() + sessionTtlHours * 3_600_000);
      await repo.deleteExpiredSessions(db);
      await repo.insertSession(db, { id: newId('session'), tokenHash: hashToken(token), userId: user.id, schoolId: user.schoolId, expiresAt });
      return { token, expiresAt, me: await this.me(user.schoolId, user.id, expiresAt) };
    },

    async logout(token: string | undefined): Promise<void> {
      if (token) await repo.deleteSession(db, hashToken(token));
    },

    async me(schoolId: string, userId: string, expiresAt: Date): Promise<Me> {
      const [user, school] = await Promise.all([usersRepo.findUser(db, schoolId, userId), findSchool(db, schoolId)]);
      if (!user || !school) throw unauthorized('The session is no longer valid.');
      return {
        object: 'session',
        user: { object: 'user', id: user.id, email: user.email, name: user.name, role: user.role },
        school: { object: 'school', id: school.id, name: school.name },
        expiresAt: expiresAt.toISOString(),
      };
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;
