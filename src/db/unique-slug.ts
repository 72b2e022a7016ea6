import type { Tx } from './client.js';
import { slugCandidate } from '../lib/slug.js';
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

/** The next free suffix for `base` given the slugs already taken that start with it. */
export function nextSlugNumber(base: string, taken: string[]): number {
  let max = 0;
  for (const s of taken) {
    if (s === base) max = Math.max(max, 1);
    const m = s.startsWith(`${base}-`) ? /^(\d+)$/.exec(s.slice(base.length + 1)) : null;
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}
