/**
 * The worker thread that renders certificate PDFs (certificate-pdf.ts `renderOffThread`): font
 * subsetting and layout cost tens of milliseconds, which would otherwise hold the event loop.
 */
import { parentPort } from 'node:worker_threads';
import { type CertificateContent, renderCertificatePdf } from './certificate-pdf.js';

type Request = { id: number; content: CertificateContent };

parentPort!.on('message', async ({ id, content }: Request) => {
  try {
    const pdf = await renderCertificatePdf(content);
    // A copy that owns its whole buffer, so it can be transferred instead of copied again.
    const bytes = new Uint8Array(pdf);
    parentPort!.postMessage({ id, pdf: bytes }, [bytes.buffer]);
  } catch (err) {
    parentPort!.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
