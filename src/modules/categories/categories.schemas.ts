import { z } from 'zod';
import { PaginationQuerySchema, PaginationSchema } from '../../lib/pagination.js';
import { strictQuery } from '../../lib/shape.js';
import { SLUG_PATTERN } from '../../lib/slug.js';

export const CategorySchema = z
  .object({
    object: z.literal('category'),
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    icon: z.string().nullable(),
    order: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({
    id: 'Category',
    example: {
      object: 'category',
      id: 'cat_01JD3Q8Z7N0000000000000000',
      name: 'Programming',
      slug: 'programming',
      icon: '💻',
      order: 1,
      createdAt: '2026-11-22T10:00:00.000Z',
      updatedAt: '2026-11-22T10:00:00.000Z',
    },
  });
export type Category = z.infer<typeof CategorySchema>;

const fields = {
  name: z.string().trim().min(1).max(100),
  slug: z.string().max(100).regex(SLUG_PATTERN, 'Lowercase letters, digits and single hyphens.'),
  icon: z.string().trim().max(255).nullable(),
  order: z
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .meta({ description: 'Position in the list, from 0; appended after the last when omitted.' }),
};

export const CreateCategorySchema = z
  .strictObject({
    name: fields.name,
    slug: fields.slug.optional(),
    icon: fields.icon.optional(),
    order: fields.order.optional(),
  })
  .meta({ example: { name: 'Programming', icon: '💻' } });
export type CreateCategory = z.infer<typeof CreateCategorySchema>;

export const UpdateCategorySchema = z
  .strictObject(fields)
  .partial()
  .meta({ example: { name: 'Software', order: 2 } });
export type UpdateCategory = z.infer<typeof UpdateCategorySchema>;

export const CATEGORY_SORTS = ['order', 'name', 'createdAt'] as const;

const shapeQuery = {
  include: z.string().optional().meta({ description: 'Categories have no related resources to include.' }),
};

export const ListCategoriesQuerySchema = strictQuery({
  ...PaginationQuerySchema.shape,
  ...shapeQuery,
  sort: z.string().optional().meta({ description: 'order (default), name, createdAt; prefix - for descending.' }),
}).meta({
  description: 'Also `fields[categories]=name,slug` to return only those fields (id and object always stay).',
});

export const GetCategoryQuerySchema = strictQuery(shapeQuery);
/** The `fields[...]` types this resource answers to. */
export const CATEGORY_FIELD_TYPES = ['categories'] as const;

/** API.md: the list is `{ categories: [...] }`; `pagination` is added, as on every list. */
export const CategoryListSchema = z.object({ categories: z.array(CategorySchema), pagination: PaginationSchema });

export const CategoryParamsSchema = z.object({ id: z.string() });
