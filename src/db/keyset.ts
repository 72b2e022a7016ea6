import { type AnyColumn, and, asc, desc, type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { AppError } from '../lib/errors.js';
import type { ListRequest } from '../lib/pagination.js';
import type { DbOrTx } from './client.js';

export type SortColumns = Record<string, { column: AnyColumn; kind: 'date' | 'string' | 'number' }>;

/**
 * ORDER BY and the keyset condition for a list: `(sort, id) > (after.value, after.id)`, which an
 * index on (school_id, sort, id) answers without scanning the pages before it.
 */
export function keyset(req: ListRequest, columns: SortColumns, id: AnyColumn): { where?: SQL; orderBy: SQL[] } {
  const sort = columns[req.sort.key];
  if (!sort) throw new Error(`no sort column ${req.sort.key}`);
  const dir = req.sort.desc ? desc : asc;
  const orderBy = [dir(sort.column), dir(id)];
  if (!req.after) return { orderBy };
  const value = cursorValueFor(sort.kind, req.after.value);
  const where = req.sort.desc
    ? sql`(${sort.column}, ${id}) < (${value}, ${req.after.id})`
    : sql`(${sort.column}, ${id}) > (${value}, ${req.after.id})`;
  return { where, orderBy };
}

/** A cursor's value, checked against the sort column's kind (a forged cursor is a 400, not a 500). */
export function cursorValueFor(kind: 'date' | 'string' | 'number', raw: unknown): Date | string | number {
  if (kind === 'number' && typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
  if (kind === 'string' && typeof raw === 'string' && !raw.includes('\u0000')) return raw;
  if (kind === 'date' && typeof raw === 'string' && !Number.isNaN(Date.parse(raw))) return new Date(raw);
  throw new AppError(
    'invalid_cursor',
    'The cursor is not valid for this list and sort order; start again without it.',
    [{ path: 'cursor', message: 'Invalid cursor.' }],
  );
}

/** The value a cursor records for a row's sort column (dates as ISO strings). */
export function cursorValue(v: unknown): string | number | null {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number' || typeof v === 'string') return v;
  return null;
}

/**
 * In page mode the total comes with the page itself (`count(*) OVER ()` is computed before LIMIT),
 * so a page costs one query. Cursor mode does not count (that would be linear in the list).
 */
export function totalColumn(req: ListRequest): SQL<number | null> {
  return req.after ? sql<null>`null` : sql<number>`count(*) over ()`.mapWith(Number);
}

/** Splits `{ row, total }` results; a page past the end has no row to carry the total, so it counts. */
export async function withTotal<T>(
  results: { row: T; total: number | null }[],
  req: ListRequest,
  countAll: () => Promise<number>,
): Promise<{ rows: T[]; total: number | undefined }> {
  const rows = results.map((r) => r.row);
  if (req.after) return { rows, total: undefined };
  if (results.length > 0) return { rows, total: results[0]!.total ?? 0 };
  return { rows, total: req.offset ? await countAll() : 0 };
}

/**
 * One page of a list: the rows of `table` matching `scope`, ordered and cut by the request
 * (page or cursor), with the total in page mode. Every simple list in the API goes through here.
 */
export async function listPage<T extends PgTable>(
  db: DbOrTx,
  table: T,
  scope: SQL,
  req: ListRequest,
  sorts: SortColumns,
  id: AnyColumn,
): Promise<{ rows: T['$inferSelect'][]; total: number | undefined }> {
  const page = keyset(req, sorts, id);
  const results = (await db
    .select({ row: table as unknown as PgTable, total: totalColumn(req) } as never)
    .from(table as never)
    .where(page.where ? and(scope, page.where) : scope)
    .orderBy(...page.orderBy)
    .limit(req.limit + 1)
    .offset(req.offset ?? 0)) as unknown as { row: T['$inferSelect']; total: number | null }[];
  return withTotal(results, req, () => db.$count(table, scope));
}
