import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import type { MeService } from './me.service.js';

/** A certificate of the student's own as a PDF: a binary answer, so a plain route (no MCP tool). */
export default async function myCertificatePdfRoute(app: FastifyInstance, { me }: { me: MeService }) {
  app.get<{ Params: { id: string } }>(
    '/me/certificates/:id/pdf',
    {
      schema: {
        operationId: 'getMyCertificatePdf',
        tags: ['Learners'],
        summary: 'One of my certificates as a PDF',
        params: z.object({ id: z.string() }),
        response: {
          200: {
            description: 'The certificate PDF.',
            content: { 'application/pdf': { schema: z.string().meta({ format: 'binary' }) } },
          },
        },
      },
      config: { auth: 'learner', scopes: [] },
    },
    async (req, reply) => {
      const p = req.principal!;
      if (p.via !== 'learner') throw new AppError('forbidden', 'The /me routes need a learner token.');
      const pdf = await me.certificatePdf(p.schoolId, p.studentId, req.params.id);
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="certificate-${req.params.id}.pdf"`)
        .send(Buffer.from(pdf));
    },
  );
}
