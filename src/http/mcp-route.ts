/**
 * `POST /mcp`: the MCP server over Streamable HTTP, stateless (a server per request, JSON
 * responses, no session), authenticated like REST — with a school key, or with a learner token
 * (then only the /me tools). `/api/v1/mcp` is the same endpoint.
 */
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.js';
import { createMcpServer, type RestCall } from '../mcp/server.js';
import type { AnyOperation } from '../operations/operation.js';

/** A REST call through the app itself (no socket), as the caller. */
export function injectRest(
  app: FastifyInstance,
  credentials: Record<string, string>,
  remoteAddress?: string,
): RestCall {
  return async ({ method, url, headers, body }) => {
    const res = await app.inject({
      method: method as 'GET',
      // Per-address limits see the MCP caller, not this process.
      ...(remoteAddress ? { remoteAddress } : {}),
      url,
      headers: { ...credentials, ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return { statusCode: res.statusCode, body: res.body };
  };
}

export function mountMcp(app: FastifyInstance, opts: { operations: readonly AnyOperation[]; version: string }) {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = request.principal!;
    const credentials: Record<string, string> = {};
    for (const name of ['authorization', 'x-api-key'] as const) {
      const value = request.headers[name];
      if (typeof value === 'string') credentials[name] = value;
    }
    const server = createMcpServer({
      operations: opts.operations,
      permissions: principal.permissions,
      caller: principal.via === 'learner' ? 'learner' : 'key',
      callRest: injectRest(app, credentials, request.ip),
      version: opts.version,
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request.raw, reply.raw, request.body);
  };
  const notStreaming = async () => {
    throw new AppError(
      'method_not_allowed',
      'This MCP server is stateless: send JSON-RPC requests with POST.',
      undefined,
      {
        allow: 'POST',
      },
    );
  };
  for (const url of ['/mcp', '/api/v1/mcp']) {
    // A school key, or a learner token (its tools are then the /me operations of that student).
    app.post(url, { schema: { hide: true }, config: { auth: 'key-or-learner', scopes: [] } }, handler);
    app.get(url, { schema: { hide: true }, config: { auth: 'key-or-learner', scopes: [] } }, notStreaming);
  }
}
