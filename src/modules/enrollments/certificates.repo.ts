import { and, eq, gte, isNotNull, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { listPage, type SortColumns } from '../../db/keyset.js';
import { certificateStatusCounters, certificates } from '../../db/schema/index.js';
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

/**
 * Issues the certificate unless the student already has one for the course; returns it when issued
 * now. Its status-list index comes from the school's counter row, whose lock orders concurrent
 * issues in one school (an index skipped by a conflicting insert is simply never used).
 */
export async function insertCertificate(
  db: DbOrTx,
  schoolId: string,
  row: Omit<typeof certificates.$inferInsert, 'schoolId' | 'statusIndex'>,
): Promise<CertificateRow | undefined> {
  const [counter] = await db
    .insert(certificateStatusCounters)
    .values({ schoolId, nextIndex: 1 })
    .onConflictDoUpdate({
      target: certificateStatusCounters.schoolId,
      set: { nextIndex: sql`${certificateStatusCounters.nextIndex} + 1` },
    })
    .returning({ nextIndex: certificateStatusCounters.nextIndex });
  const [created] = await db
    .insert(certificates)
    .values({ ...row, schoolId, statusIndex: counter!.nextIndex - 1 })
    .onConflictDoNothing({ target: [certificates.studentId, certificates.courseId] })
    .returning();
  return created;
}

/**
 * Revokes the certificate unless it already is: the row as revoked now, or undefined when it was
 * revoked before (or does not exist in the school). One statement, so two revokes cannot both win.
 */
export async function revokeCertificate(
  db: DbOrTx,
  schoolId: string,
  id: string,
  patch: { revokedAt: Date; revocationReason: string },
): Promise<CertificateRow | undefined> {
  const [row] = await db
    .update(certificates)
    .set({ ...patch, updatedAt: patch.revokedAt, version: sql`${certificates.version} + 1` })
    .where(and(eq(certificates.schoolId, schoolId), eq(certificates.id, id), isNull(certificates.revokedAt)))
    .returning();
  return row;
}

/** The status indexes of the school's revoked certificates in [from, to). */
export async function revokedIndexes(db: DbOrTx, schoolId: string, from: number, to: number): Promise<number[]> {
  const rows = await db
    .select({ statusIndex: certificates.statusIndex })
    .from(certificates)
    .where(
      and(
        eq(certificates.schoolId, schoolId),
        isNotNull(certificates.revokedAt),
        gte(certificates.statusIndex, from),
        lt(certificates.statusIndex, to),
      ),
    );
  return rows.map((r) => r.statusIndex);
}

/** How many status indexes the school has handed out (its lists are the ones below this). */
export async function statusIndexesUsed(db: DbOrTx, schoolId: string): Promise<number> {
  const [row] = await db
    .select({ nextIndex: certificateStatusCounters.nextIndex })
    .from(certificateStatusCounters)
    .where(eq(certificateStatusCounters.schoolId, schoolId));
  return row?.nextIndex ?? 0;
}
