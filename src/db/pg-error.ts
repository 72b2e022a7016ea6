/** The fields of a PostgreSQL error that callers act on (SQLSTATE code, constraint name). */
export type PgError = Error & { code: string; constraint?: string; severity: string };

/** The PostgreSQL error behind `e`, if any: Drizzle wraps driver errors in DrizzleQueryError (cause). */
export function pgErrorOf(e: unknown): PgError | undefined {
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const c = cur as Partial<PgError>;
    if (typeof c.code === 'string' && typeof c.severity === 'string') return cur as PgError;
  }
  return undefined;
}
