import { z } from 'zod';
import { AppError } from './errors.js';

/** API.md §1 Lists: `?page=&limit=` or `?cursor=&limit=` (never both). */
export const PaginationQuerySchema = z.object({
  page: z.coerce.number().int().min(1).optional().meta({ description: 'Page number (1-based). Not with cursor.' }),
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'Items per page, 1–100.' }),
  cursor: z.string().min(1).max(512).optional().meta({ description: 'nextCursor from the previous page.' }),
});
export type PaginationQuery = z.infer<typeof PaginationQuerySchema>;

export const PaginationSchema = z
  .object({
    page: z.number().int().nullable(),
    limit: z.number().int(),
    total: z.number().int().nullable(),
    totalPages: z.number().int().nullable(),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({
    id: 'Pagination',
    description:
      'Page mode counts the list (page, total, totalPages). Cursor mode walks it in constant time at any depth and does not count (those three are null).',
  });
export type Pagination = z.infer<typeof PaginationSchema>;

export type SortValue = string | number | null;
/** A cursor names the sort it belongs to, so a cursor from another sort order is refused. */
type CursorPayload = { s: string; v: SortValue; id: string };

export function encodeCursor(sort: string, value: SortValue, id: string): string {
  return Buffer.from(JSON.stringify({ s: sort, v: value, id } satisfies CursorPayload)).toString('base64url');
}

export function decodeCursor(cursor: string, sort: string): { value: SortValue; id: string } {
  try {
    const p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorPayload;
    if (p.s === sort && typeof p.id === 'string' && ['string', 'number'].includes(typeof p.v))
      return { value: p.v, id: p.id };
  } catch {
    // fall through
  }
  throw new AppError(
    'invalid_cursor',
    'The cursor is not valid for this list and sort order; start again without it.',
    [{ path: 'cursor', message: 'Invalid cursor.' }],
  );
}

/** The validated parts of a list request that repos need. */
export type ListRequest = {
  limit: number;
  sort: { key: string; desc: boolean };
  /** Page mode: rows to skip. Cursor mode: the position to continue after. */
  offset?: number;
  after?: { value: SortValue; id: string };
};

export function toListRequest(
  q: PaginationQuery & { sort?: string },
  allowedSorts: readonly string[],
  defaultSort: string,
): ListRequest {
  if (q.page !== undefined && q.cursor !== undefined) {
    throw new AppError('validation_error', "Use either 'page' or 'cursor', not both.", [
      { path: 'cursor', message: "Not allowed together with 'page'." },
    ]);
  }
  const sortParam = q.sort ?? defaultSort;
  const key = sortParam.replace(/^-/, '');
  if (!allowedSorts.includes(key)) {
    throw new AppError(
      'validation_error',
      `Unknown sort '${sortParam}'; use one of ${allowedSorts.join(', ')} (prefix '-' for descending).`,
      [{ path: 'sort', message: `Must be one of ${allowedSorts.map((s) => `${s}, -${s}`).join(', ')}.` }],
    );
  }
  const req: ListRequest = { limit: q.limit, sort: { key, desc: sortParam.startsWith('-') } };
  if (q.cursor !== undefined) req.after = decodeCursor(q.cursor, sortParam);
  else req.offset = ((q.page ?? 1) - 1) * q.limit;
  return req;
}

/** Repos fetch limit + 1 rows; this trims the extra one and builds the pagination object. */
export function paginate<T extends { id: string }>(
  rows: T[],
  req: ListRequest,
  total: number | undefined,
  sortValue: (row: T) => SortValue,
): { items: T[]; pagination: Pagination } {
  const hasMore = rows.length > req.limit;
  const items = hasMore ? rows.slice(0, req.limit) : rows;
  const last = items[items.length - 1];
  const sortParam = (req.sort.desc ? '-' : '') + req.sort.key;
  const inPageMode = req.after === undefined;
  return {
    items,
    pagination: {
      page: inPageMode ? Math.floor((req.offset ?? 0) / req.limit) + 1 : null,
      limit: req.limit,
      total: inPageMode ? (total ?? 0) : null,
      totalPages: inPageMode ? Math.ceil((total ?? 0) / req.limit) : null,
      hasMore,
      nextCursor: hasMore && last ? encodeCursor(sortParam, sortValue(last), last.id) : null,
    },
  };
}
