import type { Db } from '../../db/client.js';
import { cursorValue } from '../../db/keyset.js';
import { insertWithGeneratedSlug, nextSlugNumber } from '../../db/unique-slug.js';
import { notFound } from '../../lib/errors.js';
import { assertIfMatch, etagOf } from '../../lib/etag.js';
import { newId } from '../../lib/ids.js';
import { paginate, toListRequest } from '../../lib/pagination.js';
import { applyFields, parseFields, parseInclude } from '../../lib/shape.js';
import { slugify } from '../../lib/slug.js';
import * as repo from './categories.repo.js';
import {
  CATEGORY_FIELD_TYPES,
  CATEGORY_SORTS,
  type Category,
  type CreateCategory,
  type UpdateCategory,
} from './categories.schemas.js';

function present(row: repo.CategoryRow): Category {
  return {
    object: 'category',
    id: row.id,
    name: row.name,
    slug: row.slug,
    icon: row.icon,
    order: row.order,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const versioned = (row: repo.CategoryRow) => ({ data: present(row), etag: etagOf(row) });

type ShapeQuery = { include?: string | undefined } & Record<string, unknown>;

/** Categories have nothing to include; `fields[categories]` trims them. */
function shapeOf(query: ShapeQuery) {
  parseInclude(query.include, []);
  return parseFields(query, CATEGORY_FIELD_TYPES);
}

/** Course categories of a school (API.md §2 Categories). */
export function createCategoryService({ db }: { db: Db }) {
  return {
    async create(schoolId: string, input: CreateCategory) {
      return db.transaction(async (tx) => {
        const values = {
          name: input.name,
          icon: input.icon ?? null,
          order: input.order ?? (await repo.nextOrder(tx, schoolId)),
        };
        // An explicit slug that is taken is the client's conflict (409); a generated one gets -2, -3…
        if (input.slug)
          return versioned(
            await repo.insertCategory(tx, schoolId, { id: newId('category'), slug: input.slug, ...values }),
          );
        const base = slugify(input.name);
        const start = nextSlugNumber(base, await repo.slugsLike(tx, schoolId, base));
        const row = await insertWithGeneratedSlug(tx, base, start, repo.SLUG_CONSTRAINT, (sp, slug) =>
          repo.insertCategory(sp, schoolId, { id: newId('category'), slug, ...values }),
        );
        return versioned(row);
      });
    },

    async get(schoolId: string, id: string, query: ShapeQuery = {}) {
      const fields = shapeOf(query);
      const row = await repo.findCategory(db, schoolId, id);
      if (!row) throw notFound('Category');
      return { data: applyFields(present(row), fields, 'categories'), etag: etagOf(row) };
    },

    async exists(schoolId: string, id: string): Promise<boolean> {
      return (await repo.findCategory(db, schoolId, id)) !== undefined;
    },

    async list(schoolId: string, query: Parameters<typeof toListRequest>[0] & ShapeQuery) {
      const fields = shapeOf(query);
      const req = toListRequest(query, CATEGORY_SORTS, 'order');
      const { rows, total } = await repo.listCategories(db, schoolId, req);
      const { items, pagination } = paginate(rows, req, total, (r) =>
        cursorValue(r[req.sort.key as (typeof CATEGORY_SORTS)[number]]),
      );
      return { categories: items.map((r) => applyFields(present(r), fields, 'categories')), pagination };
    },

    async update(schoolId: string, id: string, patch: UpdateCategory, ifMatch?: string) {
      return db.transaction(async (tx) => {
        const current = await repo.findCategory(tx, schoolId, id, true);
        if (!current) throw notFound('Category');
        assertIfMatch(ifMatch, current);
        return versioned(await repo.updateCategory(tx, schoolId, id, patch));
      });
    },

    /** A category that courses use cannot be deleted (the foreign key refuses: 409 conflict). */
    async delete(schoolId: string, id: string, ifMatch?: string) {
      await db.transaction(async (tx) => {
        const current = await repo.findCategory(tx, schoolId, id, true);
        if (!current) throw notFound('Category');
        assertIfMatch(ifMatch, current);
        await repo.deleteCategory(tx, schoolId, id);
      });
    },
  };
}
export type CategoryService = ReturnType<typeof createCategoryService>;
