import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { listPage, type SortColumns } from '../../db/keyset.js';
import { courses, enrollments, users } from '../../db/schema/index.js';
import type { ListRequest } from '../../lib/pagination.js';

export type EnrollmentRow = typeof enrollments.$inferSelect;
export const ENROLLMENT_SORTS: SortColumns = { createdAt: { column: enrollments.createdAt, kind: 'date' } };

export async function insertEnrollment(db: DbOrTx, row: typeof enrollments.$inferInsert): Promise<EnrollmentRow> {
  const [created] = await db.insert(enrollments).values(row).returning();
  return created!;
}

/** Inserts the pairs that are not enrolled yet; returns only the rows it created. */
export async function insertMissing(db: DbOrTx, rows: (typeof enrollments.$inferInsert)[]): Promise<EnrollmentRow[]> {
  if (rows.length === 0) return [];
  return db
    .insert(enrollments)
    .values(rows)
    .onConflictDoNothing({ target: [enrollments.studentId, enrollments.courseId] })
    .returning();
}

export async function findPairs(
  db: DbOrTx,
  schoolId: string,
  pairs: { studentId: string; courseId: string }[],
): Promise<EnrollmentRow[]> {
  if (pairs.length === 0) return [];
  return db
    .select()
    .from(enrollments)
    .where(
      and(
        eq(enrollments.schoolId, schoolId),
        inArray(enrollments.studentId, [...new Set(pairs.map((p) => p.studentId))]),
        inArray(enrollments.courseId, [...new Set(pairs.map((p) => p.courseId))]),
      ),
    );
}

export async function findEnrollment(db: DbOrTx, schoolId: string, id: string): Promise<EnrollmentRow | undefined> {
  const [row] = await db
    .select()
    .from(enrollments)
    .where(and(eq(enrollments.schoolId, schoolId), eq(enrollments.id, id)));
  return row;
}

export async function deleteEnrollment(db: DbOrTx, id: string): Promise<void> {
  await db.delete(enrollments).where(eq(enrollments.id, id));
}

export async function studentsOf(db: DbOrTx, schoolId: string, by: { ids: string[]; emails: string[] }) {
  if (by.ids.length === 0 && by.emails.length === 0) return [];
  const match: SQL[] = [];
  if (by.ids.length) match.push(inArray(users.id, by.ids));
  if (by.emails.length)
    match.push(
      inArray(
        sql`lower(${users.email})`,
        by.emails.map((e) => e.toLowerCase()),
      ),
    );
  return db
    .select({ id: users.id, email: users.email, role: users.role })
    .from(users)
    .where(and(eq(users.schoolId, schoolId), sql`(${sql.join(match, sql` OR `)})`));
}

export async function coursesOf(db: DbOrTx, schoolId: string, ids: string[], forShare = false) {
  if (ids.length === 0) return [];
  const q = db
    .select({ id: courses.id, status: courses.status })
    .from(courses)
    .where(and(eq(courses.schoolId, schoolId), inArray(courses.id, ids)));
  return forShare ? q.for('share') : q;
}

export async function listEnrollments(
  db: DbOrTx,
  schoolId: string,
  filter: { studentId?: string | undefined; courseId?: string | undefined },
  req: ListRequest,
) {
  const conditions: SQL[] = [eq(enrollments.schoolId, schoolId)];
  if (filter.studentId) conditions.push(eq(enrollments.studentId, filter.studentId));
  if (filter.courseId) conditions.push(eq(enrollments.courseId, filter.courseId));
  const scope = and(...conditions)!;
  return listPage(db, enrollments, scope, req, ENROLLMENT_SORTS, enrollments.id);
}
