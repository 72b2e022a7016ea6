/**
 * Open Badges 3.0 credentials (API.md §2 "Certificates anyone can verify"): the credential JWT
 * verified with jose against the school's published JWKS (signature, kid, iss, nbf = validFrom),
 * its payload validated against the 1EdTech OB 3.0 JSON schema (test/fixtures/ob3-schema.json),
 * the issuer profile, the key made once per school and kept sealed, tenancy and scopes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Ajv2019 from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { eq } from 'drizzle-orm';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { issuerKeys } from '../src/db/schema/index.js';
import { createServices } from '../src/services.js';
import { issueCertificate, pathOf } from './certificate-helpers.js';
import { call, createKey, createSchool, setupApp } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: credentials are read as loose JSON; the OB3 schema checks their shape.
type Loose = Record<string, any>;

const ctx = await setupApp();
const A = await createSchool(ctx, 'Académie Ōsaka');
const B = await createSchool(ctx);
const api = `${ctx.config.publicUrl}/api/v1`;

const schema = JSON.parse(readFileSync(new URL('./fixtures/ob3-schema.json', import.meta.url), 'utf8'));
// The schema declares draft 2019-09; strict mode off because it uses annotation keywords ($comment).
const ajv = new (Ajv2019 as unknown as typeof Ajv2019.default)({ strict: false, allErrors: true });
(addFormats as unknown as typeof addFormats.default)(ajv);
const validateOb3 = ajv.compile(schema);

async function jwksOf(schoolId: string): Promise<JSONWebKeySet> {
  const res = await call(ctx.app, 'GET', `/api/v1/issuers/${schoolId}/jwks.json`);
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function credentialJwt(certificateId: string, key = A.key) {
  const res = await call(ctx.app, 'GET', `/api/v1/certificates/${certificateId}/credential`, { key });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/vc\+jwt/);
  return res.body;
}

describe('the credential', () => {
  it('verifies with jose against the published JWKS: signature, kid, iss, nbf = validFrom', async () => {
    const issued = await issueCertificate(ctx, A.key, {
      studentName: 'Zoë Ōtani',
      shortDescription: 'Fractions, decimals and percentages.',
    });
    const jwt = await credentialJwt(issued.certificate.id);
    const jwks = await jwksOf(A.id);
    expect(jwks.keys).toHaveLength(1);
    const header = decodeProtectedHeader(jwt);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'vc+jwt', kid: jwks.keys[0]!.kid });

    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(jwks), {
      issuer: `${api}/issuers/${A.id}`,
      algorithms: ['EdDSA'],
      typ: 'vc+jwt',
    });
    expect(protectedHeader.kid).toBe(jwks.keys[0]!.kid);
    expect(payload.nbf).toBe(Math.floor(Date.parse(issued.certificate.issuedAt) / 1000));
    expect(payload.validFrom).toBe(issued.certificate.issuedAt);
    expect(payload.jti).toBe(payload.id);

    // Another school's keys do not verify it.
    await expect(jwtVerify(jwt, createLocalJWKSet(await jwksOf(B.id)))).rejects.toThrow();
    // Nor does a payload changed after signing.
    const [h, p, s] = jwt.split('.');
    const forged = Buffer.from(
      Buffer.from(p!, 'base64url').toString('utf8').replace('Zoë Ōtani', 'Eve Forger'),
    ).toString('base64url');
    await expect(jwtVerify(`${h}.${forged}.${s}`, createLocalJWKSet(jwks))).rejects.toThrow();
  });

  it('is a valid OpenBadgeCredential under the Open Badges 3.0 JSON schema, with what API.md lists', async () => {
    const issued = await issueCertificate(ctx, A.key, {
      studentName: 'Łukasz Дмитрий 王小明',
      shortDescription: 'Cells, genes and evolution.',
    });
    const jwt = await credentialJwt(issued.certificate.id);
    const credential = decodeJwt(jwt) as Loose;
    const valid = validateOb3(credential);
    expect(validateOb3.errors ?? []).toEqual([]);
    expect(valid).toBe(true);

    expect(credential['@context']).toEqual([
      'https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
    ]);
    expect(credential.type).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
    expect(credential.issuer).toEqual({
      id: `${api}/issuers/${A.id}`,
      type: ['Profile'],
      name: 'Académie Ōsaka',
      url: ctx.config.publicUrl,
    });
    expect(credential.validFrom).toBe(issued.certificate.issuedAt);
    const subject = credential.credentialSubject;
    expect(subject.name).toBe('Łukasz Дмитрий 王小明');
    expect(subject.id).toBe(`urn:syllabus:learner:${issued.certificate.id}`);
    expect(subject.achievement).toMatchObject({
      type: ['Achievement'],
      name: issued.course.title,
      description: 'Cells, genes and evolution.',
      criteria: { narrative: 'Completed every lesson of the course.' },
    });
    // The email only as a salted SHA-256 hash (OB3 IdentityObject).
    const [identity] = subject.identifier;
    expect(identity).toMatchObject({ type: 'IdentityObject', identityType: 'emailAddress', hashed: true });
    expect(identity.salt).toMatch(/^[0-9a-f]{32}$/);
    const expected = createHash('sha256').update(`${issued.student.email}${identity.salt}`).digest('hex');
    expect(identity.identityHash).toBe(`sha256$${expected}`);
    expect(jwt).not.toContain(issued.student.email);
    expect(JSON.stringify(credential)).not.toContain(issued.student.email);

    expect(credential.credentialStatus).toEqual({
      id: expect.stringMatching(new RegExp(`^${api}/issuers/${A.id}/status/1#\\d+$`)),
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: expect.stringMatching(/^\d+$/),
      statusListCredential: `${api}/issuers/${A.id}/status/1`,
    });
  });

  it('the schema check can fail: a credential without validFrom or achievement criteria is refused', async () => {
    const issued = await issueCertificate(ctx, A.key);
    const credential = decodeJwt(await credentialJwt(issued.certificate.id)) as Loose;
    const { validFrom: _v, ...noValidFrom } = credential;
    expect(validateOb3(noValidFrom)).toBe(false);
    const noCriteria = structuredClone(credential);
    delete noCriteria.credentialSubject.achievement.criteria;
    expect(validateOb3(noCriteria)).toBe(false);
  });

  it('without a course description the achievement still has one', async () => {
    const issued = await issueCertificate(ctx, A.key, { courseTitle: 'Пустой курс' });
    const credential = decodeJwt(await credentialJwt(issued.certificate.id)) as Loose;
    expect(credential.credentialSubject.achievement.description).toBe('Completion of the course “Пустой курс”.');
    expect(validateOb3(credential)).toBe(true);
  });

  it("after the student's account is deleted the credential still names a subject (OB3: id or identifier)", async () => {
    const issued = await issueCertificate(ctx, A.key);
    const del = await call(ctx.app, 'DELETE', `/api/v1/students/${issued.student.id}`, { key: A.key });
    expect(del.statusCode).toBe(204);
    const res = await call(ctx.app, 'GET', `/api/v1/verify/${issued.certificate.code}/credential`);
    expect(res.statusCode).toBe(200);
    const subject = (decodeJwt(res.body) as Loose).credentialSubject;
    expect(subject.id).toBe(`urn:syllabus:learner:${issued.certificate.id}`);
    expect(subject.identifier).toBeUndefined();
    expect(validateOb3(decodeJwt(res.body))).toBe(true);
  });

  it('public by code: the same credential, no key needed, unknown code 404', async () => {
    const issued = await issueCertificate(ctx, A.key);
    const res = await call(ctx.app, 'GET', `/api/v1/verify/${issued.certificate.code}/credential`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/vc\+jwt/);
    const { payload } = await jwtVerify(res.body, createLocalJWKSet(await jwksOf(A.id)), {
      issuer: `${api}/issuers/${A.id}`,
    });
    const { iat: _a, ...publicOne } = payload;
    const { iat: _b, ...keyed } = decodeJwt(await credentialJwt(issued.certificate.id));
    expect(publicOne).toEqual(keyed);
    expect(payload.id).toBe(`${api}/verify/${issued.certificate.code}/credential`);
    expect(res.body).not.toContain(issued.student.email);
    expect((await call(ctx.app, 'GET', '/api/v1/verify/NOPE-NOPE/credential')).statusCode).toBe(404);
  });
});

describe('the issuer', () => {
  it('GET /issuers/{schoolId} is the school as an OB3 Profile, public', async () => {
    const res = await call(ctx.app, 'GET', `/api/v1/issuers/${A.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      '@context': [
        'https://www.w3.org/ns/credentials/v2',
        'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
      ],
      id: `${api}/issuers/${A.id}`,
      type: ['Profile'],
      name: 'Académie Ōsaka',
      url: ctx.config.publicUrl,
    });
    expect(res.body).not.toContain(A.ownerEmail);
  });

  it('unknown schools are 404 on the profile, the keys and the status list', async () => {
    for (const id of ['sch_nope', 'sch_01ABCDEFGHJKMNPQRSTVWXYZ12', 'x'.repeat(64)]) {
      for (const url of [
        `/api/v1/issuers/${id}`,
        `/api/v1/issuers/${id}/jwks.json`,
        `/api/v1/issuers/${id}/status/1`,
      ]) {
        const res = await call(ctx.app, 'GET', url);
        expect(res.statusCode, url).toBe(404);
        expect(res.json().error).toBe('not_found');
      }
    }
  });

  it('the JWKS holds only the public key; the private key is stored sealed, never in the clear', async () => {
    const jwks = await jwksOf(A.id);
    expect(jwks.keys).toEqual([
      { kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: expect.any(String), alg: 'EdDSA', use: 'sig' },
    ]);
    const [row] = await ctx.database.db.select().from(issuerKeys).where(eq(issuerKeys.schoolId, A.id));
    expect(row!.kid).toBe(jwks.keys[0]!.kid);
    expect(row!.privateJwkSealed).toMatch(/^v1\./);
    expect(row!.privateJwkSealed).not.toContain('"d"');
    expect(row!.privateJwkSealed).not.toContain('Ed25519');
  });

  it('the key is made once per school: two instances asking at once agree on one key', async () => {
    const fresh = await createSchool(ctx);
    const other = createServices(ctx.database, ctx.config);
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => ctx.services.credentials.jwks(fresh.id)),
      ...Array.from({ length: 5 }, () => other.credentials.jwks(fresh.id)),
    ]);
    const kids = new Set(answers.map((a) => a.keys[0]!.kid));
    expect(kids.size).toBe(1);
    const rows = await ctx.database.db.select().from(issuerKeys).where(eq(issuerKeys.schoolId, fresh.id));
    expect(rows).toHaveLength(1);
    // A credential signed by either instance verifies with the one published key.
    const issued = await issueCertificate(ctx, fresh.key);
    const jwt = (await other.certificates.credential(fresh.id, issued.certificate.id)) as string;
    await expect(jwtVerify(jwt, createLocalJWKSet(await jwksOf(fresh.id)))).resolves.toBeDefined();
  });
});

describe('tenancy and scopes', () => {
  it("school B gets 404 on school A's certificate credential", async () => {
    const issued = await issueCertificate(ctx, A.key);
    const res = await call(ctx.app, 'GET', `/api/v1/certificates/${issued.certificate.id}/credential`, { key: B.key });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
  });

  it('the credential needs enrollments:read and a key', async () => {
    const issued = await issueCertificate(ctx, A.key);
    const url = `/api/v1/certificates/${issued.certificate.id}/credential`;
    const courses = await createKey(ctx, A.id, ['courses:read']);
    expect((await call(ctx.app, 'GET', url, { key: courses.key })).statusCode).toBe(403);
    expect((await call(ctx.app, 'GET', url)).statusCode).toBe(401);
    const reader = await createKey(ctx, A.id, ['enrollments:read']);
    expect((await call(ctx.app, 'GET', url, { key: reader.key })).statusCode).toBe(200);
  });

  it('the credential URLs the API gives are the routes that answer them', async () => {
    const issued = await issueCertificate(ctx, A.key);
    const credential = decodeJwt(await credentialJwt(issued.certificate.id)) as Loose;
    for (const url of [credential.id, credential.issuer.id, credential.credentialStatus.statusListCredential]) {
      expect((await call(ctx.app, 'GET', pathOf(url))).statusCode, url).toBe(200);
    }
  });
});

describe('OpenAPI', () => {
  it('documents the new routes with their content types and auth', async () => {
    const doc = (await call(ctx.app, 'GET', '/api/v1/openapi.json')).json();
    const get = (p: string) => doc.paths[`/api/v1${p}`].get;
    expect(Object.keys(get('/certificates/{id}/credential').responses['200'].content)).toEqual(['application/vc+jwt']);
    expect(get('/certificates/{id}/credential').responses['404']).toBeDefined();
    expect(Object.keys(get('/verify/{code}/credential').responses['200'].content)).toEqual(['application/vc+jwt']);
    expect(get('/verify/{code}/credential').security).toEqual([]);
    expect(Object.keys(get('/issuers/{schoolId}/status/{listId}').responses['200'].content)).toEqual([
      'application/vc+jwt',
    ]);
    expect(get('/issuers/{schoolId}').operationId).toBe('getIssuer');
    expect(get('/issuers/{schoolId}').security).toEqual([]);
    expect(get('/issuers/{schoolId}/jwks.json').operationId).toBe('getIssuerJwks');
    expect(doc.paths['/api/v1/certificates/{id}/revoke'].post.operationId).toBe('revokeCertificate');
  });
});
