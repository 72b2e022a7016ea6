import type { Db, DbOrTx } from '../../db/client.js';
import { cursorValue } from '../../db/keyset.js';
import { AppError, notFound } from '../../lib/errors.js';
import { assertIfMatch, etagOf } from '../../lib/etag.js';
import { newId } from '../../lib/ids.js';
import { paginate, toListRequest } from '../../lib/pagination.js';
import { generatePassword, hashPassword } from '../../lib/password.js';
import type { UserRole } from '../../lib/principal.js';
import * as repo from './users.repo.js';
import type { CreateUser, UpdateUser, User } from './users.schemas.js';

/** Admins can log in with every scope: only an owner session or a `*` key may create or change them. */
const adminsNeedStar = () =>
  new AppError(
    'forbidden',
    "Creating or changing an admin (or the owner) needs an owner session or a key with the '*' scope.",
    [{ path: 'role', message: "Requires '*'.", code: 'missing_scope' }],
  );

function present(row: repo.UserRow, as: 'student' | 'user'): User {
  return {
    object: as,
    id: row.id,
    name: row.name,
    email: row.email,
    role: row.role,
    avatarUrl: row.avatarUrl,
    bio: row.bio,
    externalId: row.externalId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Users of a school: students (the /students routes) and instructors, admins and bots (/users).
 * Passwords are hashed with argon2 and never returned; a missing one is generated (the user can
 * set one later), so every account has a password hash.
 */
export function createUserService({ db }: { db: Db }) {
  /** A user of the school seen through a route: /students sees students only. */
  async function find(schoolId: string, id: string, as: 'student' | 'user', tx: DbOrTx = db, forUpdate = false) {
    const row = forUpdate ? await repo.findUserForUpdate(tx, schoolId, id) : await repo.findUser(tx, schoolId, id);
    if (!row || (as === 'student' && row.role !== 'student')) throw notFound(as === 'student' ? 'Student' : 'User');
    return row;
  }

  const service = {
    /** Creates a user; `tx` lets another service create one inside its own transaction. */
    async create(
      input: {
        schoolId: string;
        email: string;
        name: string;
        role: UserRole;
        password?: string | undefined;
        avatarUrl?: string | null | undefined;
        bio?: string | null | undefined;
        externalId?: string | null | undefined;
      },
      tx: DbOrTx = db,
    ) {
      return repo.insertUser(tx, input.schoolId, {
        id: newId('user'),
        email: input.email,
        name: input.name,
        role: input.role,
        passwordHash: await hashPassword(input.password ?? generatePassword()),
        avatarUrl: input.avatarUrl ?? null,
        bio: input.bio ?? null,
        externalId: input.externalId ?? null,
      });
    },

    async createVia(schoolId: string, input: CreateUser, as: 'student' | 'user', canManageAdmins = false) {
      if (input.role === 'admin' && !canManageAdmins) throw adminsNeedStar();
      const row = await service.create({ ...input, schoolId });
      return { data: present(row, as), etag: etagOf(row) };
    },

    async getVia(schoolId: string, id: string, as: 'student' | 'user') {
      const row = await find(schoolId, id, as);
      return { data: present(row, as), etag: etagOf(row) };
    },

    async listVia(
      schoolId: string,
      query: Parameters<typeof toListRequest>[0] & { search?: string | undefined; role?: UserRole | undefined },
      as: 'student' | 'user',
    ) {
      const req = toListRequest(query, Object.keys(repo.USER_SORTS), '-createdAt');
      const roles: UserRole[] | undefined = as === 'student' ? ['student'] : query.role ? [query.role] : undefined;
      const { rows, total } = await repo.listUsers(db, schoolId, { search: query.search, roles }, req);
      const { items, pagination } = paginate(rows, req, total, (r) =>
        cursorValue(r[req.sort.key as 'createdAt' | 'name' | 'email']),
      );
      return { data: items.map((r) => present(r, as)), pagination };
    },

    async updateVia(
      schoolId: string,
      id: string,
      patch: UpdateUser,
      as: 'student' | 'user',
      ifMatch?: string,
      canManageAdmins = false,
    ) {
      return db.transaction(async (tx) => {
        const current = await find(schoolId, id, as, tx, true);
        assertIfMatch(ifMatch, current);
        if ((patch.role === 'admin' || current.role === 'admin' || current.role === 'owner') && !canManageAdmins)
          throw adminsNeedStar();
        if (current.role === 'owner' && patch.role)
          throw new AppError('forbidden', "The owner's role cannot be changed.");
        const { password, ...rest } = patch;
        const row = await repo.updateUser(tx, schoolId, id, {
          ...rest,
          ...(password ? { passwordHash: await hashPassword(password) } : {}),
        });
        return { data: present(row, as), etag: etagOf(row) };
      });
    },

    /** Deletes the user with their enrollments and progress (foreign keys cascade). */
    async deleteVia(schoolId: string, id: string, as: 'student' | 'user', ifMatch?: string, canManageAdmins = false) {
      await db.transaction(async (tx) => {
        const current = await find(schoolId, id, as, tx, true);
        assertIfMatch(ifMatch, current);
        if (current.role === 'admin' && !canManageAdmins) throw adminsNeedStar();
        if (current.role === 'owner') throw new AppError('forbidden', 'The school owner cannot be deleted.');
        await repo.deleteUser(tx, schoolId, id);
      });
    },

    /** Owners and admins with this email in any school (login). */
    findAdminsByEmail(email: string) {
      return repo.findUsersByEmail(db, email, ['owner', 'admin']);
    },

    findByIds(schoolId: string, ids: string[]) {
      return repo.findUsersByIds(db, schoolId, ids);
    },

    get(schoolId: string, userId: string) {
      return repo.findUser(db, schoolId, userId);
    },

    /** The user's row inside another module's transaction (enrollments: the name a certificate prints). */
    read(tx: DbOrTx, schoolId: string, userId: string) {
      return repo.findUser(tx, schoolId, userId);
    },
  };
  return service;
}
export type UserService = ReturnType<typeof createUserService>;
