/**
 * The "Verify a certificate" walk-through of docs/certificates.md (and the README), run as
 * written against a real listening server: fetch the credential by code, verify it with the JWKS
 * its issuer publishes, read its bit in the status list.
 */
import { createServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { issueCertificate } from './certificate-helpers.js';
import { call, createSchool, setupApp } from './helpers.js';

const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as { port: number };
    probe.close(() => resolve(port));
  });
});
const ctx = await setupApp({ env: { PUBLIC_URL: `http://127.0.0.1:${port}` } });
await ctx.app.listen({ port, host: '127.0.0.1' });
const A = await createSchool(ctx);

/** The code of docs/certificates.md, with `base` and `code` given. */
async function verifyCertificate(base: string, code: string) {
  const jwt = await (await fetch(`${base}/verify/${code}/credential`)).text();
  const { iss } = decodeJwt(jwt);
  // Trust only issuers of the server you meant to ask.
  if (!iss?.startsWith(`${base}/issuers/`)) throw new Error('not issued by this server');
  const jwks = createRemoteJWKSet(new URL(`${iss}/jwks.json`));
  const { payload } = await jwtVerify(jwt, jwks, { issuer: iss, typ: 'vc+jwt' });

  // biome-ignore lint/suspicious/noExplicitAny: the walk-through reads the credential as plain JSON.
  const { credentialSubject, credentialStatus } = payload as any;
  const list = await jwtVerify(await (await fetch(credentialStatus.statusListCredential)).text(), jwks, {
    issuer: iss,
  });
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  const encoded = (list.payload as any).credentialSubject.encodedList; // "u" + base64url(gzip(bits))
  const bits = gunzipSync(Buffer.from(encoded.slice(1), 'base64url'));
  const i = Number(credentialStatus.statusListIndex);
  const revoked = ((bits[i >> 3] ?? 0) >> (7 - (i % 8))) & 1;
  return `${credentialSubject.name} completed ${credentialSubject.achievement.name}: ${revoked ? 'REVOKED' : 'valid'}`;
}

describe('docs/certificates.md: verify a certificate', () => {
  it('the walk-through verifies a credential, then sees it revoked', async () => {
    const issued = await issueCertificate(ctx, A.key, { studentName: 'Ada Łovelace', courseTitle: 'Engines' });
    const base = `http://127.0.0.1:${port}/api/v1`;
    expect(await verifyCertificate(base, issued.certificate.code)).toBe('Ada Łovelace completed Engines: valid');
    const res = await call(ctx.app, 'POST', `/api/v1/certificates/${issued.certificate.id}/revoke`, {
      key: A.key,
      body: { reason: 'Issued by mistake' },
    });
    expect(res.statusCode).toBe(200);
    expect(await verifyCertificate(base, issued.certificate.code)).toBe('Ada Łovelace completed Engines: REVOKED');
    await expect(verifyCertificate('http://127.0.0.1:1/api/v1', issued.certificate.code)).rejects.toThrow();
  });
});
