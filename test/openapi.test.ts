import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { call, setupApp } from './helpers.js';

const ctx = await setupApp();

describe('OpenAPI and reference', () => {
  it('serves a valid OpenAPI 3.1 document generated from the routes', async () => {
    const res = await call(ctx.app, 'GET', '/api/v1/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(doc));
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'apiKeyHeader',
      'bearerAuth',
      'learnerToken',
      'sessionCookie',
    ]);
    const create = doc.paths['/api/v1/categories'].post;
    expect(create.operationId).toBe('createCategory');
    // API.md §1: an owner/admin session works on every route a key may call.
    expect(create.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }, { sessionCookie: [] }]);
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '429', '500']));
    expect(create.responses['400'].content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
    expect(doc.components.schemas.Error.properties.error.enum).toContain('validation_error');
    expect(create.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(doc.paths['/api/v1/api-keys'].post.security).toEqual([{ sessionCookie: [] }]);
    expect(JSON.stringify(create.requestBody.content['application/json'].schema)).toContain('Programming');
    for (const name of ['Category', 'Course', 'Section', 'Lesson', 'PaymentPlan', 'VideoMeta']) {
      expect(doc.components.schemas[name].examples ?? doc.components.schemas[name].example, name).toBeDefined();
    }
    for (const op of [
      'createCourse',
      'getCourse',
      'createLesson',
      'createPaymentPlan',
      'reorderSections',
      'parseVideoUrl',
    ]) {
      const found = Object.values(doc.paths as Record<string, Record<string, { operationId?: string }>>).some((item) =>
        Object.values(item).some((o) => o.operationId === op),
      );
      expect(found, op).toBe(true);
    }
    expect(doc.paths['/api/v1/health'].get.security).toEqual([]);
    // Every API route is documented with an operationId.
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { operationId?: string }>>)) {
      for (const [method, op] of Object.entries(item)) expect(op.operationId, `${method} ${path}`).toBeTruthy();
    }
  });

  it('refuses to start with a key route that declares no scopes', async () => {
    const { buildApp } = await import('../src/app.js');
    const app = await buildApp(ctx.config, { database: ctx.database });
    expect(() => app.get('/api/v1/forgotten', async () => ({}))).toThrow(/declares no scopes/);
    await app.close();
  });

  it('serves the interactive reference at /docs from local assets', async () => {
    const page = await call(ctx.app, 'GET', '/docs/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const scripts = [...page.body.matchAll(/src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src.startsWith('http')).toBe(false); // nothing from the outside network
      const asset = await call(ctx.app, 'GET', new URL(src, 'http://x/docs/').pathname);
      expect(asset.statusCode, src).toBe(200);
    }
  });
});
