import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { CertificateService } from './certificates.service.js';
import { EnrollmentParamsSchema } from './enrollments.schemas.js';

/** Compact JWS: what a VC-JOSE credential is on the wire. */
const JwtSchema = z
  .string()
  .meta({ description: 'A compact JWS (header.payload.signature), EdDSA, `kid` naming the key in the JWKS.' });
const vcJwt = (description: string) => ({
  description,
  content: { 'application/vc+jwt': { schema: JwtSchema } },
});

/**
 * The certificate's answers that are not JSON, so plain routes rather than operations (no MCP
 * tool): the PDF, and the Open Badges credential and status list as VC-JOSE JWTs
 * (`application/vc+jwt`). Their schemas declare the content types for the OpenAPI document.
 */
export default async function certificatePdfRoute(
  app: FastifyInstance,
  { certificates }: { certificates: CertificateService },
) {
  // Typed by hand: the Zod type provider would type the reply as the schema's string, not bytes.
  app.get<{ Params: { id: string } }>(
    '/certificates/:id/pdf',
    {
      schema: {
        operationId: 'getCertificatePdf',
        tags: ['Certificates'],
        summary: 'The certificate as a PDF',
        params: EnrollmentParamsSchema,
        response: {
          200: {
            description:
              'A one-page A4 landscape PDF: names in any script (fonts embedded as subsets), a QR code of `verifyUrl`.',
            content: { 'application/pdf': { schema: z.string().meta({ format: 'binary' }) } },
          },
        },
      },
      config: { auth: 'key-or-session', scopes: ['enrollments:read'] },
    },
    async (req, reply) => {
      const pdf = await certificates.pdf(req.principal!.schoolId, req.params.id);
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="certificate-${req.params.id}.pdf"`)
        .send(Buffer.from(pdf));
    },
  );

  // JWTs are sent as bytes so no serializer touches them.
  const sendJwt = (reply: FastifyReply, jwt: string) => reply.type('application/vc+jwt').send(Buffer.from(jwt, 'utf8'));

  app.get<{ Params: { id: string } }>(
    '/certificates/:id/credential',
    {
      schema: {
        operationId: 'getCertificateCredential',
        tags: ['Certificates'],
        summary: 'The certificate as an Open Badges 3.0 credential (VC-JOSE JWT)',
        description:
          "Requires scope `enrollments:read`. An `OpenBadgeCredential` (W3C VC Data Model 2.0) signed with the school's Ed25519 key; verify it with `GET /issuers/{schoolId}/jwks.json`.",
        params: EnrollmentParamsSchema,
        response: { 200: vcJwt('The credential as a VC-JOSE JWT.') },
      },
      config: { auth: 'key-or-session', scopes: ['enrollments:read'] },
    },
    async (req, reply) => sendJwt(reply, await certificates.credential(req.principal!.schoolId, req.params.id)),
  );

  app.get<{ Params: { code: string } }>(
    '/verify/:code/credential',
    {
      schema: {
        operationId: 'verifyCertificateCredential',
        tags: ['Certificates'],
        summary: 'The credential of a certificate by its code (public, no key)',
        description:
          'Public; limited per client address like `GET /verify/{code}`. The same `OpenBadgeCredential` JWT as `GET /certificates/{id}/credential`.',
        params: z.object({ code: z.string().max(64) }),
        response: { 200: vcJwt('The credential as a VC-JOSE JWT.') },
      },
      config: { auth: 'none', throttle: 'verify' },
    },
    async (req, reply) => sendJwt(reply, await certificates.credentialByCode(req.params.code)),
  );

  app.get<{ Params: { schoolId: string; listId: string } }>(
    '/issuers/:schoolId/status/:listId',
    {
      schema: {
        operationId: 'getIssuerStatusList',
        tags: ['Certificates'],
        summary: "The school's revocation status list (public, no key)",
        description:
          'A `BitstringStatusListCredential` (W3C Bitstring Status List) as a VC-JOSE JWT: bit `statusListIndex` of `encodedList` (multibase `u` + base64url of the gzipped 16 KB bitstring) is 1 when that certificate is revoked.',
        params: z.object({ schoolId: z.string().max(64), listId: z.string().max(16) }),
        response: { 200: vcJwt('The status list credential as a VC-JOSE JWT.') },
      },
      config: { auth: 'none' },
    },
    async (req, reply) => sendJwt(reply, await certificates.statusList(req.params.schoolId, req.params.listId)),
  );
}
