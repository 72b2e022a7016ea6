import { z } from 'zod';

export const LoginSchema = z
  .strictObject({
    email: z.email(),
    password: z.string().min(1).max(1024),
    schoolId: z.string().optional().meta({ description: 'Only needed when the same email owns several schools.' }),
  })
  .meta({ example: { email: 'owner@example.com', password: 'the printed password' } });

export const MeSchema = z
  .object({
    object: z.literal('session'),
    user: z.object({
      object: z.literal('user'),
      id: z.string(),
      email: z.string(),
      name: z.string(),
      role: z.string(),
    }),
    school: z.object({ object: z.literal('school'), id: z.string(), name: z.string() }),
    expiresAt: z.string().meta({
      description:
        'When the session ends if it is not used (SESSION_IDLE_MINUTES); each use moves this on, up to SESSION_TTL_HOURS after login.',
    }),
  })
  .meta({ id: 'Session' });
export type Me = z.infer<typeof MeSchema>;
