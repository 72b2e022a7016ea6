import type { Db, Tx } from '../../db/client.js';
import { AppError, notFound } from '../../lib/errors.js';
import { assertIfMatch, etagOf } from '../../lib/etag.js';
import { newId } from '../../lib/ids.js';
import { type RawJson, rawJson } from '../../lib/raw-json.js';
import type { EventService } from '../events/events.service.js';
import type { SchoolService } from '../schools/schools.service.js';
import { changeEvents } from './course-events.js';
import { findCourse, updateCourse } from './courses.repo.js';
import type { CreatePaymentPlan, PaymentPlan, PaymentPlanList, UpdatePaymentPlan } from './courses.schemas.js';
import type { CourseService } from './courses.service.js';
import { wholeList } from './json-list.js';
import * as repo from './payment-plans.repo.js';

type PlanShape = {
  type: repo.PlanRow['type'];
  amount: number;
  interval: 'month' | 'year' | null;
  installmentsCount: number | null;
};

/** The rules that tie a plan's fields to its type; every problem with its path. */
function checkShape(p: PlanShape): void {
  const details = [];
  if (p.type === 'free' && p.amount !== 0) details.push({ path: 'amount', message: 'A free plan has amount 0.' });
  if (p.type !== 'free' && p.amount <= 0)
    details.push({ path: 'amount', message: `A ${p.type} plan needs an amount above 0.` });
  if (p.type === 'subscription' && !p.interval)
    details.push({ path: 'interval', message: 'A subscription needs interval month or year.' });
  if (p.type !== 'subscription' && p.interval)
    details.push({ path: 'interval', message: 'Only subscriptions have an interval.' });
  if (p.type === 'installments' && !p.installmentsCount)
    details.push({ path: 'installments', message: 'An installments plan needs installments.count (≥ 2).' });
  if (p.type !== 'installments' && p.installmentsCount)
    details.push({ path: 'installments', message: 'Only installments plans have installments.' });
  if (details.length) throw new AppError('validation_error', details.map((d) => d.message).join(' '), details);
}

/**
 * Payment plans (offers) of a course. The first plan becomes the default; at most one active plan
 * per type (subscriptions: one monthly, one yearly); deleting archives; the default cannot be
 * archived and an archived plan cannot become the default.
 */
export function createPaymentPlanService({
  db,
  courses,
  schools,
  events,
}: {
  db: Db;
  courses: CourseService;
  schools: SchoolService;
  events: EventService;
}) {
  async function doc(tx: Db | Tx, schoolId: string, courseId: string, planId: string) {
    const row = await repo.findPlan(tx, schoolId, courseId, planId);
    const [json] = await repo.planDocuments(tx, schoolId, courseId, planId);
    if (!row || !json) throw notFound('Payment plan');
    return { json: rawJson<PaymentPlan>(json), etag: etagOf(row) };
  }

  /** The plan as GET returns it (the state before a change). */
  async function planJsonOf(tx: Tx, schoolId: string, courseId: string, planId: string) {
    const [json] = await repo.planDocuments(tx, schoolId, courseId, planId);
    if (!json) throw notFound('Payment plan');
    return json;
  }

  /** payment_plan.updated (or another type) when the plan's GET changed; nothing otherwise. */
  async function recordChange(
    tx: Tx,
    schoolId: string,
    beforeJson: string,
    after: { json: RawJson<PaymentPlan> },
    type: 'payment_plan.updated' | 'payment_plan.archived' = 'payment_plan.updated',
  ) {
    await events.recordMany(tx, changeEvents(schoolId, type, beforeJson, after.json));
  }

  async function assertTypeFree(tx: Tx, schoolId: string, courseId: string, shape: PlanShape, exceptId?: string) {
    const clash = (await repo.plansOf(tx, schoolId, courseId)).find(
      (p) =>
        p.status === 'active' &&
        p.id !== exceptId &&
        p.type === shape.type &&
        (p.interval ?? null) === (shape.interval ?? null),
    );
    if (clash) {
      const what = shape.type === 'subscription' ? `${shape.interval}ly subscription` : `${shape.type} plan`;
      throw new AppError('conflict', `The course already has an active ${what} (${clash.id}).`, [
        { path: 'type', message: `Active ${what} exists.` },
      ]);
    }
  }

  return {
    async list(schoolId: string, courseId: string): Promise<RawJson<PaymentPlanList>> {
      if (!(await findCourse(db, schoolId, courseId))) throw notFound('Course');
      return wholeList<PaymentPlanList>(await repo.planDocuments(db, schoolId, courseId));
    },

    async get(schoolId: string, courseId: string, planId: string) {
      if (!(await findCourse(db, schoolId, courseId))) throw notFound('Course');
      return doc(db, schoolId, courseId, planId);
    },

    async create(schoolId: string, courseId: string, input: CreatePaymentPlan) {
      const shape: PlanShape = {
        type: input.type,
        amount: input.amount ?? (input.type === 'free' ? 0 : -1),
        interval: input.interval ?? null,
        installmentsCount: input.installments?.count ?? null,
      };
      if (shape.amount < 0)
        throw new AppError('validation_error', `Field 'amount' is required for a ${input.type} plan.`, [
          { path: 'amount', message: 'Required' },
        ]);
      checkShape(shape);
      const currency = input.currency ?? (await schools.get(schoolId)).data.currency;
      return db.transaction(async (tx) => {
        const course = await courses.lock(tx, schoolId, courseId);
        const courseBefore = await courses.attributes(tx, schoolId, courseId);
        await assertTypeFree(tx, schoolId, courseId, shape);
        const plan = await repo.insertPlan(tx, schoolId, {
          id: newId('paymentPlan'),
          courseId,
          name: input.name,
          currency,
          description: input.description ?? null,
          ...shape,
        });
        if (!course.defaultPaymentPlanId) await updateCourse(tx, schoolId, courseId, { defaultPaymentPlanId: plan.id });
        else await courses.touch(tx, schoolId, courseId);
        const created = await doc(tx, schoolId, courseId, plan.id);
        await events.recordMany(tx, [
          { schoolId, type: 'payment_plan.created', object: created.json },
          ...(await courses.partChangeEvents(tx, schoolId, courseId, courseBefore)),
        ]);
        return created;
      });
    },

    async update(schoolId: string, courseId: string, planId: string, patch: UpdatePaymentPlan, ifMatch?: string) {
      return db.transaction(async (tx) => {
        await courses.lock(tx, schoolId, courseId);
        const plan = await repo.findPlan(tx, schoolId, courseId, planId);
        if (!plan) throw notFound('Payment plan');
        assertIfMatch(ifMatch, plan);
        const courseBefore = await courses.attributes(tx, schoolId, courseId);
        const shape: PlanShape = {
          type: plan.type,
          amount: patch.amount ?? plan.amount,
          interval: patch.interval !== undefined ? patch.interval : plan.interval,
          installmentsCount:
            patch.installments !== undefined ? (patch.installments?.count ?? null) : plan.installmentsCount,
        };
        checkShape(shape);
        if (plan.status === 'active' && shape.interval !== plan.interval)
          await assertTypeFree(tx, schoolId, courseId, shape, plan.id);
        const before = await planJsonOf(tx, schoolId, courseId, planId);
        await repo.updatePlan(tx, schoolId, planId, {
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          amount: shape.amount,
          interval: shape.interval,
          installmentsCount: shape.installmentsCount,
        });
        await courses.touch(tx, schoolId, courseId);
        const updated = await doc(tx, schoolId, courseId, planId);
        await recordChange(tx, schoolId, before, updated);
        await events.recordMany(tx, await courses.partChangeEvents(tx, schoolId, courseId, courseBefore));
        return updated;
      });
    },

    /** Archives (never removes) the plan; the default plan must be replaced first. */
    async archive(schoolId: string, courseId: string, planId: string, ifMatch?: string) {
      return db.transaction(async (tx) => {
        const course = await courses.lock(tx, schoolId, courseId);
        const plan = await repo.findPlan(tx, schoolId, courseId, planId);
        if (!plan) throw notFound('Payment plan');
        assertIfMatch(ifMatch, plan);
        if (course.defaultPaymentPlanId === planId) {
          throw new AppError('conflict', 'The default plan cannot be archived: make another plan the default first.');
        }
        const before = await planJsonOf(tx, schoolId, courseId, planId);
        if (plan.status !== 'archived') await repo.updatePlan(tx, schoolId, planId, { status: 'archived' });
        await courses.touch(tx, schoolId, courseId);
        const archived = await doc(tx, schoolId, courseId, planId);
        await recordChange(tx, schoolId, before, archived, 'payment_plan.archived');
        return archived;
      });
    },

    async makeDefault(schoolId: string, courseId: string, planId: string) {
      return db.transaction(async (tx) => {
        const { defaultPaymentPlanId: previousDefault } = await courses.lock(tx, schoolId, courseId);
        const plan = await repo.findPlan(tx, schoolId, courseId, planId);
        if (!plan) throw notFound('Payment plan');
        if (plan.status === 'archived') throw new AppError('conflict', 'An archived plan cannot become the default.');
        if (previousDefault === planId) return doc(tx, schoolId, courseId, planId);
        const before = await planJsonOf(tx, schoolId, courseId, planId);
        const courseBefore = await courses.attributes(tx, schoolId, courseId);
        const oldDefault = previousDefault ? await planJsonOf(tx, schoolId, courseId, previousDefault) : undefined;
        await updateCourse(tx, schoolId, courseId, { defaultPaymentPlanId: planId });
        // isDefault changed on both plans: both get a new ETag and a payment_plan.updated.
        await repo.updatePlan(tx, schoolId, planId, {});
        if (previousDefault) await repo.updatePlan(tx, schoolId, previousDefault, {});
        const made = await doc(tx, schoolId, courseId, planId);
        await recordChange(tx, schoolId, before, made);
        if (previousDefault && oldDefault)
          await recordChange(tx, schoolId, oldDefault, await doc(tx, schoolId, courseId, previousDefault));
        await events.recordMany(tx, await courses.partChangeEvents(tx, schoolId, courseId, courseBefore));
        return made;
      });
    },
  };
}
export type PaymentPlanService = ReturnType<typeof createPaymentPlanService>;
