import type { Db, DbOrTx } from '../../db/client.js';
import { cursorValue } from '../../db/keyset.js';
import { AppError, notFound } from '../../lib/errors.js';
import { assertIfMatch, etagOf } from '../../lib/etag.js';
import { newId } from '../../lib/ids.js';
import { paginate, toListRequest } from '../../lib/pagination.js';
import { generatePassword, hashPassword } from '../../lib/password.js';
import type { Principal, UserRole } from '../../lib/principal.js';
import type { EventService } from '../events/events.service.js';
import * as repo from './users.repo.js';
import type { CreateUser, UpdateUser, User } from './users.schemas.js';

/** Admins and the owner log in with every scope: a narrowly scoped key must not manage them at all. */
const adminsNeedStar = () =>
  new AppError(
    'forbidden',
    "Changing or deleting an admin (or the owner) needs a session or a key with the '*' scope.",
    [{ path: 'role', message: "Requires '*'.", code: 'missing_scope' }],
  );

/**
 * What could turn an API key into a login (an admin's or the owner's email, password or role, a
 * new admin) needs a session: a leaked key, even `*`, must not become the school's dashboard.
 */
const sessionRequired = (path: string, what: string, who: string) =>
  new AppError('forbidden', `${what} needs ${who} (POST /auth/login); an API key cannot, even with '*'.`, [
    { path, message: `Needs ${who}.`, code: 'session_required' },
  ]);

type CredentialField = 'email' | 'password' | 'role';

/** The login credentials a patch really changes (the same email or role again is no change). */
function credentialChanges(current: repo.UserRow, patch: UpdateUser): CredentialField[] {
  const changed: CredentialField[] = [];
  if (patch.email !== undefined && patch.email !== current.email) changed.push('email');
  if (patch.password !== undefined) changed.push('password');
  if (patch.role !== undefined && patch.role !== current.role) changed.push('role');
  return changed;
}

/** The caller's session, when it is one (API keys have none). */
const sessionOf = (actor: Principal | undefined) => (actor?.via === 'session' ? actor : undefined);

/**
 * Who may change a user's login: promoting to admin needs the owner's session; the email, password
 * or role of an admin needs the owner's session or that admin's own; the owner's, the owner's own.
 */
function assertMayChangeLogin(actor: Principal | undefined, current: repo.UserRow, patch: UpdateUser) {
  const changed = credentialChanges(current, patch);
  const session = sessionOf(actor);
  if (changed.includes('role') && patch.role === 'admin' && session?.role !== 'owner')
    throw sessionRequired('role', 'Promoting a user to admin', "the owner's session");
  if (changed.length === 0) return;
  if (current.role === 'owner' && session?.userId !== current.id)
    throw sessionRequired(changed[0]!, "Changing the owner's email, password or role", "the owner's own session");
  if (current.role === 'admin' && session?.role !== 'owner' && session?.userId !== current.id)
    throw sessionRequired(
      changed[0]!,
      "Changing an admin's email, password or role",
      "the owner's session or that admin's own",
    );
}

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

/** The fields of the student object that an update changed, with their old values (updatedAt aside). */
function changedFields(before: User, after: User): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const key of Object.keys(before) as (keyof User)[])
    if (key !== 'updatedAt' && before[key] !== after[key]) changed[key] = before[key];
  return changed;
}

/**
 * Users of a school: students (the /students routes) and instructors, admins and bots (/users).
 * Passwords are hashed with argon2 and never returned; a missing one is generated (the user can
 * set one later), so every account has a password hash.
 */
export function createUserService({ db, events }: { db: Db; events: EventService }) {
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
      tx?: DbOrTx,
    ) {
      // Hashed before any transaction: argon2 takes tens of milliseconds and holds no lock.
      const passwordHash = await hashPassword(input.password ?? generatePassword());
      const insert = async (t: DbOrTx) => {
        const row = await repo.insertUser(t, input.schoolId, {
          id: newId('user'),
          email: input.email,
          name: input.name,
          role: input.role,
          passwordHash,
          avatarUrl: input.avatarUrl ?? null,
          bio: input.bio ?? null,
          externalId: input.externalId ?? null,
        });
        if (row.role === 'student')
          await events.record(t, { schoolId: row.schoolId, type: 'student.created', object: present(row, 'student') });
        return row;
      };
      // A student and their event commit together (in the caller's transaction when there is one).
      if (tx) return insert(tx);
      return input.role === 'student' ? db.transaction(insert) : insert(db);
    },

    /** `actor` is the caller (an API key or a session); without one, no admin can be created. */
    async createVia(schoolId: string, input: CreateUser, as: 'student' | 'user', actor?: Principal) {
      if (input.role === 'admin' && sessionOf(actor)?.role !== 'owner')
        throw sessionRequired('role', 'Creating an admin', "the owner's session");
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
      actor?: Principal,
    ) {
      return db.transaction(async (tx) => {
        const current = await find(schoolId, id, as, tx, true);
        assertIfMatch(ifMatch, current);
        if ((current.role === 'admin' || current.role === 'owner') && !actor?.permissions.includes('*'))
          throw adminsNeedStar();
        if (current.role === 'owner' && patch.role)
          throw new AppError('forbidden', "The owner's role cannot be changed.");
        assertMayChangeLogin(actor, current, patch);
        const { password, ...rest } = patch;
        const row = await repo.updateUser(tx, schoolId, id, {
          ...rest,
          ...(password ? { passwordHash: await hashPassword(password) } : {}),
        });
        // New credentials end the old logins, in the same transaction: a stolen session dies with the password.
        if (credentialChanges(current, patch).length > 0) await repo.deleteUserSessions(tx, schoolId, id);
        // A student before or after (a role change is one too): student.updated, unless nothing changed.
        if (current.role === 'student' || row.role === 'student') {
          const before = present(current, 'student');
          const object = present(row, 'student');
          const changed = changedFields(before, object);
          if (Object.keys(changed).length > 0 || password !== undefined)
            await events.record(tx, {
              schoolId,
              type: 'student.updated',
              object,
              previousAttributes: { ...changed, updatedAt: before.updatedAt },
            });
        }
        return { data: present(row, as), etag: etagOf(row) };
      });
    },

    /** Deletes the user with their enrollments and progress (foreign keys cascade). */
    async deleteVia(schoolId: string, id: string, as: 'student' | 'user', ifMatch?: string, actor?: Principal) {
      await db.transaction(async (tx) => {
        const current = await find(schoolId, id, as, tx, true);
        assertIfMatch(ifMatch, current);
        if (current.role === 'admin' && !actor?.permissions.includes('*')) throw adminsNeedStar();
        if (current.role === 'owner') throw new AppError('forbidden', 'The school owner cannot be deleted.');
        await repo.deleteUser(tx, schoolId, id);
        if (current.role === 'student')
          await events.record(tx, { schoolId, type: 'student.deleted', object: present(current, 'student') });
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
