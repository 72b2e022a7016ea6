import { AppError } from './errors.js';

/** A strong ETag from the row's version counter, which every update bumps. */
export function etagOf(row: { id: string; version: number }): string {
  return `"${row.id}.${row.version}"`;
}

/** `If-Match` (RFC 9110): `*` or a list of ETags; a mismatch → 412 and nothing is written. */
export function assertIfMatch(ifMatch: string | undefined, row: { id: string; version: number }): void {
  if (ifMatch === undefined) return;
  const current = etagOf(row);
  const tags = ifMatch.split(',').map((t) => t.trim());
  if (tags.includes('*') || tags.includes(current)) return;
  throw new AppError(
    'precondition_failed',
    'The resource has changed since you read it (If-Match did not match); fetch it again.',
    undefined,
    {
      etag: current,
    },
  );
}
