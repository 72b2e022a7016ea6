import { z } from 'zod';

const CustomFieldDefinitionSchema = z.strictObject({
  key: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/, 'Letters, digits and underscores, starting with a letter (≤ 64).'),
  label: z.string().trim().min(1).max(255),
  type: z.enum(['text', 'number', 'boolean', 'date']),
});

export const SchoolSchema = z
  .object({
    object: z.literal('school'),
    id: z.string(),
    name: z.string(),
    currency: z.string(),
    timezone: z.string(),
    customFields: z.array(CustomFieldDefinitionSchema),
    rateLimitPerMinute: z.number().int(),
    mediaQuotaBytes: z.number().int(),
    maxUploadBytes: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'School' });
export type School = z.infer<typeof SchoolSchema>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const UpdateSchoolSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(255),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'An ISO 4217 code such as USD.')
      .transform((c) => c.toUpperCase()),
    timezone: z.string().refine(isTimeZone, 'An IANA time zone such as Europe/Berlin.'),
    customFields: z
      .array(CustomFieldDefinitionSchema)
      .max(100)
      .refine((defs) => new Set(defs.map((d) => d.key)).size === defs.length, 'Custom field keys must be unique.'),
    rateLimitPerMinute: z.number().int().min(1).max(1_000_000).nullable().meta({
      description:
        "Requests per minute per key or session; null: the server's default. Above the operator's ceiling (RATE_LIMIT_MAX_PER_MINUTE, default 1000) → 400 validation_error, code above_ceiling.",
    }),
    mediaQuotaBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().meta({
      description:
        "Total bytes of media the school may hold; null: the server's default. Above the operator's ceiling (MEDIA_QUOTA_BYTES) → 400 validation_error, code above_ceiling.",
    }),
    maxUploadBytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).nullable().meta({
      description:
        "Largest single upload in bytes; null: the server's default. Above the operator's ceiling (MAX_UPLOAD_BYTES) → 400 validation_error, code above_ceiling.",
    }),
  })
  .partial()
  .meta({ example: { name: 'Rust Academy', currency: 'EUR', timezone: 'Europe/Berlin' } });
export type UpdateSchool = z.infer<typeof UpdateSchoolSchema>;
