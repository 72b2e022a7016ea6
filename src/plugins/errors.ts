import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { pgErrorOf } from '../db/pg-error.js';
import { AppError, ERROR_STATUS, type ErrorCode, type ErrorDetail } from '../lib/errors.js';
import { RequestValidationError, summarise } from '../lib/validation.js';

/**
 * Unique constraints are named by convention (`<table>_<what>_uq`), so one rule maps every
 * Postgres unique violation to the API's duplicate_* code without per-module code.
 */
const UNIQUE_SUFFIX_CODES: [suffix: string, code: ErrorCode, field: string, message?: string][] = [
  ['_slug_uq', 'duplicate_slug', 'slug'],
  ['_email_uq', 'duplicate_email', 'email'],
  ['_external_id_uq', 'duplicate_external_id', 'externalId'],
  ['_title_uq', 'duplicate_title', 'title'],
  ['_student_course_uq', 'already_enrolled', 'courseId', 'The student is already enrolled in this course.'],
  ['_member_uq', 'already_member', 'userId', 'The user is already a member of this community.'],
];

function fromPostgres(e: unknown): AppError | undefined {
  const err = pgErrorOf(e);
  if (!err) return undefined;
  if (err.code === '23505') {
    const match = UNIQUE_SUFFIX_CODES.find(([suffix]) => err.constraint?.endsWith(suffix));
    if (match) {
      const [, code, field, message] = match;
      return new AppError(code, message ?? `Another resource already uses this ${field}.`, [
        { path: field, message: `Already in use.`, code },
      ]);
    }
    return new AppError('conflict', 'The request conflicts with an existing resource.');
  }
  // A delete refused because rows still point at this one (ON DELETE RESTRICT / NO ACTION).
  if (
    err.code === '23001' ||
    (err.code === '23503' && /still referenced/.test((err as { detail?: string }).detail ?? ''))
  ) {
    // Foreign keys are named <referencing table>_<column>_…_fk: say what still uses the row.
    const user = /^([a-z]+)_/.exec(err.constraint ?? '')?.[1];
    return new AppError(
      'conflict',
      `This resource is still in use${user ? ` by ${user}` : ''}: remove those references first.`,
    );
  }
  if (err.code === '23503') return new AppError('not_found', 'A referenced resource does not exist.');
  // Values Zod let through but PostgreSQL cannot store (a NUL character, an out-of-range number).
  if (['22021', '22P02', '22P05', '22007', '22008', '22003', '22001'].includes(err.code)) {
    return new AppError(
      'validation_error',
      'A value in the request cannot be stored (for example a NUL character or an out-of-range number).',
    );
  }
  if (err.code === '40001' || err.code === '40P01') {
    return new AppError('conflict', 'The request conflicted with a concurrent change; retry it.');
  }
  return undefined;
}

/** Fastify's own errors (body parsing, limits) mapped onto the API's codes. */
function fromFastify(err: FastifyError): AppError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_json', 'The request body is not valid JSON.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'The request body is larger than the limit.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', 'Send the request body as application/json.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('validation_error', 'The Content-Length header does not match the body.');
  }
  if (err instanceof SyntaxError && err.statusCode === 400) {
    return new AppError('invalid_json', 'The request body is not valid JSON.');
  }
  return undefined;
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError) {
  if (error.headers) reply.headers(error.headers);
  reply.header('x-request-id', request.id); // also for errors raised before any hook ran
  const body: { error: ErrorCode; message: string; details?: ErrorDetail[]; requestId: string } = {
    error: error.code,
    message: error.message,
  } as never;
  if (error.details?.length) body.details = error.details;
  body.requestId = request.id;
  return reply.code(error.status).type('application/json; charset=utf-8').serializer(JSON.stringify).send(body);
}

/** Turns anything thrown into the one error shape (API.md §1 Errors). */
export function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err instanceof RequestValidationError) {
    return new AppError('validation_error', summarise(err.details, err.part), err.details);
  }
  const e = err as FastifyError;
  const mapped = fromFastify(e) ?? fromPostgres(err);
  if (mapped) return mapped;
  const status = e.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code =
      (Object.keys(ERROR_STATUS) as ErrorCode[]).find((c) => ERROR_STATUS[c] === status) ?? 'validation_error';
    return new AppError(code, e.message);
  }
  return undefined;
}

export default fp(async function errorsPlugin(app: FastifyInstance) {
  // Path patterns of every route with its methods, to tell 405 from 404.
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    const source = route.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+');
    const pattern = new RegExp(`^${source}/?$`);
    let entry = routes.find((r) => r.pattern.source === pattern.source);
    if (!entry) {
      entry = { pattern, methods: new Set() };
      routes.push(entry);
    }
    for (const m of [route.method].flat()) entry.methods.add(m);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = new Set<string>();
    for (const r of routes) if (r.pattern.test(path)) for (const m of r.methods) allowed.add(m);
    if (allowed.size > 0 && !allowed.has(request.method)) {
      const allow = [...allowed].sort().join(', ');
      return sendError(
        request,
        reply,
        new AppError('method_not_allowed', `${request.method} is not allowed here; use ${allow}.`, undefined, {
          allow,
        }),
      );
    }
    return sendError(request, reply, new AppError('not_found', `No route ${request.method} ${path}.`));
  });

  app.setErrorHandler((err, request, reply) => {
    const appError = toAppError(err);
    if (appError) {
      if (appError.status >= 500) request.log.error({ err }, 'request failed');
      return sendError(request, reply, appError);
    }
    // Unexpected: log everything, answer nothing about it (no stack, no SQL).
    request.log.error({ err }, 'unhandled error');
    return sendError(request, reply, new AppError('internal_error', 'Something went wrong on our side.'));
  });
});
