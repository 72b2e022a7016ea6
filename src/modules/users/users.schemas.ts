import { z } from 'zod';
import { PaginationQuerySchema, PaginationSchema } from '../../lib/pagination.js';
import { strictQuery } from '../../lib/shape.js';
import { HttpUrl } from '../../lib/validation.js';

const fields = {
  name: z.string().trim().min(1).max(255),
  email: z.email().max(320),
  password: z.string().min(8).max(1024),
  avatarUrl: HttpUrl.nullable(),
  bio: z.string().max(2000).nullable(),
  externalId: z.string().trim().min(1).max(255).nullable(),
};

export const CreateStudentSchema = z
  .strictObject(fields)
  .partial()
  .required({ name: true, email: true })
  .meta({ example: { name: 'Jane Smith', email: 'jane@example.com', password: 'securepass123' } });
export type CreateStudent = z.infer<typeof CreateStudentSchema>;

export const UpdateStudentSchema = z
  .strictObject(fields)
  .partial()
  .meta({ example: { name: 'Jane Doe', bio: 'Learning Rust.' } });
export type UpdateStudent = z.infer<typeof UpdateStudentSchema>;

/** Roles a user can be given through the API (owners come with their school). */
export const API_ROLES = ['student', 'instructor', 'admin', 'bot'] as const;

export const CreateUserSchema = z
  .strictObject({ ...fields, role: z.enum(API_ROLES) })
  .partial()
  .required({ name: true, email: true, role: true })
  .meta({ example: { name: 'Community bot', email: 'bot@example.com', role: 'bot' } });
export type CreateUser = z.infer<typeof CreateUserSchema>;

export const UpdateUserSchema = z.strictObject({ ...fields, role: z.enum(API_ROLES) }).partial();
export type UpdateUser = z.infer<typeof UpdateUserSchema>;

export const UserSchema = z
  .object({
    object: z.enum(['student', 'user']),
    id: z.string(),
    name: z.string(),
    email: z.string(),
    role: z.string(),
    avatarUrl: z.string().nullable(),
    bio: z.string().nullable(),
    externalId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({
    id: 'User',
    example: {
      object: 'student',
      id: 'usr_01JD3Q8Z7N5K2M4P6R8T0V2X4Z',
      name: 'Jane Smith',
      email: 'jane@example.com',
      role: 'student',
      avatarUrl: null,
      bio: null,
      externalId: null,
      createdAt: '2026-11-22T10:00:00.000Z',
      updatedAt: '2026-11-22T10:00:00.000Z',
    },
  });
export type User = z.infer<typeof UserSchema>;

export const UserListSchema = z.object({ data: z.array(UserSchema), pagination: PaginationSchema });

export const ListStudentsQuerySchema = strictQuery({
  ...PaginationQuerySchema.shape,
  search: z.string().max(255).optional().meta({ description: 'Matches name or email (case-insensitive).' }),
  sort: z.string().optional().meta({ description: 'createdAt (default -createdAt), name, email.' }),
});
export const ListUsersQuerySchema = strictQuery({
  ...PaginationQuerySchema.shape,
  search: z.string().max(255).optional(),
  role: z.enum(['owner', ...API_ROLES]).optional(),
  sort: z.string().optional(),
});
export const UserParamsSchema = z.object({ id: z.string() });
