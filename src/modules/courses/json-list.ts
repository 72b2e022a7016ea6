import type { Pagination } from '../../lib/pagination.js';
import { type RawJson, rawJson } from '../../lib/raw-json.js';

/**
 * A list that is always complete — the parts of one course (sections, lessons, plans), bounded
 * by the course's size — in the standard `{ data, pagination }` shape, as one page.
 */
export function wholeList<T>(jsonItems: string[]): RawJson<T> {
  const n = jsonItems.length;
  const pagination: Pagination = {
    page: 1,
    limit: n,
    total: n,
    totalPages: n ? 1 : 0,
    hasMore: false,
    nextCursor: null,
  };
  return rawJson<T>(`{"data":[${jsonItems.join(',')}],"pagination":${JSON.stringify(pagination)}}`);
}
