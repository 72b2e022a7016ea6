/** API.md slug rule: lowercase letters, digits and single hyphens. */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** "Intro to Rust!" → "intro-to-rust"; accents are folded; never empty. */
/** Leaves room for a `-nnn` suffix under the 100-character slug limit. */
export function slugify(text: string, maxLength = 90): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/, '');
  return slug || 'item';
}

/** `base`, then `base-2`, `base-3`, …: the n-th candidate (1-based). */
export function slugCandidate(base: string, n: number): string {
  return n === 1 ? base : `${base}-${n}`;
}
