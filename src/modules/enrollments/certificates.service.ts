import { PDFDocument, type PDFFont, rgb, StandardFonts } from 'pdf-lib';
import type { Db } from '../../db/client.js';
import { cursorValue } from '../../db/keyset.js';
import { notFound } from '../../lib/errors.js';
import { paginate, toListRequest } from '../../lib/pagination.js';
import * as repo from './certificates.repo.js';

/** Certificates of completion: listed, fetched, rendered as PDF, and verified publicly by code. */
export function createCertificateService({ db, publicUrl }: { db: Db; publicUrl: string }) {
  const verifyUrl = (code: string) => `${publicUrl}/api/v1/verify/${code}`;
  const present = (r: repo.CertificateRow) => ({
    object: 'certificate' as const,
    id: r.id,
    code: r.code,
    verifyUrl: verifyUrl(r.code),
    studentId: r.studentId,
    courseId: r.courseId,
    studentName: r.studentName,
    courseTitle: r.courseTitle,
    schoolName: r.schoolName,
    issuedAt: r.issuedAt.toISOString(),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  });

  async function find(schoolId: string, id: string) {
    const row = await repo.findCertificate(db, schoolId, id);
    if (!row) throw notFound('Certificate');
    return row;
  }

  return {
    /** The certificate as GET /certificates/{id} returns it (the certificate.issued event's object). */
    present,

    async list(
      schoolId: string,
      query: Parameters<typeof toListRequest>[0] & { studentId?: string | undefined; courseId?: string | undefined },
    ) {
      const req = toListRequest(query, ['createdAt'], '-createdAt');
      const { rows, total } = await repo.listCertificates(
        db,
        schoolId,
        { studentId: query.studentId, courseId: query.courseId },
        req,
      );
      const { items, pagination } = paginate(rows, req, total, (r) => cursorValue(r.createdAt));
      return { data: items.map(present), pagination };
    },

    async get(schoolId: string, id: string) {
      return present(await find(schoolId, id));
    },

    /** Public verification: only what the certificate states, nothing else about the student. */
    async verify(code: string) {
      const row = await repo.findCertificateByCode(db, code);
      if (!row) throw notFound('Certificate');
      return {
        valid: true,
        code: row.code,
        studentName: row.studentName,
        courseTitle: row.courseTitle,
        schoolName: row.schoolName,
        issuedAt: row.issuedAt.toISOString(),
      };
    },

    /** A one-page landscape A4 PDF: school, student, course, date, verification code and URL. */
    async pdf(schoolId: string, id: string): Promise<Uint8Array> {
      const row = await find(schoolId, id);
      const doc = await PDFDocument.create();
      doc.setTitle(`Certificate — ${row.courseTitle}`);
      doc.setAuthor(row.schoolName);
      const page = doc.addPage([842, 595]);
      const [regular, bold] = await Promise.all([
        doc.embedFont(StandardFonts.Helvetica),
        doc.embedFont(StandardFonts.HelveticaBold),
      ]);
      const { width } = page.getSize();
      const ink = rgb(0.12, 0.16, 0.26);
      const accent = rgb(0.2, 0.4, 0.75);
      page.drawRectangle({ x: 24, y: 24, width: width - 48, height: 547, borderColor: accent, borderWidth: 3 });
      page.drawRectangle({ x: 34, y: 34, width: width - 68, height: 527, borderColor: accent, borderWidth: 0.75 });
      const centered = (text: string, y: number, font: PDFFont, wanted: number, color = ink) => {
        const safe = printable(text, font);
        // Long names and titles shrink to fit inside the border (never below 9 pt).
        const size = Math.max(
          9,
          Math.min(wanted, (wanted * (width - 120)) / Math.max(1, font.widthOfTextAtSize(safe, wanted))),
        );
        page.drawText(safe, { x: (width - font.widthOfTextAtSize(safe, size)) / 2, y, size, font, color });
      };
      centered(row.schoolName, 500, bold, 20, accent);
      centered('CERTIFICATE OF COMPLETION', 440, bold, 30);
      centered('This certifies that', 390, regular, 14);
      centered(row.studentName, 345, bold, 34);
      centered('has completed the course', 300, regular, 14);
      centered(row.courseTitle, 262, bold, 22);
      centered(`Issued ${row.issuedAt.toISOString().slice(0, 10)}`, 210, regular, 13);
      centered(`Verification code ${row.code}`, 110, regular, 11);
      centered(verifyUrl(row.code), 92, regular, 10, accent);
      return doc.save();
    },
  };
}
export type CertificateService = ReturnType<typeof createCertificateService>;

/** The standard PDF fonts cover Western European text: other characters print as '?' rather than fail. */
function printable(text: string, font: PDFFont): string {
  return [...text]
    .map((ch) => {
      try {
        font.encodeText(ch);
        return ch;
      } catch {
        return '?';
      }
    })
    .join('');
}
