/**
 * The MCP server, driven by the official SDK client over Streamable HTTP (issue 12): tools per
 * scope, structured results, REST errors as error results, idempotency keys.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY, call, createKey, createSchool, listen, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);
const base = await listen(ctx.app);
const clients: Client[] = [];
afterAll(async () => {
  for (const c of clients) await c.close();
});

async function connect(key: string, path = '/mcp') {
  const client = new Client({ name: 'syllabus-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${base}${path}`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

type TextContent = { type: 'text'; text: string }[];

describe('MCP over Streamable HTTP', () => {
  it('refuses a request without a valid key, like REST', async () => {
    const res = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe('unauthorized');
  });

  it('lists only the tools the key’s scopes allow, with schemas and hints', async () => {
    const reader = await connect((await createKey(ctx, A.id, ['courses:read'])).key);
    const names = (await reader.listTools()).tools.map((t) => t.name);
    expect(names).toContain('list_categories');
    expect(names).toContain('get_category');
    expect(names).not.toContain('create_category');
    expect(names).not.toContain('create_api_key');

    const writer = await connect(A.key);
    const tools = (await writer.listTools()).tools;
    const create = tools.find((t) => t.name === 'create_category')!;
    expect(create.inputSchema.properties).toHaveProperty('name');
    expect(create.inputSchema.properties).toHaveProperty('idempotencyKey');
    expect(create.inputSchema.required).toContain('name');
    expect(create.outputSchema?.properties).toHaveProperty('slug');
    expect(create.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    const remove = tools.find((t) => t.name === 'delete_category')!;
    expect(remove.annotations).toMatchObject({ destructiveHint: true, idempotentHint: true });
    expect(remove.inputSchema.required).toContain('id');
    expect(tools.find((t) => t.name === 'get_category')!.annotations?.readOnlyHint).toBe(true);
  });

  it('a call runs the operation and answers structured content; the stored state is REST’s', async () => {
    const client = await connect(A.key);
    const res = await client.callTool({ name: 'create_category', arguments: { name: 'From an agent' } });
    expect(res.isError).toBeFalsy();
    const created = res.structuredContent as { id: string; slug: string; object: string };
    expect(created).toMatchObject({ object: 'category', slug: 'from-an-agent' });
    const rest = await call(ctx.app, 'GET', `/api/v1/categories/${created.id}`, { key: A.key });
    expect(rest.json().name).toBe('From an agent');

    const got = await client.callTool({ name: 'get_category', arguments: { id: created.id } });
    expect((got.structuredContent as { name: string }).name).toBe('From an agent');
    const updated = await client.callTool({ name: 'update_category', arguments: { id: created.id, order: 0 } });
    expect((updated.structuredContent as { order: number }).order).toBe(0);
    const removed = await client.callTool({ name: 'delete_category', arguments: { id: created.id } });
    expect(removed.isError).toBeFalsy();
    expect((await call(ctx.app, 'GET', `/api/v1/categories/${created.id}`, { key: A.key })).statusCode).toBe(404);
  });

  it('an invalid call is an error result carrying the REST error object with its path', async () => {
    const client = await connect(A.key);
    const res = await client.callTool({ name: 'create_category', arguments: { name: '', schoolId: 'sch_x' } });
    expect(res.isError).toBe(true);
    expect(res.structuredContent).toBeUndefined();
    const error = JSON.parse((res.content as TextContent)[0]!.text);
    expect(error.error).toBe('validation_error');
    expect(error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['name', 'schoolId']));
  });

  it('tools outside the scopes refuse to run; other schools’ ids are not found', async () => {
    const reader = await connect((await createKey(ctx, A.id, ['courses:read'])).key);
    const refused = await reader.callTool({ name: 'create_category', arguments: { name: 'Nope' } });
    expect(refused.isError).toBe(true);
    expect(JSON.parse((refused.content as TextContent)[0]!.text).error).toBe('forbidden');

    const theirs = (await call(ctx.app, 'POST', '/api/v1/categories', { key: B.key, body: { name: 'B only' } })).json();
    const other = await (await connect(A.key)).callTool({ name: 'get_category', arguments: { id: theirs.id } });
    expect(other.isError).toBe(true);
    expect(JSON.parse((other.content as TextContent)[0]!.text).error).toBe('not_found');
  });

  it('a path argument of `..` cannot turn a call into another operation', async () => {
    const client = await connect(A.key);
    const created = (await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, body: { name: 'Kept' } })).json();
    for (const id of ['..', '.', '']) {
      const res = await client.callTool({ name: 'delete_category', arguments: { id } });
      expect(res.isError).toBe(true);
      const error = JSON.parse((res.content as TextContent)[0]!.text);
      expect(error).toMatchObject({ error: 'validation_error', details: [{ path: 'id' }] });
    }
    expect((await call(ctx.app, 'GET', `/api/v1/categories/${created.id}`, { key: A.key })).statusCode).toBe(200);
  });

  it('idempotencyKey makes a retried create run once', async () => {
    const client = await connect(A.key, '/api/v1/mcp');
    const args = { name: 'Once only', idempotencyKey: 'agent-retry-1' };
    const first = await client.callTool({ name: 'create_category', arguments: args });
    const second = await client.callTool({ name: 'create_category', arguments: args });
    expect((second.structuredContent as { id: string }).id).toBe((first.structuredContent as { id: string }).id);
    const list = await call(ctx.app, 'GET', '/api/v1/categories?limit=100', { key: A.key });
    expect(list.json().categories.filter((c: { name: string }) => c.name === 'Once only')).toHaveLength(1);
  });
});

describe('MCP over stdio (syllabus mcp)', () => {
  it('serves the same tools with SYLLABUS_API_KEY on the same database', async () => {
    const key = (await createKey(ctx, A.id, ['courses:read'])).key;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_ENTRY, 'mcp'],
      env: {
        ...(process.env as Record<string, string>),
        DATABASE_URL: ctx.dbUrl,
        SYLLABUS_API_KEY: key,
        LOG_LEVEL: 'silent',
      },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'desktop-agent', version: '1.0.0' });
    await client.connect(transport);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('list_categories');
      expect(names).not.toContain('create_category');
      await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, body: { name: 'Seen over stdio' } });
      const list = await client.callTool({ name: 'list_categories', arguments: { limit: 100 } });
      const names2 = (list.structuredContent as { categories: { name: string }[] }).categories.map((c) => c.name);
      expect(names2).toContain('Seen over stdio');
      const refused = await client.callTool({ name: 'create_category', arguments: { name: 'No' } });
      expect(refused.isError).toBe(true);
    } finally {
      await client.close();
    }
  }, 60_000);
});

describe('GET /llms.txt', () => {
  it('tells a language model how to use the API and MCP, linking the OpenAPI document', async () => {
    for (const url of ['/llms.txt', '/api/v1/llms.txt']) {
      const res = await call(ctx.app, 'GET', url);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/markdown');
      for (const text of [
        '/api/v1/openapi.json',
        '/mcp',
        'Idempotency-Key',
        'Authorization: Bearer',
        'details[].path',
        '/courses/by-external-id/{externalId}',
        'slt_',
      ]) {
        expect(res.body).toContain(text);
      }
    }
  });
});
