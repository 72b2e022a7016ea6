import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifySchemaCompiler, LogController } from 'fastify';
import { Redis } from 'ioredis';
import type { ZodType } from 'zod';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { mountDashboard } from './http/dashboard.js';
import { mountLlmsTxt } from './http/llms-txt.js';
import { mountMcp } from './http/mcp-route.js';
import { mountOperations } from './http/mount.js';
import { AppError } from './lib/errors.js';
import { newId } from './lib/ids.js';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from './lib/json-depth.js';
import { compileSerializer } from './lib/serializer.js';
import { createThrottle } from './lib/throttle.js';
import { RequestValidationError, zodIssuesToDetails } from './lib/validation.js';
import authRoutes from './modules/auth/auth.routes.js';
import certificatePdfRoute from './modules/enrollments/enrollments.routes.js';
import healthRoutes from './modules/health/health.routes.js';
import myCertificatePdfRoute from './modules/learners/me.routes.js';
import mediaRoutes from './modules/media/media.routes.js';
import { operations } from './operations/index.js';
import { VERSION } from './paths.js';
import authPlugin, { sessionCookie } from './plugins/auth.js';
import corsPlugin from './plugins/cors.js';
import errorsPlugin, { sendError } from './plugins/errors.js';
import idempotencyPlugin from './plugins/idempotency.js';
import openapiPlugin from './plugins/openapi.js';
import rateLimitPlugin from './plugins/rate-limit.js';
import { createServices, type Services } from './services.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body as received (undefined for other bodies): the idempotency fingerprint hashes it. */
    rawBody: string | undefined;
  }
}

export type AppDeps = {
  database: Database;
  services?: Services;
  /** A Redis client for shared rate limits; created from REDIS_URL when not given. */
  redis?: Redis;
  /** Where JSON log lines go (stdout by default); tests capture them. */
  logStream?: NodeJS.WritableStream;
  /** Tests: check every operation's response against its declared schema and error codes. */
  contractCheck?: boolean;
};

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const PARTS: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'headers' };

/** Validates with the route's Zod schema; failures become one `validation_error` with a detail per problem. */
const zodValidator: FastifySchemaCompiler<ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    // Fastify gives a missing body as null; Zod then reports it as "Required".
    const result = schema.safeParse(httpPart === 'body' && data === null ? undefined : data);
    if (result.success) return { value: result.data };
    return {
      error: new RequestValidationError(PARTS[httpPart ?? 'body'] ?? 'body', zodIssuesToDetails(result.error.issues)),
    };
  };

/** Builds the HTTP app (never listens): used by the server, the tests and the CLI. */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const { database } = deps;
  const services = deps.services ?? createServices(database, config);
  const redis =
    deps.redis ??
    (config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false }) : undefined);

  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(deps.logStream ? { stream: deps.logStream } : {}),
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          'password',
          '*.password',
          'key',
        ],
        censor: '[redacted]',
      },
    },
    bodyLimit: config.bodyLimitBytes,
    // Fastify's two lines per request are replaced by the single onResponse line below.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId('request');
    },
    // Fastify also takes a hop count here, which its types omit.
    trustProxy: config.trustProxy as boolean | string,
    // Ids are short; a longer path segment is refused in the error shape rather than with a 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    // Errors of the HTTP parser itself (headers too large, malformed requests) get the error shape too.
    clientErrorHandler: (error: Error & { code?: string }, socket) => {
      const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
      const body = JSON.stringify({
        error: 'validation_error',
        message: tooLarge ? 'The request headers are too large.' : 'The request is malformed.',
        requestId: newId('request'),
      });
      const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
      if (socket.writable) {
        socket.end(
          `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
    },
    // URL decoding errors happen before routing: they get the one error shape too.
    frameworkErrors: (error, request, reply) => {
      void sendError(
        request,
        reply,
        new AppError('validation_error', `The request URL is malformed: ${error.message}`),
      );
    },
  });

  app.setValidatorCompiler(zodValidator);
  app.setSerializerCompiler(({ schema }) => compileSerializer(schema as ZodType));

  // JSON only: without a text/plain parser, other bodies get 415. An empty JSON body counts as none.
  // Depth is checked on the text, before JSON.parse builds a value anything could recurse into.
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.decorateRequest('rawBody', undefined);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (text === '') return done(null, undefined);
    if (exceedsJsonDepth(text)) {
      const message = `The request body is nested more than ${MAX_JSON_DEPTH} levels deep.`;
      return done(new AppError('validation_error', message, [{ path: '', message, code: 'too_deep' }]), undefined);
    }
    req.rawBody = text;
    return parseJson(req, text, done);
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // One JSON log line per request: who (school), what (route), how it ended and how long it took.
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        schoolId: request.principal?.schoolId,
        method: request.method,
        route: request.routeOptions.url ?? '(unknown)',
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });

  await app.register(cookie);
  await app.register(errorsPlugin);
  const throttle = createThrottle({ limits: config.throttle, redis });
  const session = sessionCookie(config.publicUrl.startsWith('https://'));
  // Before auth: preflights of the /me routes are answered without credentials.
  await app.register(corsPlugin, { origins: config.corsOrigins });
  await app.register(authPlugin, {
    auth: services.auth,
    learners: services.learnerTokens,
    throttle,
    session,
    publicUrl: config.publicUrl,
  });
  await app.register(rateLimitPlugin, { perMinute: config.rateLimitPerMinute, redis });
  await app.register(idempotencyPlugin, { db: database.db });
  await app.register(openapiPlugin, { publicUrl: config.publicUrl, version: VERSION });

  await app.register(
    async (api) => {
      // The one list of feature modules.
      await api.register(healthRoutes, { db: database.db, version: VERSION });
      mountOperations(api, operations, { services, contractCheck: deps.contractCheck ?? false });
      await api.register(authRoutes, { auth: services.auth, session, throttle });
      await api.register(mediaRoutes, { media: services.media, local: services.localStorage });
      await api.register(certificatePdfRoute, { certificates: services.certificates });
      await api.register(myCertificatePdfRoute, { me: services.me });
    },
    { prefix: '/api/v1' },
  );

  mountMcp(app, { operations, version: VERSION });
  mountLlmsTxt(app, config.publicUrl);
  mountDashboard(app);

  app.addHook('onClose', async () => {
    if (redis && !deps.redis) await redis.quit().catch(() => {});
  });
  return app;
}
