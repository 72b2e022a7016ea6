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

/** Authentication: API keys (through the api-keys service) and owner/admin login sessions. */
export function createAuthService(deps: {
  db: Db;
  sessionTtlHours: number;
  apiKeys: ApiKeyService;
  users: UserService;
  schools: SchoolService;
}) {
  const { db, sessionTtlHours, apiKeys, users, schools } = deps;
  return {
    authenticateKey: (key: string): Promise<Principal> => apiKeys.authenticate(key),

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
      const expiresAt = new Date(Date.now() + sessionTtlHours * 3_600_000);
      await repo.deleteExpiredSessions(db);
      await repo.insertSession(db, user.schoolId, {
        id: newId('session'),
        tokenHash: hashToken(token),
        userId: user.id,
        expiresAt,
      });
      return { token, expiresAt, me: await this.me(user.schoolId, user.id, expiresAt) };
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
