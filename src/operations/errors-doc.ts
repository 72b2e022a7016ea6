/**
 * Which error codes an operation can answer, by status: the ones every operation of its kind can
 * give (validation, credentials, scope, not found, preconditions, idempotency, limits) plus its own
 * `errors`. The OpenAPI document lists them and the test-mode contract check enforces them.
 */
import { ERROR_STATUS, type ErrorCode } from '../lib/errors.js';
import type { AnyOperation } from './operation.js';

export function documentedErrors(op: AnyOperation): Map<number, ErrorCode[]> {
  const codes = new Set<ErrorCode>(['rate_limited', 'internal_error', 'validation_error']);
  const add = (...c: ErrorCode[]) => {
    for (const code of c) codes.add(code);
  };
  if (op.body) add('invalid_json', 'payload_too_large', 'unsupported_media_type');
  if (op.query) add('invalid_cursor');
  if ((op.auth ?? 'key') !== 'none') add('unauthorized');
  if (op.scopes.length || (op.auth ?? 'key') !== 'none') add('forbidden');
  if (op.params) add('not_found');
  if (op.method === 'PATCH' || op.method === 'PUT' || op.method === 'DELETE') add('precondition_failed');
  if (op.method === 'POST') add('idempotency_key_in_use', 'idempotency_key_reused', 'conflict');
  add(...(op.errors ?? []));
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}
