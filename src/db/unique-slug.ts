import { slugCandidate } from '../lib/slug.js';
import type { Tx } from './client.js';
import { pgErrorOf } from './pg-error.js';

/**
 * Inserts with a generated slug, taking `base`, `base-2`, `base-3`… The unique index decides:
 * each attempt runs in a savepoint, so a slug taken by a concurrent request is retried with the
 * next candidate instead of failing the transaction. `startAt` skips candidates known to be taken.
 */
export async function insertWithGeneratedSlug<T>(
  tx: Tx,
  base: string,
  startAt: number,
  constraint: string,
  insert: (tx: Tx, slug: string) => Promise<T>,
): Promise<T> {
  for (let n = Math.max(1, startAt); ; n++) {
    try {
      return await tx.transaction((sp) => insert(sp, slugCandidate(base, n)));
    } catch (e) {
      const err = pgErrorOf(e);
      if (err?.code !== '23505' || err.constraint !== constraint || n > startAt + 50) throw e;
    }
  }
}

/** The first candidate worth trying: 1 (the base itself) when free, else the smallest free `-n`. */
export function nextSlugNumber(base: string, taken: string[]): number {
  const set = new Set(taken);
  if (!set.has(base)) return 1;
  let n = 2;
  while (set.has(`${base}-${n}`)) n++;
  return n;
}
