/**
 * The one error class, the one list of error codes and the one code → status map (API.md §1 Errors).
 * Services throw AppError; the error plugin turns it (and every framework or database error) into
 * `{ error, message, details?, requestId }`.
 */
export const ERROR_STATUS = {
  /** The request body, query or params broke a rule; `details` lists each problem. */
  validation_error: 400,
  /** The body is not parseable JSON. */
  invalid_json: 400,
  /** A video URL no provider recognises. */
  invalid_video_url: 400,
  /** A valid value the platform does not support (e.g. SCORM lessons). */
  not_supported: 400,
  /** A pagination cursor that was not issued by this list. */
  invalid_cursor: 400,
  /** Missing, malformed, unknown, revoked or expired credentials. */
  unauthorized: 401,
  /** Authenticated, but the key lacks the scope the route needs. */
  forbidden: 403,
  /** No such resource in this school (also other schools' ids and unknown routes). */
  not_found: 404,
  /** The path exists but not with this method; `Allow` lists the methods. */
  method_not_allowed: 405,
  duplicate_slug: 409,
  duplicate_external_id: 409,
  duplicate_email: 409,
  duplicate_title: 409,
  already_enrolled: 409,
  already_member: 409,
  /** Publishing needs more content; `details` lists every unmet requirement. */
  publish_blocked: 409,
  lesson_locked: 409,
  /** The request conflicts with the current state of the resource. */
  conflict: 409,
  /** A request with this Idempotency-Key is still running. */
  idempotency_key_in_use: 409,
  has_enrollments: 409,
  /** If-Match did not match the resource's current ETag. */
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  /** The Idempotency-Key was used before for a different request. */
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal_error: 500,
  /** A dependency (the database) is down. */
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One problem; `unlocksAt` is set on `lesson_locked` when the lesson opens at a known time. */
export type ErrorDetail = { path: string; message: string; code?: string; unlocksAt?: string };

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found.`);

export const validationError = (path: string, message: string, code?: string) =>
  new AppError('validation_error', message, [{ path, message, ...(code ? { code } : {}) }]);
