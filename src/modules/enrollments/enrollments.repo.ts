import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { listPage, type SortColumns } from '../../db/keyset.js';
import { courses, enrollments, users } from '../../db/schema/index.js';
import type { ListRequest } from '../../lib/pagination.js';

export type EnrollmentRow = typeof enrollments.$inferSelect;
export const ENROLLMENT_SORTS: SortColumns = { createdAt: { column: enrollments.createdAt, kind: 'date' } };

type NewEnrollment = Omit<typeof enrollments.$inferInsert, 'schoolId'>;

export async function insertEnrollment(db: DbOrTx, schoolId: string, row: NewEnrollment): Promise<EnrollmentRow> {
  const [created] = await db
    .insert(enrollments)
    .values({ ...row, schoolId })
    .returning();
  return created!;
}

/** Rows per insert statement: building one statement of 1,000 rows held the event loop for up to ~0.5 s. */
const INSERT_CHUNK = 100;

/** Inserts the pairs that are not enrolled yet, in chunks; returns only the rows it created. */
export async function insertMissing(db: DbOrTx, schoolId: string, rows: NewEnrollment[]): Promise<EnrollmentRow[]> {
  const created: EnrollmentRow[] = [];
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK).map((r) => ({ ...r, schoolId }));
    // Each chunk's round trip gives the event loop to other requests.
    created.push(
      ...(await db
        .insert(enrollments)
        .values(chunk)
        .onConflictDoNothing({ target: [enrollments.studentId, enrollments.courseId] })
        .returning()),
    );
  }
  return created;
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

const lockQuery = (db: DbOrTx) =>
  db
    .select()
    .from(enrollments)
    .where(and(eq(enrollments.schoolId, sql.placeholder('schoolId')), eq(enrollments.id, sql.placeholder('id'))))
    .for('update')
    .prepare('enrollment_lock');

/** Locks the enrollment row: progress writes to one enrollment run one at a time (a prepared statement: hot path). */
export async function lockEnrollment(db: DbOrTx, schoolId: string, id: string): Promise<EnrollmentRow | undefined> {
  const [row] = await lockQuery(db).execute({ schoolId, id });
  return row;
}

/** Deletes the enrollment; its progress rows and quiz attempts go with it (foreign keys cascade). */
export async function deleteEnrollment(db: DbOrTx, schoolId: string, id: string): Promise<boolean> {
  const deleted = await db
    .delete(enrollments)
    .where(and(eq(enrollments.schoolId, schoolId), eq(enrollments.id, id)))
    .returning({ id: enrollments.id });
  return deleted.length > 0;
}

/**
 * The students to enrol, by id or email. Reads the users table (users module) because the rule
 * "only a student of this school" is checked for up to 1,000 items by id or email in one query.
 */
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

/**
 * The courses to enrol in. Reads the courses table (courses module) because enrolment holds the
 * course row FOR SHARE in its own transaction: the course cannot be unpublished mid-enrolment.
 */
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
