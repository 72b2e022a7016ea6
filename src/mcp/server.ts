/**
 * The MCP adapter of the operation registry (API.md §2 "Agents and SDKs"): one tool per operation
 * the caller's scopes allow, named from its operationId, with its path, query and body schemas
 * merged as the input schema and its success schema as the output schema.
 *
 * A tool call is carried out as the REST request it stands for, with the caller's own
 * credentials (`callRest`): authentication, scopes, validation, idempotency, rate limits and the
 * error shape are the REST ones, not a second implementation of them.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { scopeGrants } from '../lib/scopes.js';
import { type AnyOperation, defaultStatus, isDestructive, isIdempotent } from '../operations/operation.js';

/** A REST request made on the caller's behalf. */
export type RestCall = (request: {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}) => Promise<{ statusCode: number; body: string }>;

type JsonSchema = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };

/** `createCourse` → `create_course`. */
export const toolName = (operationId: string) => operationId.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The JSON Schema of a Zod schema with its root inlined (a named schema comes out as a $ref to $defs). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...js } = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' }) as JsonSchema;
  const root = typeof js.$ref === 'string' ? /^#\/\$defs\/(.+)$/.exec(js.$ref)?.[1] : undefined;
  if (!root) return js;
  const $defs = { ...(js.$defs as Record<string, JsonSchema>) };
  const inlined = $defs[root]!;
  delete $defs[root];
  return { ...inlined, ...(Object.keys($defs).length ? { $defs } : {}) };
}

/** Output schemas describe shapes without insisting on them: sparse fieldsets leave fields out. */
function lenient(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(lenient);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (k !== 'required' && k !== 'additionalProperties') out[k] = lenient(v);
  return out;
}

type ToolPlan = { op: AnyOperation; tool: Tool; params: string[]; query: string[] };

/** The tool for an operation, and which arguments are path parameters and query parameters. */
function planTool(op: AnyOperation): ToolPlan {
  const parts = { params: op.params, query: op.query, body: op.body } as Record<string, z.ZodType | undefined>;
  const properties: Record<string, object> = {};
  const required = new Set<string>();
  const $defs: Record<string, unknown> = {};
  const keys: Record<string, string[]> = { params: [], query: [], body: [] };
  for (const [part, schema] of Object.entries(parts)) {
    if (!schema) continue;
    const js = jsonSchema(schema, 'input');
    Object.assign($defs, js.$defs ?? {});
    for (const [k, v] of Object.entries(js.properties ?? {})) {
      properties[k] = v as object;
      keys[part]!.push(k);
    }
    for (const k of js.required ?? []) required.add(k);
  }
  if (op.method === 'POST') {
    properties.idempotencyKey = {
      type: 'string',
      maxLength: 255,
      description: 'Safe retries: the same key and arguments replay the first result instead of running again.',
    };
  }
  if (op.method === 'PATCH' || op.method === 'PUT' || op.method === 'DELETE') {
    properties.ifMatch = { type: 'string', description: 'Only if the resource still has this ETag.' };
  }
  const success = (op.responses as Record<number, z.ZodType | null>)[defaultStatus(op)];
  const output = success ? lenient(jsonSchema(success, 'output')) : undefined;
  const tool: Tool = {
    name: toolName(op.operationId),
    title: op.summary,
    description: [op.summary, op.description].filter(Boolean).join('\n\n'),
    inputSchema: {
      type: 'object',
      properties: properties as Record<string, object>,
      ...(required.size ? { required: [...required] } : {}),
      ...(Object.keys($defs).length ? { $defs } : {}),
    },
    ...(output && (output as JsonSchema).type === 'object' ? { outputSchema: output as Tool['outputSchema'] } : {}),
    annotations: {
      title: op.summary,
      readOnlyHint: op.method === 'GET',
      destructiveHint: isDestructive(op),
      idempotentHint: isIdempotent(op),
      openWorldHint: false,
    },
  };
  return { op, tool, params: keys.params!, query: keys.query! };
}

/** A path parameter that cannot name a resource (empty, `.` or `..`). */
class InvalidArgument extends Error {
  constructor(readonly argument: string) {
    super(`'${argument}' is not a valid id.`);
  }
}

/** The REST request a tool call stands for. */
function restRequest(plan: ToolPlan, args: Record<string, unknown>) {
  const { op } = plan;
  const rest = { ...args };
  const headers: Record<string, string> = {};
  if (typeof rest.idempotencyKey === 'string') headers['idempotency-key'] = rest.idempotencyKey;
  if (typeof rest.ifMatch === 'string') headers['if-match'] = rest.ifMatch;
  delete rest.idempotencyKey;
  delete rest.ifMatch;
  let path = op.path;
  for (const name of plan.params) {
    const value = String(rest[name] ?? '');
    // URL parsing collapses dot segments: `..` would turn a call into another operation's path.
    if (value === '.' || value === '..' || value === '') throw new InvalidArgument(name);
    path = path.replace(`:${name}`, encodeURIComponent(value));
    delete rest[name];
  }
  const search = new URLSearchParams();
  for (const name of plan.query) {
    const value = rest[name];
    delete rest[name];
    if (value === undefined || value === null) continue;
    search.set(name, Array.isArray(value) ? value.join(',') : String(value));
  }
  const query = search.toString();
  const body = op.body ? rest : undefined;
  return { method: op.method, url: `/api/v1${path}${query ? `?${query}` : ''}`, headers, body };
}

/**
 * An MCP server for one caller: tools filtered by its permissions, each call made through REST
 * with its credentials. Stateless: a new one per HTTP request, one for a whole stdio session.
 */
export function createMcpServer(opts: {
  operations: readonly AnyOperation[];
  permissions: readonly string[];
  /**
   * `learner`: a learner token (a tutoring agent acting for one student) sees only the /me tools;
   * `key` (the default): a school key sees every tool its scopes allow except the /me ones.
   */
  caller?: 'key' | 'learner';
  callRest: RestCall;
  version: string;
}): Server {
  const learner = opts.caller === 'learner';
  const allowed = (op: AnyOperation) =>
    op.mcp !== false &&
    (op.auth ?? 'key') !== 'session' &&
    (op.auth === 'learner') === learner &&
    op.scopes.every((scope) => scopeGrants(opts.permissions, scope));
  const plans = new Map(opts.operations.filter(allowed).map((op) => [toolName(op.operationId), planTool(op)]));

  const server = new Server({ name: 'syllabus', version: opts.version }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [...plans.values()].map((p) => p.tool) }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const plan = plans.get(request.params.name);
    if (!plan) {
      return errorResult({
        error: 'forbidden',
        message: `No tool '${request.params.name}' for these credentials (unknown, or outside the key's scopes).`,
      });
    }
    let rest: ReturnType<typeof restRequest>;
    try {
      rest = restRequest(plan, request.params.arguments ?? {});
    } catch (err) {
      if (!(err instanceof InvalidArgument)) throw err;
      return errorResult({
        error: 'validation_error',
        message: err.message,
        details: [{ path: err.argument, message: 'Not a valid id.' }],
      });
    }
    const response = await opts.callRest(rest);
    const parsed = response.body ? (JSON.parse(response.body) as unknown) : null;
    if (response.statusCode >= 400) return errorResult(parsed);
    if (parsed === null || typeof parsed !== 'object') {
      return { content: [{ type: 'text', text: response.statusCode === 204 ? 'Done.' : response.body }] };
    }
    return {
      content: [{ type: 'text', text: response.body }],
      ...(plan.tool.outputSchema ? { structuredContent: parsed as Record<string, unknown> } : {}),
    };
  });
  return server;
}

/** A failed call: the REST error object as JSON text, not structured content (it would not match outputSchema). */
function errorResult(error: unknown): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(error) }] };
}
