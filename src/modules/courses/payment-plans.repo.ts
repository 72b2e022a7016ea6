import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { paymentPlans } from '../../db/schema/index.js';
import { planJson, raw } from './course-json.js';

export type PlanRow = typeof paymentPlans.$inferSelect;

export async function insertPlan(db: DbOrTx, row: typeof paymentPlans.$inferInsert): Promise<PlanRow> {
  const [created] = await db.insert(paymentPlans).values(row).returning();
  return created!;
}

export async function plansOf(db: DbOrTx, courseId: string): Promise<PlanRow[]> {
  return db
    .select()
    .from(paymentPlans)
    .where(eq(paymentPlans.courseId, courseId))
    .orderBy(asc(paymentPlans.createdAt), asc(paymentPlans.id));
}

export async function findPlan(db: DbOrTx, courseId: string, planId: string): Promise<PlanRow | undefined> {
  const [row] = await db
    .select()
    .from(paymentPlans)
    .where(and(eq(paymentPlans.courseId, courseId), eq(paymentPlans.id, planId)));
  return row;
}

export async function updatePlan(
  db: DbOrTx,
  planId: string,
  patch: Partial<typeof paymentPlans.$inferInsert>,
): Promise<PlanRow> {
  const [row] = await db
    .update(paymentPlans)
    .set({ ...patch, updatedAt: new Date(), version: sql`${paymentPlans.version} + 1` })
    .where(eq(paymentPlans.id, planId))
    .returning();
  return row!;
}

/** Plans as the API shows them (isDefault from the course). */
export async function planDocuments(db: DbOrTx, courseId: string, planId?: string): Promise<string[]> {
  const { rows } = await db.execute<{ json: string }>(sql`
    SELECT ${raw(planJson('p', 'c.default_payment_plan_id'))}::text AS json
      FROM payment_plans p JOIN courses c ON c.id = p.course_id
     WHERE p.course_id = ${courseId} ${planId ? sql`AND p.id = ${planId}` : sql``}
     ORDER BY p.created_at, p.id`);
  return rows.map((r) => r.json);
}
