import { z } from 'zod';
import { PaginationQuerySchema, PaginationSchema } from '../../lib/pagination.js';
import { strictQuery } from '../../lib/shape.js';

export const PresignSchema = z
  .strictObject({
    fileName: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .refine((n) => !/[\\/\u0000]/.test(n), 'A file name, without slashes.'),
    mimeType: z
      .string()
      .toLowerCase()
      .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/, 'A MIME type such as video/mp4.'),
    size: z.number().int().min(1),
  })
  .meta({ example: { fileName: 'lecture-1.mp4', mimeType: 'video/mp4', size: 73400320 } });
export type Presign = z.infer<typeof PresignSchema>;

export const UploadTargetSchema = z.object({
  method: z.literal('PUT'),
  url: z.string(),
  headers: z.record(z.string(), z.string()),
  expiresAt: z.string(),
});

export const PresignResponseSchema = z.object({ mediaId: z.string(), upload: UploadTargetSchema }).meta({
  id: 'PresignedUpload',
  description: 'PUT the bytes to upload.url with upload.headers before upload.expiresAt; the URL works once.',
});

export const MediaSchema = z
  .object({
    object: z.literal('media'),
    id: z.string(),
    fileName: z.string(),
    mimeType: z.string(),
    size: z.number().int(),
    status: z.enum(['pending', 'ready', 'failed']),
    failureReason: z.string().nullable(),
    duration: z.number().int().nullable(),
    url: z.string().nullable().meta({
      description: 'A short-lived signed URL for the bytes (ready media only); supports HTTP range requests.',
    }),
    urlExpiresAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({
    id: 'Media',
    example: {
      object: 'media',
      id: 'med_01JD3Q8Z7N5K2M4P6R8T0V2X4Z',
      fileName: 'lecture-1.mp4',
      mimeType: 'video/mp4',
      size: 73400320,
      status: 'ready',
      failureReason: null,
      duration: null,
      url: 'https://academy.example.com/api/v1/media-files/eyJr….sig',
      urlExpiresAt: '2026-11-22T10:15:00.000Z',
      createdAt: '2026-11-22T10:00:00.000Z',
      updatedAt: '2026-11-22T10:00:05.000Z',
    },
  });
export type Media = z.infer<typeof MediaSchema>;

export const MEDIA_KINDS = ['image', 'video', 'audio', 'pdf', 'file'] as const;

export const ListMediaQuerySchema = strictQuery({
  ...PaginationQuerySchema.shape,
  type: z
    .enum(MEDIA_KINDS)
    .optional()
    .meta({ description: 'image, video, audio (by MIME family), pdf, or file (anything else).' }),
  status: z.enum(['pending', 'ready', 'failed']).optional(),
  sort: z.string().optional().meta({ description: 'createdAt (default -createdAt).' }),
});
export const MediaListSchema = z.object({ data: z.array(MediaSchema), pagination: PaginationSchema });
export const MediaParamsSchema = z.object({ id: z.string() });
export const TokenParamsSchema = z.object({ token: z.string().max(4096) });
