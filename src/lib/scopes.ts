import { AppError } from './errors.js';

/** Every scope an API key can hold (API.md §1 Auth), in one typed list. */
export const AREAS = ['courses', 'students', 'enrollments', 'communities', 'media', 'webhooks'] as const;
export type Area = (typeof AREAS)[number];

export const SCOPES = [
  '*',
  ...AREAS.flatMap((a) => [`${a}:*`, `${a}:read`, `${a}:write`] as const),
] as unknown as readonly ['*', ...`${Area}:${'*' | 'read' | 'write'}`[]];
export type Scope = '*' | `${Area}:${'*' | 'read' | 'write'}`;

/** A route needs exactly one concrete scope: `area:read` or `area:write`. */
export type RequiredScope = `${Area}:${'read' | 'write'}`;

/** `*` grants everything, `area:*` both halves of an area, and `:write` implies `:read`. */
export function scopeGrants(granted: readonly string[], required: RequiredScope): boolean {
  const [area] = required.split(':') as [Area, string];
  return granted.some(
    (g) => g === '*' || g === `${area}:*` || g === required || (required === `${area}:read` && g === `${area}:write`),
  );
}

/** `403 forbidden` naming the scope, unless `granted` holds it (routes' declared scopes and conditional ones alike). */
export function assertScope(granted: readonly string[], required: RequiredScope, why?: string): void {
  if (scopeGrants(granted, required)) return;
  throw new AppError('forbidden', `This API key lacks the '${required}' scope${why ? ` (${why})` : ''}.`, [
    { path: 'scope', message: `Requires '${required}'.`, code: 'missing_scope' },
  ]);
}
