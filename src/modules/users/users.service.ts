import type { Db, DbOrTx } from '../../db/client.js';
import { newId } from '../../lib/ids.js';
import { hashPassword } from '../../lib/password.js';
import type { UserRole } from '../../lib/principal.js';
import * as repo from './users.repo.js';

/** Users of a school (owners, admins, instructors, students, bots). Student CRUD arrives with issue 5. */
export function createUserService({ db }: { db: Db }) {
  return {
    /** Creates a user; `tx` lets another service create one inside its own transaction. */
    async create(input: { schoolId: string; email: string; name: string; role: UserRole; password?: string }, tx: DbOrTx = db) {
      return repo.insertUser(tx, {
        id: newId('user'),
        schoolId: input.schoolId,
        email: input.email,
        name: input.name,
        role: input.role,
        passwordHash: input.password ? await hashPassword(input.password) : null,
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
  };
}
export type UserService = ReturnType<typeof createUserService>;
