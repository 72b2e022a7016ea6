import { defineOperation } from '../../operations/operation.js';
import {
  CreateStudentSchema,
  CreateUserSchema,
  ListStudentsQuerySchema,
  ListUsersQuerySchema,
  UpdateStudentSchema,
  UpdateUserSchema,
  UserListSchema,
  UserParamsSchema,
  UserSchema,
} from './users.schemas.js';

const read = ['students:read' as const];
/** The dashboard manages users with its session; admins are created and re-credentialed only that way. */
const auth = 'key-or-session' as const;
const write = ['students:write' as const];
const uniqueFields = ['duplicate_email' as const, 'duplicate_external_id' as const];

/** `/students` (role student) and `/users` (students, instructors, admins, bots); both use the students scopes. */
function userOperations(as: 'student' | 'user') {
  const base = as === 'student' ? '/students' : '/users';
  const tags = [as === 'student' ? 'Students' : 'Users'];
  const noun = as === 'student' ? 'Student' : 'User';
  return [
    defineOperation({
      operationId: `create${noun}`,
      method: 'POST',
      path: base,
      tags,
      summary: `Create a ${as}`,
      ...(as === 'user'
        ? { description: "Creating an admin needs the owner's session (POST /auth/login); an API key gets 403." }
        : {}),
      auth,
      scopes: write,
      body: as === 'student' ? CreateStudentSchema : CreateUserSchema,
      responses: { 201: UserSchema },
      errors: uniqueFields,
      async run({ principal, services }, { body }) {
        const { data, etag } = await services.users.createVia(
          principal.schoolId,
          { role: 'student', ...body },
          as,
          principal,
        );
        return { status: 201, body: data, etag, location: `${base}/${data.id}` };
      },
    }),
    defineOperation({
      operationId: `list${noun}s`,
      method: 'GET',
      path: base,
      tags,
      summary: `List ${as}s (search by name or email)`,
      auth,
      scopes: read,
      query: as === 'student' ? ListStudentsQuerySchema : ListUsersQuerySchema,
      responses: { 200: UserListSchema },
      async run({ principal, services }, { query }) {
        return { body: await services.users.listVia(principal.schoolId, query, as) };
      },
    }),
    defineOperation({
      operationId: `get${noun}`,
      method: 'GET',
      path: `${base}/:id`,
      tags,
      summary: `Get a ${as}`,
      auth,
      scopes: read,
      params: UserParamsSchema,
      responses: { 200: UserSchema },
      async run({ principal, services }, { params }) {
        const { data, etag } = await services.users.getVia(principal.schoolId, params.id, as);
        return { body: data, etag };
      },
    }),
    defineOperation({
      operationId: `update${noun}`,
      method: 'PATCH',
      path: `${base}/:id`,
      tags,
      summary: `Update a ${as}`,
      description:
        as === 'user'
          ? "Changing the email, password or role of an admin needs the owner's session or that admin's own; of the owner, the owner's own session; promoting to admin, the owner's session. An API key gets 403. Changing a user's email, password or role ends that user's sessions."
          : "Changing a student's email or password ends that student's sessions.",
      auth,
      scopes: write,
      params: UserParamsSchema,
      body: as === 'student' ? UpdateStudentSchema : UpdateUserSchema,
      responses: { 200: UserSchema },
      errors: uniqueFields,
      async run({ principal, services, ifMatch }, { params, body }) {
        const { data, etag } = await services.users.updateVia(
          principal.schoolId,
          params.id,
          body,
          as,
          ifMatch,
          principal,
        );
        return { body: data, etag };
      },
    }),
    defineOperation({
      operationId: `delete${noun}`,
      method: 'DELETE',
      path: `${base}/:id`,
      tags,
      summary: `Delete a ${as} with their enrollments and progress`,
      auth,
      scopes: write,
      params: UserParamsSchema,
      responses: { 204: null },
      async run({ principal, services, ifMatch }, { params }) {
        await services.users.deleteVia(principal.schoolId, params.id, as, ifMatch, principal);
        return { status: 204, body: null };
      },
    }),
  ];
}

export const studentOperations = userOperations('student');
export const userAccountOperations = userOperations('user');
