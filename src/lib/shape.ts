import { z } from 'zod';
import { AppError } from './errors.js';

/** `?include=a,b.c` (Kajabi style): parsed against the list a resource allows. */
export function parseInclude(raw: string | undefined, allowed: readonly string[]): Set<string> {
  const wanted = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !allowed.includes(w));
  if (unknown.length > 0) {
    throw new AppError(
      'validation_error',
      `Unknown include '${unknown.join("', '")}'${allowed.length ? `; allowed: ${allowed.join(', ')}` : '; this resource has no includes'}.`,
      unknown.map((u) => ({ path: 'include', message: `Unknown include '${u}'.` })),
    );
  }
  return new Set(wanted);
}

/** `fields[type]=a,b` → { type: Set(a,b) }; `id` and `object` are always kept. */
export type SparseFields = Map<string, Set<string>>;

const FIELDS_KEY = /^fields\[([a-zA-Z_]+)\]$/;

export function parseFields(query: Record<string, unknown>, allowedTypes: readonly string[]): SparseFields {
  const out: SparseFields = new Map();
  for (const [k, v] of Object.entries(query)) {
    const m = FIELDS_KEY.exec(k);
    if (!m?.[1]) continue;
    if (!allowedTypes.includes(m[1])) {
      throw new AppError('validation_error', `Unknown type '${m[1]}' in ${k}; allowed: ${allowedTypes.join(', ')}.`, [
        { path: k, message: 'Unknown resource type.' },
      ]);
    }
    const list = (Array.isArray(v) ? v.join(',') : String(v))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    out.set(m[1], new Set(list));
  }
  return out;
}

/**
 * Trims an object to the requested fields of its type (no-op when none were requested). Typed as
 * the full object: a sparse answer is the documented resource with fields left out on request.
 */
export function applyFields<T extends Record<string, unknown>>(obj: T, fields: SparseFields, type: string): T {
  const keep = fields.get(type);
  if (!keep) return obj;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (k === 'id' || k === 'object' || keep.has(k)) out[k] = v;
  return out as T;
}

/**
 * A query schema that is strict (a typo such as `?limt=` is a 400, not silently ignored) while
 * letting `fields[type]` parameters through.
 */
export function strictQuery<S extends z.ZodRawShape>(shape: S) {
  return z
    .object(shape)
    .catchall(z.union([z.string(), z.array(z.string())]))
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        if (!(key in shape) && !FIELDS_KEY.test(key)) {
          ctx.addIssue({
            code: 'unrecognized_keys',
            keys: [key],
            path: [],
            message: `Unknown query parameter '${key}'.`,
            input: value,
          });
        }
      }
    });
}
