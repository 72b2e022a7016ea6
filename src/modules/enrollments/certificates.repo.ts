import { and, eq, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { listPage, type SortColumns } from '../../db/keyset.js';
import { certificates } from '../../db/schema/index.js';
import type { ListRequest } from '../../lib/pagination.js';

export type CertificateRow = typeof certificates.$inferSelect;
export const CERTIFICATE_SORTS: SortColumns = { createdAt: { column: certificates.createdAt, kind: 'date' } };

export async function listCertificates(
  db: DbOrTx,
  schoolId: string,
  filter: { studentId?: string | undefined; courseId?: string | undefined },
  req: ListRequest,
) {
  const conditions: SQL[] = [eq(certificates.schoolId, schoolId)];
  if (filter.studentId) conditions.push(eq(certificates.studentId, filter.studentId));
  if (filter.courseId) conditions.push(eq(certificates.courseId, filter.courseId));
  return listPage(db, certificates, and(...conditions)!, req, CERTIFICATE_SORTS, certificates.id);
}

export async function findCertificate(db: DbOrTx, schoolId: string, id: string): Promise<CertificateRow | undefined> {
  const [row] = await db
    .select()
    .from(certificates)
    .where(and(eq(certificates.schoolId, schoolId), eq(certificates.id, id)));
  return row;
}

/**
 * Across schools by design: public verification knows only the code (unique in the instance,
 * 80 random bits), and answers with nothing but what the certificate itself states.
 */
export async function findCertificateByCode(db: DbOrTx, code: string): Promise<CertificateRow | undefined> {
  const [row] = await db.select().from(certificates).where(eq(certificates.code, code));
  return row;
}

/** Issues the certificate unless the student already has one for the course; returns it when issued now. */
export async function insertCertificate(
  db: DbOrTx,
  schoolId: string,
  row: Omit<typeof certificates.$inferInsert, 'schoolId'>,
): Promise<CertificateRow | undefined> {
  const [created] = await db
    .insert(certificates)
    .values({ ...row, schoolId })
    .onConflictDoNothing({ target: [certificates.studentId, certificates.courseId] })
    .returning();
  return created;
}
