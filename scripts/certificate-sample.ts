/**
 * Renders one certificate with the real renderer (no database) and turns it into
 * docs/certificate-sample.png with poppler's pdftoppm:
 *   node --import tsx scripts/certificate-sample.ts [out.png]
 * The names mix scripts on purpose: Latin with diacritics, Cyrillic and Han in one line, an
 * Arabic course title, and a long school name.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderCertificatePdf } from '../src/modules/enrollments/certificate-pdf.js';
import { PACKAGE_ROOT } from '../src/paths.js';

const out = path.resolve(process.argv[2] ?? path.join(PACKAGE_ROOT, 'docs', 'certificate-sample.png'));
const pdf = await renderCertificatePdf({
  schoolName: 'Szkoła Języków Świata — 世界语言学校',
  studentName: 'Łukasz Дмитрий 王小明',
  courseTitle: 'مقدمة في اللغة العربية — Introduction to Arabic',
  issuedAt: new Date('2026-03-02T10:00:00Z'),
  code: 'Q7hK2mZp9XrT4wLc',
  verifyUrl: 'https://learn.example.org/api/v1/verify/Q7hK2mZp9XrT4wLc',
});
const dir = mkdtempSync(path.join(os.tmpdir(), 'certificate-sample-'));
try {
  const file = path.join(dir, 'sample.pdf');
  writeFileSync(file, pdf);
  // 100 dpi: 1170 × 827 pixels, sharp enough to read, small enough for the repository.
  execFileSync('pdftoppm', ['-png', '-r', '100', '-singlefile', file, path.join(dir, 'sample')]);
  execFileSync('cp', [path.join(dir, 'sample.png'), out]);
  process.stdout.write(`${out} (${pdf.length} bytes of PDF)\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
