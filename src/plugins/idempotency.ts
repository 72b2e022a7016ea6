import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../db/client.js';
import { idempotencyKeys } from '../db/schema/index.js';
import { AppError } from '../lib/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * false for routes whose response holds a secret shown once (new API keys): the key still
     * prevents a second run, but the body is not stored and a retry gets 409 instead of the secret.
     */
    replayable?: boolean;
  }
  interface FastifyRequest {
    /** Set while this request holds an Idempotency-Key row that its response must complete. */
    idempotency: { schoolId: string; key: string } | null;
  }
}

const HEADER = 'idempotency-key';
/** How long a stored response is replayed (API.md: 24 h). */
const RETENTION = sql`interval '24 hours'`;
/** A key whose first request has run this long without answering is treated as abandoned (a crash). */
const ABANDONED_AFTER = sql`interval '2 minutes'`;
const REPLAYED_HEADERS = ['content-type', 'location', 'etag'] as const;

/**
 * Method, URL (with query) and the body exactly as sent: a retry resends the same bytes. Hashing the
 * text rather than re-serialising the parsed body costs time linear in its size, whatever its shape.
 */
function fingerprint(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url}\n`)
    .update(request.rawBody ?? '')
    .digest('hex');
}

/**
 * Safe retries (API.md §1): the first response to a POST with an Idempotency-Key is stored for
 * 24 h per school and replayed to retries. The row is claimed with one atomic upsert before the
 * handler runs (after auth and validation, so rejected requests store nothing).
 */
export default fp(async function idempotencyPlugin(app: FastifyInstance, { db }: { db: Db }) {
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const raw = request.headers[HEADER];
    if (request.method !== 'POST' || raw === undefined || !request.principal) return;
    let key = Array.isArray(raw) ? raw[0]! : raw;
    if (key.length < 1 || key.length > 255) {
      throw new AppError('validation_error', 'Idempotency-Key must be 1 to 255 characters.', [
        { path: 'Idempotency-Key', message: 'Must be 1 to 255 characters.' },
      ]);
    }
    const schoolId = request.principal.schoolId;
    // Keys are per school; a learner's are also per student, so no student can replay another's answer.
    if (request.principal.via === 'learner') key = `learner:${request.principal.studentId}:${key}`;
    const print = fingerprint(request);

    // Claim the key: insert, or take over a row that expired or was abandoned by a crash.
    const claimed = await db
      .insert(idempotencyKeys)
      .values({ schoolId, key, fingerprint: print })
      .onConflictDoUpdate({
        target: [idempotencyKeys.schoolId, idempotencyKeys.key],
        set: {
          fingerprint: print,
          createdAt: sql`now()`,
          completedAt: null,
          responseStatus: null,
          responseBody: null,
          responseHeaders: null,
        },
        setWhere: sql`${idempotencyKeys.createdAt} < now() - ${RETENTION}
          OR (${idempotencyKeys.completedAt} IS NULL AND ${idempotencyKeys.createdAt} < now() - ${ABANDONED_AFTER}
              AND ${idempotencyKeys.fingerprint} = excluded.fingerprint)`,
      })
      .returning({ key: idempotencyKeys.key });
    if (claimed.length > 0) {
      request.idempotency = { schoolId, key };
      return;
    }

    const [stored] = await db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.schoolId, schoolId), eq(idempotencyKeys.key, key)));
    if (!stored)
      throw new AppError(
        'idempotency_key_in_use',
        'A request with this Idempotency-Key is still running; retry shortly.',
      );
    if (stored.fingerprint !== print) {
      throw new AppError(
        'idempotency_key_reused',
        'This Idempotency-Key was used for a different request; use a new key.',
      );
    }
    if (stored.completedAt === null || stored.responseStatus === null) {
      throw new AppError(
        'idempotency_key_in_use',
        'A request with this Idempotency-Key is still running; retry shortly.',
        undefined,
        {
          'retry-after': '1',
        },
      );
    }
    if (stored.responseBody === null) {
      throw new AppError(
        'conflict',
        'This request already ran with this Idempotency-Key; its response held a secret that is shown only once, so it is not replayed.',
      );
    }
    reply.headers(stored.responseHeaders ?? {});
    reply.header('idempotent-replayed', 'true');
    return reply
      .code(stored.responseStatus)
      .serializer((p) => p as string)
      .send(stored.responseBody ?? '');
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = null;
    const where = and(eq(idempotencyKeys.schoolId, claim.schoolId), eq(idempotencyKeys.key, claim.key));
    if (reply.statusCode >= 500) {
      // A server failure is not an answer: free the key so the retry runs again.
      await db.delete(idempotencyKeys).where(where);
      return payload;
    }
    const replayable = request.routeOptions.config?.replayable !== false || reply.statusCode >= 400;
    const headers: Record<string, string> = {};
    for (const h of REPLAYED_HEADERS) {
      const v = reply.getHeader(h);
      if (v !== undefined && replayable) headers[h] = String(v);
    }
    const body = replayable ? (typeof payload === 'string' ? payload : '') : null;
    await db
      .update(idempotencyKeys)
      .set({ responseStatus: reply.statusCode, responseBody: body, responseHeaders: headers, completedAt: sql`now()` })
      .where(where);
    return payload;
  });

  // Expired keys are deleted by the hourly `idempotency.purge` job (jobs/schedules.ts); the upsert
  // above already ignores them.
});
