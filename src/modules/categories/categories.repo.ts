import { and, eq, like, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { listPage, type SortColumns } from '../../db/keyset.js';
import { categories } from '../../db/schema/index.js';
import type { ListRequest } from '../../lib/pagination.js';

export type CategoryRow = typeof categories.$inferSelect;
export type CategoryPatch = Partial<Pick<typeof categories.$inferInsert, 'name' | 'slug' | 'icon' | 'order'>>;
export const SLUG_CONSTRAINT = 'categories_school_slug_uq';

export const CATEGORY_SORT_COLUMNS: SortColumns = {
  order: { column: categories.order, kind: 'number' },
  name: { column: categories.name, kind: 'string' },
  createdAt: { column: categories.createdAt, kind: 'date' },
};

export async function insertCategory(
  db: DbOrTx,
  schoolId: string,
  row: Omit<typeof categories.$inferInsert, 'schoolId'>,
): Promise<CategoryRow> {
  const [created] = await db
    .insert(categories)
    .values({ ...row, schoolId })
    .returning();
  return created!;
}

export async function findCategory(db: DbOrTx, schoolId: string, id: string, forUpdate = false) {
  const q = db
    .select()
    .from(categories)
    .where(and(eq(categories.schoolId, schoolId), eq(categories.id, id)));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

/** Slugs equal to `base` or `base-…`, to pick the next free `-n` suffix. */
export async function slugsLike(db: DbOrTx, schoolId: string, base: string): Promise<string[]> {
  const rows = await db
    .select({ slug: categories.slug })
    .from(categories)
    .where(and(eq(categories.schoolId, schoolId), or(eq(categories.slug, base), like(categories.slug, `${base}-%`))));
  return rows.map((r) => r.slug);
}

export async function nextOrder(db: DbOrTx, schoolId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`coalesce(max(${categories.order}), 0)::int + 1` })
    .from(categories)
    .where(eq(categories.schoolId, schoolId));
  return row?.n ?? 1;
}

export async function updateCategory(db: DbOrTx, schoolId: string, id: string, patch: CategoryPatch) {
  const [row] = await db
    .update(categories)
    .set({ ...patch, updatedAt: new Date(), version: sql`${categories.version} + 1` })
    .where(and(eq(categories.schoolId, schoolId), eq(categories.id, id)))
    .returning();
  return row!;
}

export async function deleteCategory(db: DbOrTx, schoolId: string, id: string): Promise<void> {
  await db.delete(categories).where(and(eq(categories.schoolId, schoolId), eq(categories.id, id)));
}

export async function listCategories(db: DbOrTx, schoolId: string, req: ListRequest) {
  const scope = eq(categories.schoolId, schoolId);
  return listPage(db, categories, scope, req, CATEGORY_SORT_COLUMNS, categories.id);
}
