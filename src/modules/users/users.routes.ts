import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
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
import type { UserService } from './users.service.js';

const read = { scopes: ['students:read' as const] };
const write = { scopes: ['students:write' as const] };

/** `/students` (role student) and `/users` (students, instructors, admins, bots); both use the students scopes. */
export default async function userRoutes(app: FastifyInstance, { users }: { users: UserService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const school = (req: { principal: { schoolId: string } | null }) => req.principal!.schoolId;
  const star = (req: { principal: { permissions: readonly string[] } | null }) =>
    req.principal!.permissions.includes('*');

  for (const as of ['student', 'user'] as const) {
    const base = as === 'student' ? '/students' : '/users';
    const tags = [as === 'student' ? 'Students' : 'Users'];
    const noun = as === 'student' ? 'Student' : 'User';

    r.post(
      base,
      {
        schema: {
          operationId: `create${noun}`,
          tags,
          summary: `Create a ${as}`,
          body: as === 'student' ? CreateStudentSchema : CreateUserSchema,
          response: { 201: UserSchema },
        },
        config: write,
      },
      async (req, reply) => {
        const { data, etag } = await users.createVia(school(req), { role: 'student', ...req.body }, as, star(req));
        return reply.code(201).header('etag', etag).header('location', `/api/v1${base}/${data.id}`).send(data);
      },
    );
    r.get(
      base,
      {
        schema: {
          operationId: `list${noun}s`,
          tags,
          summary: `List ${as}s (search by name or email)`,
          querystring: as === 'student' ? ListStudentsQuerySchema : ListUsersQuerySchema,
          response: { 200: UserListSchema },
        },
        config: read,
      },
      async (req) => users.listVia(school(req), req.query, as),
    );
    r.get(
      `${base}/:id`,
      {
        schema: {
          operationId: `get${noun}`,
          tags,
          summary: `Get a ${as}`,
          params: UserParamsSchema,
          response: { 200: UserSchema },
        },
        config: read,
      },
      async (req, reply) => {
        const { data, etag } = await users.getVia(school(req), req.params.id, as);
        return reply.header('etag', etag).send(data);
      },
    );
    r.patch(
      `${base}/:id`,
      {
        schema: {
          operationId: `update${noun}`,
          tags,
          summary: `Update a ${as}`,
          params: UserParamsSchema,
          body: as === 'student' ? UpdateStudentSchema : UpdateUserSchema,
          response: { 200: UserSchema },
        },
        config: write,
      },
      async (req, reply) => {
        const { data, etag } = await users.updateVia(
          school(req),
          req.params.id,
          req.body,
          as,
          req.headers['if-match'],
          star(req),
        );
        return reply.header('etag', etag).send(data);
      },
    );
    r.delete(
      `${base}/:id`,
      {
        schema: {
          operationId: `delete${noun}`,
          tags,
          summary: `Delete a ${as} with their enrollments and progress`,
          params: UserParamsSchema,
          response: { 204: z.null() },
        },
        config: write,
      },
      async (req, reply) => {
        await users.deleteVia(school(req), req.params.id, as, req.headers['if-match'], star(req));
        return reply.code(204).send(null);
      },
    );
  }
}
