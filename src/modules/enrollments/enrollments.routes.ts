import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CertificateService } from './certificates.service.js';
import { EnrollmentParamsSchema } from './enrollments.schemas.js';

/**
 * The certificate as a PDF: a binary answer, so a plain route rather than an operation (no MCP
 * tool). Its schema declares the PDF content type for the OpenAPI document.
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
            description: 'A one-page A4 landscape PDF.',
            content: { 'application/pdf': { schema: z.string().meta({ format: 'binary' }) } },
          },
        },
      },
      config: { scopes: ['enrollments:read'] },
    },
    async (req, reply) => {
      const pdf = await certificates.pdf(req.principal!.schoolId, req.params.id);
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="certificate-${req.params.id}.pdf"`)
        .send(Buffer.from(pdf));
    },
  );
}
