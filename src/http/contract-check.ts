/**
 * Test mode only: every response of an operation is checked against what the operation declares —
 * a success body against its status's schema (raw PostgreSQL JSON included), an error against the
 * Error schema and the operation's documented codes. A mismatch turns the response into a 500
 * naming the problem, so the test that caused it fails where it happened.
 */
import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import type { ZodType } from 'zod';
import { documentedErrors } from '../operations/errors-doc.js';
import type { AnyOperation } from '../operations/operation.js';
import { ErrorSchema } from '../plugins/openapi.js';
import { responseSchemas } from './mount.js';

export function contractCheckHook(op: AnyOperation): onSendHookHandler {
  const schemas = responseSchemas(op);
  const errors = documentedErrors(op);
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const problem = check(reply.statusCode, payload, request.url);
    if (!problem) return payload;
    const message = `Response contract violated by ${op.operationId} (${request.method} ${request.url}): ${problem}`;
    process.stderr.write(`${message}\n`);
    reply.code(500).type('application/json; charset=utf-8');
    return JSON.stringify({ error: 'internal_error', message, requestId: request.id });
  };

  function check(status: number, payload: unknown, url: string): string | undefined {
    if (typeof payload !== 'string') return undefined; // streams and buffers are not JSON operations
    if (status < 400) {
      const schema = schemas[status];
      if (!schema) return `status ${status} is not declared`;
      if (status === 204) return payload === '' || payload === 'null' ? undefined : 'a 204 has a body';
      // Sparse fieldsets leave required fields out on purpose.
      if (/[?&]fields(\[|%5B)/i.test(url)) return undefined;
      const result = parseWithinStack(schema, JSON.parse(payload));
      return result?.success === false
        ? `body does not match the ${status} schema: ${issues(result.error)}`
        : undefined;
    }
    const body = JSON.parse(payload) as { error?: string };
    const parsed = ErrorSchema.safeParse(body);
    if (!parsed.success) return `error body does not match the Error schema: ${issues(parsed.error)}`;
    const allowed = errors.get(status);
    if (!allowed?.includes(parsed.data.error)) {
      return `${status} ${parsed.data.error} is not documented (documented: ${allowed?.join(', ') ?? 'none'})`;
    }
    return undefined;
  }
}

const issues = (error: { issues: { path: PropertyKey[]; message: string }[] }) =>
  error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');

/**
 * Zod validates recursive schemas recursively: a body nested deeper than the stack allows (a
 * 1,000-deep comment tree) cannot be checked here, which says nothing about its shape.
 */
function parseWithinStack(schema: ZodType, value: unknown) {
  try {
    return schema.safeParse(value);
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}
