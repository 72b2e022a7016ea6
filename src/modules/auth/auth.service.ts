import type { Db } from '../../db/client.js';
import { generateSessionToken, hashToken } from '../../lib/api-keys.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { burnPasswordCheck, verifyPassword } from '../../lib/password.js';
import type { Principal } from '../../lib/principal.js';
import type { ApiKeyService } from '../api-keys/api-keys.service.js';
import type { SchoolService } from '../schools/schools.service.js';
import type { UserService } from '../users/users.service.js';
import * as repo from './auth.repo.js';
import type { Me } from './auth.schemas.js';

export type { Principal };

const unauthorized = (why: string) => new AppError('unauthorized', why);

/**
 * Authentication: API keys (through the api-keys service) and owner/admin login sessions.
 *
 * A session ends `sessionIdleMinutes` after its last use, and `sessionTtlHours` after login at the
 * latest. Use slides its end forward, written at most once a minute (sooner for short idle
 * times), so a request does not pay a write: the idle end may come up to that step early.
 */
export function createAuthService(deps: {
  db: Db;
  sessionTtlHours: number;
  sessionIdleMinutes: number;
  /** RATE_LIMIT_MAX_PER_MINUTE: a school's stored limit never counts for more. */
  rateLimitCeiling: number;
  apiKeys: ApiKeyService;
  users: UserService;
  schools: SchoolService;
}) {
  const { db, sessionTtlHours, sessionIdleMinutes, rateLimitCeiling, apiKeys, users, schools } = deps;
  const ttlMs = sessionTtlHours * 3_600_000;
  const idleMs = sessionIdleMinutes * 60_000;
  const slideStepMs = Math.min(60_000, idleMs / 2);
  return {
    authenticateKey: (key: string): Promise<Principal> => apiKeys.authenticate(key),

    async authenticateSession(token: string): Promise<Principal | null> {
      const found = await repo.findLiveSession(db, hashToken(token), sessionTtlHours);
      if (!found) return null;
      const { session } = found;
      let expiresAt = session.expiresAt;
      const slidTo = Math.min(Date.now() + idleMs, session.createdAt.getTime() + ttlMs);
      if (slidTo - expiresAt.getTime() >= slideStepMs) {
        const slid = await repo.slideSession(db, session.schoolId, session.id, sessionIdleMinutes, sessionTtlHours);
        if (!slid) return null;
        expiresAt = slid;
      }
      return {
        via: 'session',
        userId: found.user.id,
        role: found.user.role,
        schoolId: session.schoolId,
        permissions: ['*'],
        rateLimitPerMinute:
          found.rateLimitPerMinute === null ? null : Math.min(found.rateLimitPerMinute, rateLimitCeiling),
        expiresAt,
      };
    },

    /**
     * Owners and admins log in with email and password; the token goes in an HTTP-only cookie that
     * the browser keeps until the session's latest end (`cookieExpiresAt`); `expiresAt` is its idle end.
     */
    async login(input: { email: string; password: string; schoolId?: string | undefined }) {
      const candidates = (await users.findAdminsByEmail(input.email)).filter(
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
      const createdAt = new Date();
      const cookieExpiresAt = new Date(createdAt.getTime() + ttlMs);
      const expiresAt = new Date(Math.min(createdAt.getTime() + idleMs, cookieExpiresAt.getTime()));
      await repo.deleteExpiredSessions(db);
      await repo.insertSession(db, user.schoolId, {
        id: newId('session'),
        tokenHash: hashToken(token),
        userId: user.id,
        createdAt,
        expiresAt,
      });
      return { token, expiresAt, cookieExpiresAt, me: await this.me(user.schoolId, user.id, expiresAt) };
    },

    async logout(token: string | undefined): Promise<void> {
      if (token) await repo.deleteSession(db, hashToken(token));
    },

    async me(schoolId: string, userId: string, expiresAt: Date): Promise<Me> {
      const [user, school] = await Promise.all([users.get(schoolId, userId), schools.get(schoolId)]);
      if (!user) throw unauthorized('The session is no longer valid.');
      return {
        object: 'session',
        user: { object: 'user', id: user.id, email: user.email, name: user.name, role: user.role },
        school: { object: 'school', id: school.data.id, name: school.data.name },
        expiresAt: expiresAt.toISOString(),
      };
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;
