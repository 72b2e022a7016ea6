/**
 * One definition per API operation (issue 12): identity, auth, scopes, input schemas, a response
 * schema per success status, the error codes it can answer, and `run`, which calls services.
 * Adapters mount the same objects as Fastify routes (`http/mount.ts`) and as MCP tools
 * (`mcp/server.ts`), so REST, MCP, the OpenAPI document and the SDK cannot drift apart.
 * Nothing here imports Fastify.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../lib/errors.js';
import type { Principal } from '../lib/principal.js';
import type { RawJson } from '../lib/raw-json.js';
import type { RequiredScope } from '../lib/scopes.js';
import type { Services } from '../services.js';

/**
 * How an operation authenticates: API key (default), owner session, either, a learner token
 * (the /me operations: nothing else is accepted there, and a learner token nowhere else), or nobody.
 */
export type OperationAuth = 'key' | 'session' | 'key-or-session' | 'learner' | 'none';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export { isRawJson, type RawJson, rawJson } from '../lib/raw-json.js';

/** What an operation answers: the body (a value or raw JSON of the same shape), its status and headers. */
export type Reply<T> = {
  status?: number;
  body: T | RawJson<T> | null;
  etag?: string;
  location?: string;
};

/** Everything `run` may use: the caller and the services; never Fastify. */
export type OperationContext = {
  principal: Principal;
  services: Services;
  /** The If-Match precondition, when the client sent one. */
  ifMatch: string | undefined;
};

type AnySchema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** The response schemas by success status; a 204 is `null`. */
export type Responses = Record<number, AnySchema | null>;
type ResponseBody<R extends Responses> = { [K in keyof R]: R[K] extends z.ZodType ? z.output<R[K]> : null }[keyof R];

export type Operation<
  P extends AnySchema | undefined = AnySchema | undefined,
  Q extends AnySchema | undefined = AnySchema | undefined,
  B extends AnySchema | undefined = AnySchema | undefined,
  R extends Responses = Responses,
> = {
  /** camelCase REST operationId; the MCP tool is its snake_case form. */
  operationId: string;
  method: HttpMethod;
  /** Fastify-style path under /api/v1, e.g. `/courses/:id`. */
  path: string;
  tags: string[];
  summary: string;
  description?: string;
  auth?: OperationAuth;
  /** The scopes an API key needs (sessions hold every scope); `[]` for none. */
  scopes: RequiredScope[];
  params?: P;
  query?: Q;
  body?: B;
  responses: R;
  /** Error codes beyond the ones every operation can answer (validation, auth, 404, 412, 429, 500). */
  errors?: ErrorCode[];
  /** A response that shows a secret once is never stored for idempotent replay. */
  replayable?: boolean;
  /** A public look-up with its own lower per-address budget (lib/throttle). */
  throttle?: 'verify';
  /** The same call twice leaves the same state (PUT, DELETE, and some POSTs). Default: by method. */
  idempotent?: boolean;
  /** Deletes or archives something. Default: DELETE. */
  destructive?: boolean;
  /** Not offered as an MCP tool (binary answers, browser-only flows). */
  mcp?: false;
  run(ctx: OperationContext, input: { params: Out<P>; query: Out<Q>; body: Out<B> }): Promise<Reply<ResponseBody<R>>>;
};

/** Declares an operation with its input and output types inferred from its schemas. */
export function defineOperation<
  P extends AnySchema | undefined = undefined,
  Q extends AnySchema | undefined = undefined,
  B extends AnySchema | undefined = undefined,
  R extends Responses = Responses,
>(op: Operation<P, Q, B, R>): Operation<P, Q, B, R> {
  return op;
}

/** Any operation, for adapters that handle them all alike. */
// biome-ignore lint/suspicious/noExplicitAny: adapters treat every operation's input and output alike.
export type AnyOperation = Operation<any, any, any, any>;

export const isReadOnly = (op: AnyOperation) => op.method === 'GET';
export const isIdempotent = (op: AnyOperation) =>
  op.idempotent ?? (op.method === 'GET' || op.method === 'PUT' || op.method === 'DELETE');
export const isDestructive = (op: AnyOperation) => op.destructive ?? op.method === 'DELETE';
/** The status of a success that does not name one: 201 for a create (POST with 201 declared), else the first. */
export const defaultStatus = (op: AnyOperation) => Number(Object.keys(op.responses)[0] ?? 200);
