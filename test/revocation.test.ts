/**
 * Revocation (API.md §2 "Certificates anyone can verify"): POST /certificates/{id}/revoke, what
 * /verify answers afterwards, the bit in the school's Bitstring Status List credential, the
 * certificate.revoked event in the same transaction, no silent re-issue, tenancy and scopes.
 */
import { gunzipSync } from 'node:zlib';
import { eq } from 'drizzle-orm';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { certificates, events } from '../src/db/schema/index.js';
import { issueCertificate, pathOf } from './certificate-helpers.js';
import { call, createKey, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);
const api = `${ctx.config.publicUrl}/api/v1`;

const revoke = (id: string, body: unknown, key = A.key) =>
  call(ctx.app, 'POST', `/api/v1/certificates/${id}/revoke`, { key, body });

/** The status list credential of a certificate, verified against the school's JWKS, and its bits. */
async function statusOf(certificateId: string, schoolId = A.id, key = A.key) {
  const jwt = (await call(ctx.app, 'GET', `/api/v1/certificates/${certificateId}/credential`, { key })).body;
  const status = (decodeJwt(jwt) as { credentialStatus: { statusListCredential: string; statusListIndex: string } })
    .credentialStatus;
  const res = await call(ctx.app, 'GET', pathOf(status.statusListCredential));
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/vc\+jwt/);
  const jwks = (await call(ctx.app, 'GET', `/api/v1/issuers/${schoolId}/jwks.json`)).json();
  const { payload } = await jwtVerify(res.body, createLocalJWKSet(jwks), {
    issuer: `${api}/issuers/${schoolId}`,
    typ: 'vc+jwt',
  });
  const subject = (payload as { credentialSubject: Record<string, string> }).credentialSubject;
  expect(subject.encodedList!.startsWith('u')).toBe(true);
  const bits = gunzipSync(Buffer.from(subject.encodedList!.slice(1), 'base64url'));
  const index = Number(status.statusListIndex);
  const bit = (i: number) => (bits[i >> 3]! >> (7 - (i & 7))) & 1;
  return { payload, subject, bits, index, bit, body: res.body };
}

describe('revoking', () => {
  it('revokes: the certificate, /verify, the status bit and the event all say so', async () => {
    const issued = await issueCertificate(ctx, A.key);
    const other = await issueCertificate(ctx, A.key);
    const before = await statusOf(issued.certificate.id);
    expect(before.bit(before.index)).toBe(0);

    const res = await revoke(issued.certificate.id, { reason: 'Academic misconduct' });
    expect(res.statusCode).toBe(200);
    const revoked = res.json();
    expect(revoked).toMatchObject({
      id: issued.certificate.id,
      revokedAt: expect.any(String),
      revocationReason: 'Academic misconduct',
    });
    const got = (await call(ctx.app, 'GET', `/api/v1/certificates/${issued.certificate.id}`, { key: A.key })).json();
    expect(got.revokedAt).toBe(revoked.revokedAt);
    expect(got.revocationReason).toBe('Academic misconduct');
    const [row] = await ctx.database.db.select().from(certificates).where(eq(certificates.id, issued.certificate.id));
    expect(row!.revokedAt?.toISOString()).toBe(revoked.revokedAt);

    const verify = await call(ctx.app, 'GET', `/api/v1/verify/${issued.certificate.code}`);
    expect(verify.statusCode).toBe(200);
    expect(verify.json()).toMatchObject({ valid: false, revokedAt: revoked.revokedAt, reason: 'Academic misconduct' });
    const stillValid = await call(ctx.app, 'GET', `/api/v1/verify/${other.certificate.code}`);
    expect(stillValid.json()).toMatchObject({ valid: true, revokedAt: null, reason: null });

    const after = await statusOf(issued.certificate.id);
    expect(after.bit(after.index)).toBe(1);
    const otherStatus = await statusOf(other.certificate.id);
    expect(otherStatus.bit(otherStatus.index)).toBe(0);
    // Exactly the revoked certificates' bits are set.
    let set = 0;
    for (let i = 0; i < after.bits.length * 8; i++) set += after.bit(i);
    expect(set).toBe(1);

    const stored = await ctx.database.db.select().from(events).where(eq(events.schoolId, A.id));
    const revokedEvents = stored.filter((e) => e.type === 'certificate.revoked');
    expect(revokedEvents).toHaveLength(1);
    expect((revokedEvents[0]!.data as { object: { id: string; revokedAt: string } }).object).toMatchObject({
      id: issued.certificate.id,
      revokedAt: revoked.revokedAt,
      revocationReason: 'Academic misconduct',
    });
  });

  it('the status list is a BitstringStatusListCredential of at least 16 KB of bits, gzip + base64url', async () => {
    const issued = await issueCertificate(ctx, A.key);
    const { payload, subject, bits, body } = await statusOf(issued.certificate.id);
    expect(payload).toMatchObject({
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id: `${api}/issuers/${A.id}/status/1`,
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      issuer: `${api}/issuers/${A.id}`,
      validFrom: expect.any(String),
    });
    expect(subject).toMatchObject({ type: 'BitstringStatusList', statusPurpose: 'revocation' });
    expect(bits.length).toBeGreaterThanOrEqual(16 * 1024);
    // Nothing about any learner in it.
    expect(body).not.toContain(issued.student.email);
    expect(JSON.stringify(payload)).not.toContain(issued.student.name);
  });

  it('revoking twice is 409 conflict; the first reason and time stay', async () => {
    const issued = await issueCertificate(ctx, A.key);
    const first = (await revoke(issued.certificate.id, { reason: 'first' })).json();
    const again = await revoke(issued.certificate.id, { reason: 'second' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe('conflict');
    const got = (await call(ctx.app, 'GET', `/api/v1/certificates/${issued.certificate.id}`, { key: A.key })).json();
    expect(got).toMatchObject({ revokedAt: first.revokedAt, revocationReason: 'first' });
  });

  it('concurrent revokes: exactly one wins, one event', async () => {
    const issued = await issueCertificate(ctx, A.key);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => revoke(issued.certificate.id, { reason: `r${i}` })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    const stored = await ctx.database.db.select().from(events).where(eq(events.schoolId, A.id));
    const mine = stored.filter(
      (e) =>
        e.type === 'certificate.revoked' && (e.data as { object: { id: string } }).object.id === issued.certificate.id,
    );
    expect(mine).toHaveLength(1);
  });

  it('a reason is required: missing, empty, blank or over 500 characters is 400', async () => {
    const issued = await issueCertificate(ctx, A.key);
    for (const body of [{}, { reason: '' }, { reason: '   ' }, { reason: 'x'.repeat(501) }, { reason: 42 }]) {
      const res = await revoke(issued.certificate.id, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error).toBe('validation_error');
    }
    const got = (await call(ctx.app, 'GET', `/api/v1/certificates/${issued.certificate.id}`, { key: A.key })).json();
    expect(got.revokedAt).toBeNull();
  });

  it('the PDF of a revoked certificate says so', async () => {
    const issued = await issueCertificate(ctx, A.key);
    await revoke(issued.certificate.id, { reason: 'mistake' });
    const pdf = await call(ctx.app, 'GET', `/api/v1/certificates/${issued.certificate.id}/pdf`, { key: A.key });
    const { execFileSync } = await import('node:child_process');
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: pdf.rawPayload, encoding: 'utf8' });
    expect(text).toContain('REVOKED');
  });
});

describe('a revoked certificate stays revoked', () => {
  it('completing the course again (enrollment removed and made anew) issues no new certificate', async () => {
    const issued = await issueCertificate(ctx, A.key);
    await revoke(issued.certificate.id, { reason: 'Plagiarism' });
    const del = await call(ctx.app, 'DELETE', `/api/v1/enrollments/${issued.enrollment.id}`, { key: A.key });
    expect(del.statusCode).toBe(204);
    const enrollment = (
      await call(ctx.app, 'POST', '/api/v1/enrollments', {
        key: A.key,
        body: { studentId: issued.student.id, courseId: issued.course.id },
      })
    ).json();
    const course = (await call(ctx.app, 'GET', `/api/v1/courses/${issued.course.id}`, { key: A.key })).json();
    const lessonId = course.sections[0].lessons[0].id;
    const done = await call(ctx.app, 'PATCH', `/api/v1/enrollments/${enrollment.id}`, {
      key: A.key,
      body: { lessonId, completed: true },
    });
    expect(done.statusCode).toBe(200);
    expect(done.json().progress.percent).toBe(100);
    const list = (
      await call(ctx.app, 'GET', `/api/v1/certificates?studentId=${issued.student.id}&courseId=${issued.course.id}`, {
        key: A.key,
      })
    ).json().data;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: issued.certificate.id, revocationReason: 'Plagiarism' });
    expect((await call(ctx.app, 'GET', `/api/v1/verify/${issued.certificate.code}`)).json().valid).toBe(false);
  });
});

describe('tenancy and scopes', () => {
  it("school B gets 404 revoking school A's certificate, and nothing changes", async () => {
    const issued = await issueCertificate(ctx, A.key);
    const res = await revoke(issued.certificate.id, { reason: 'not yours' }, B.key);
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
    const [row] = await ctx.database.db.select().from(certificates).where(eq(certificates.id, issued.certificate.id));
    expect(row!.revokedAt).toBeNull();
  });

  it('revoking needs enrollments:write', async () => {
    const issued = await issueCertificate(ctx, A.key);
    const reader = await createKey(ctx, A.id, ['enrollments:read']);
    expect((await revoke(issued.certificate.id, { reason: 'x' }, reader.key)).statusCode).toBe(403);
    expect((await revoke(issued.certificate.id, { reason: 'x' }, null as unknown as string)).statusCode).toBe(401);
    const writer = await createKey(ctx, A.id, ['enrollments:write']);
    expect((await revoke(issued.certificate.id, { reason: 'x' }, writer.key)).statusCode).toBe(200);
  });

  it('status lists: unknown list, malformed id, and a school without certificates are 404', async () => {
    const empty = await createSchool(ctx);
    for (const url of [
      `/api/v1/issuers/${A.id}/status/2`,
      `/api/v1/issuers/${A.id}/status/0`,
      `/api/v1/issuers/${A.id}/status/01`,
      `/api/v1/issuers/${A.id}/status/abc`,
      `/api/v1/issuers/${A.id}/status/-1`,
      `/api/v1/issuers/${empty.id}/status/1`,
    ]) {
      const res = await call(ctx.app, 'GET', url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error).toBe('not_found');
    }
  });

  it("school B's status list never carries school A's revocations", async () => {
    const a = await issueCertificate(ctx, A.key);
    const b = await issueCertificate(ctx, B.key);
    await revoke(a.certificate.id, { reason: 'A only' });
    const bStatus = await statusOf(b.certificate.id, B.id, B.key);
    let set = 0;
    for (let i = 0; i < bStatus.bits.length * 8; i++) set += bStatus.bit(i);
    expect(set).toBe(0);
  });
});
