import { z } from 'zod';
import type { ErrorDetail } from './errors.js';

// Zod's default for a missing field reads "expected string, received undefined"; say "Required".
z.config({
  customError: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'Required' : undefined),
});

/** Thrown by the validator compiler; the error plugin turns it into `400 validation_error`. */
export class RequestValidationError extends Error {
  constructor(
    readonly part: string,
    readonly details: ErrorDetail[],
  ) {
    super(`Invalid request ${part}`);
    this.name = 'RequestValidationError';
  }
}

/** One detail per problem; an unknown key becomes one detail per key, at that key's own path. */
export function zodIssuesToDetails(
  issues: readonly z.core.$ZodIssue[],
  basePath: (string | number)[] = [],
): ErrorDetail[] {
  const details = issues.flatMap((issue): ErrorDetail[] => {
    const at = [...basePath, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: [...at, key].join('.'),
        message: `Unknown field '${key}'.`,
        code: 'unknown_field',
      }));
    }
    // A custom issue may name its rule (a limit: too_many_items, too_large) in params.code.
    const named = issue.code === 'custom' ? issue.params?.code : undefined;
    return [{ path: at.join('.'), message: issue.message, code: typeof named === 'string' ? named : issue.code }];
  });
  return capDetails(details);
}

/** At most this many details in one error: a body with 200,000 unknown keys must not get a 15 MB answer. */
export const MAX_DETAILS = 100;

/** The first MAX_DETAILS problems, and one more detail saying how many were left out. */
export function capDetails(details: ErrorDetail[]): ErrorDetail[] {
  if (details.length <= MAX_DETAILS) return details;
  const more = details.length - MAX_DETAILS;
  return [
    ...details.slice(0, MAX_DETAILS),
    { path: '', message: `…and ${more} more problem${more === 1 ? '' : 's'} (fix these first).`, code: 'truncated' },
  ];
}

/** Named limits of API.md §1 ("Limits that protect every school"), reported as `details[].code`. */
export type LimitCode = 'too_many_items' | 'too_large';

/** Reports a broken limit from a refinement or preprocess step, with its code. */
export function limitIssue(
  ctx: z.RefinementCtx,
  code: LimitCode,
  message: string,
  path: (string | number)[] = [],
): void {
  ctx.addIssue({ code: 'custom', message, path, params: { code } });
}

/**
 * An array of at most `max` items (`code: too_many_items`), counted before any item is validated,
 * so an oversized request costs nothing but its length.
 */
export function limitedArray<T extends z.ZodArray>(array: T, max: number, items: string) {
  return z.preprocess((value, ctx) => {
    if (Array.isArray(value) && value.length > max)
      limitIssue(ctx, 'too_many_items', `At most ${max} ${items} per request; this one has ${value.length}.`);
    return value;
  }, array.max(max) as T);
}

/** A one-sentence summary of the details, for the error's `message`. */
export function summarise(details: ErrorDetail[], part: string): string {
  const first = details[0];
  if (!first) return `Invalid request ${part}.`;
  const more = details.length > 1 ? ` (and ${details.length - 1} more problem${details.length > 2 ? 's' : ''})` : '';
  if (first.code === 'unknown_field') return `${first.message.replace(/\.$/, '')} in the request ${part}${more}.`;
  if (first.message === 'Required')
    return first.path ? `Field '${first.path}' is required${more}.` : `The request ${part} is required.`;
  const sentence = (m: string) => (/[.!?]$/.test(m) ? m.slice(0, -1) : m);
  if (!first.path) return `Invalid request ${part}: ${sentence(first.message)}${more}.`;
  return `Field '${first.path}': ${sentence(first.message)}${more}.`;
}

/** An http(s) URL of at most 2048 characters (image, avatar and video links). */
export const HttpUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((v) => {
    try {
      return ['http:', 'https:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, 'Must be an http(s) URL.');
