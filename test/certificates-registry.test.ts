/**
 * The learning routes after the move to the operation registry: the certificate PDF stays a
 * plain route documented as application/pdf; GET /verify/{code} is public.
 */
import { describe, expect, it } from 'vitest';
import { call, setupApp } from './helpers.js';

const ctx = await setupApp();
const doc = (await call(ctx.app, 'GET', '/api/v1/openapi.json')).json();

describe('certificate routes in the OpenAPI document', () => {
  it('GET /certificates/{id}/pdf answers application/pdf bytes and needs enrollments:read', () => {
    const op = doc.paths['/api/v1/certificates/{id}/pdf'].get;
    expect(op.operationId).toBe('getCertificatePdf');
    expect(Object.keys(op.responses['200'].content)).toEqual(['application/pdf']);
    expect(op.responses['200'].content['application/pdf'].schema).toMatchObject({ type: 'string', format: 'binary' });
    expect(op.responses['404']).toBeDefined();
    expect(op.description).toContain('enrollments:read');
  });

  it('GET /verify/{code} needs no credentials and cannot answer 401 or 403', () => {
    const op = doc.paths['/api/v1/verify/{code}'].get;
    expect(op.operationId).toBe('verifyCertificate');
    expect(op.security).toEqual([]);
    expect(op.responses['401']).toBeUndefined();
    expect(op.responses['403']).toBeUndefined();
    expect(op.responses['404']).toBeDefined();
  });

  it('an unknown code is a 404 without a key; the PDF without one is a 401', async () => {
    const verify = await call(ctx.app, 'GET', '/api/v1/verify/NOPE-1234');
    expect(verify.statusCode).toBe(404);
    expect(verify.json().error).toBe('not_found');
    const pdf = await call(ctx.app, 'GET', '/api/v1/certificates/cert_x/pdf');
    expect(pdf.statusCode).toBe(401);
  });
});
