import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { paymentPlans } from '../../db/schema/index.js';
import { planJson, raw } from './course-json.js';

export type PlanRow = typeof paymentPlans.$inferSelect;
/** What a plan update may change (its type and course never change). */
export type PlanPatch = Partial<
  Pick<
    typeof paymentPlans.$inferInsert,
    'name' | 'description' | 'amount' | 'interval' | 'installmentsCount' | 'status'
  >
>;

const plansOfCourse = (schoolId: string, courseId: string) =>
  and(eq(paymentPlans.schoolId, schoolId), eq(paymentPlans.courseId, courseId))!;

export async function insertPlan(
  db: DbOrTx,
  schoolId: string,
  row: Omit<typeof paymentPlans.$inferInsert, 'schoolId'>,
): Promise<PlanRow> {
  const [created] = await db
    .insert(paymentPlans)
    .values({ ...row, schoolId })
    .returning();
  return created!;
}

export async function plansOf(db: DbOrTx, schoolId: string, courseId: string): Promise<PlanRow[]> {
  return db
    .select()
    .from(paymentPlans)
    .where(plansOfCourse(schoolId, courseId))
    .orderBy(asc(paymentPlans.createdAt), asc(paymentPlans.id));
}

export async function findPlan(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  planId: string,
): Promise<PlanRow | undefined> {
  const [row] = await db
    .select()
    .from(paymentPlans)
    .where(and(plansOfCourse(schoolId, courseId), eq(paymentPlans.id, planId)));
  return row;
}

/** Fields left undefined in the patch keep their value; an empty patch only bumps the version (new ETag). */
export async function updatePlan(db: DbOrTx, schoolId: string, planId: string, patch: PlanPatch): Promise<PlanRow> {
  const [row] = await db
    .update(paymentPlans)
    .set({ ...patch, updatedAt: new Date(), version: sql`${paymentPlans.version} + 1` })
    .where(and(eq(paymentPlans.schoolId, schoolId), eq(paymentPlans.id, planId)))
    .returning();
  return row!;
}

/** Plans as the API shows them (isDefault from the course). */
export async function planDocuments(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  planId?: string,
): Promise<string[]> {
  const { rows } = await db.execute<{ json: string }>(sql`
    SELECT ${raw(planJson('p', 'c.default_payment_plan_id'))}::text AS json
      FROM payment_plans p JOIN courses c ON c.id = p.course_id AND c.school_id = p.school_id
     WHERE p.school_id = ${schoolId} AND p.course_id = ${courseId} ${planId ? sql`AND p.id = ${planId}` : sql``}
     ORDER BY p.created_at, p.id`);
  return rows.map((r) => r.json);
}
