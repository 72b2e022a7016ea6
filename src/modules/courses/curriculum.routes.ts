import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CourseParamsSchema,
  CreateLessonSchema,
  CreatePaymentPlanSchema,
  CreateSectionSchema,
  LessonListSchema,
  LessonParamsSchema,
  LessonSchema,
  MoveLessonSchema,
  NestedLessonParamsSchema,
  PaymentPlanListSchema,
  PaymentPlanSchema,
  PlanParamsSchema,
  ReorderSectionsSchema,
  SectionListSchema,
  SectionParamsSchema,
  SectionSchema,
  UpdateLessonSchema,
  UpdatePaymentPlanSchema,
  UpdateSectionSchema,
} from './courses.schemas.js';
import { sendJsonText } from './json-reply.js';
import type { LessonService } from './lessons.service.js';
import type { PaymentPlanService } from './payment-plans.service.js';
import type { SectionService } from './sections.service.js';

const read = { scopes: ['courses:read' as const] };
const write = { scopes: ['courses:write' as const] };

type Deps = { sections: SectionService; lessons: LessonService; plans: PaymentPlanService };

/** Sections, lessons (flat and nested routes) and payment plans of a course. */
export default async function curriculumRoutes(app: FastifyInstance, { sections, lessons, plans }: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const school = (req: { principal: { schoolId: string } | null }) => req.principal!.schoolId;

  // ---------- sections ----------
  const st = ['Sections'];
  r.get(
    '/courses/:id/sections',
    {
      schema: {
        operationId: 'listSections',
        tags: st,
        summary: 'Sections with their lessons, in order',
        params: CourseParamsSchema,
        response: { 200: SectionListSchema },
      },
      config: read,
    },
    async (req, reply) => sendJsonText(reply, await sections.list(school(req), req.params.id)),
  );
  r.post(
    '/courses/:id/sections',
    {
      schema: {
        operationId: 'createSection',
        tags: st,
        summary: 'Add a section (appended unless position is given)',
        params: CourseParamsSchema,
        body: CreateSectionSchema,
        response: { 201: SectionSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const d = await sections.create(school(req), req.params.id, req.body);
      return sendJsonText(reply, d.json, 201, d.etag);
    },
  );
  r.post(
    '/courses/:id/sections/reorder',
    {
      schema: {
        operationId: 'reorderSections',
        tags: st,
        summary: 'Reorder: list every section exactly once',
        params: CourseParamsSchema,
        body: ReorderSectionsSchema,
        response: { 200: SectionListSchema },
      },
      config: write,
    },
    async (req, reply) => sendJsonText(reply, await sections.reorder(school(req), req.params.id, req.body.sectionIds)),
  );
  r.get(
    '/courses/:id/sections/:sectionId',
    {
      schema: {
        operationId: 'getSection',
        tags: st,
        summary: 'Get a section with its lessons',
        params: SectionParamsSchema,
        response: { 200: SectionSchema },
      },
      config: read,
    },
    async (req, reply) => {
      const d = await sections.get(school(req), req.params.id, req.params.sectionId);
      return sendJsonText(reply, d.json, 200, d.etag);
    },
  );
  r.patch(
    '/courses/:id/sections/:sectionId',
    {
      schema: {
        operationId: 'updateSection',
        tags: st,
        summary: 'Update a section',
        params: SectionParamsSchema,
        body: UpdateSectionSchema,
        response: { 200: SectionSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const d = await sections.update(
        school(req),
        req.params.id,
        req.params.sectionId,
        req.body,
        req.headers['if-match'],
      );
      return sendJsonText(reply, d.json, 200, d.etag);
    },
  );
  r.delete(
    '/courses/:id/sections/:sectionId',
    {
      schema: {
        operationId: 'deleteSection',
        tags: st,
        summary: 'Delete a section and its lessons',
        params: SectionParamsSchema,
        response: { 204: z.null() },
      },
      config: write,
    },
    async (req, reply) => {
      await sections.delete(school(req), req.params.id, req.params.sectionId, req.headers['if-match']);
      return reply.code(204).send(null);
    },
  );

  // ---------- lessons: flat and nested routes share the service ----------
  const lt = ['Lessons'];
  r.get(
    '/courses/:id/lessons',
    {
      schema: {
        operationId: 'listLessons',
        tags: lt,
        summary: 'All lessons of the course, in curriculum order',
        params: CourseParamsSchema,
        response: { 200: LessonListSchema },
      },
      config: read,
    },
    async (req, reply) => sendJsonText(reply, await lessons.list(school(req), req.params.id)),
  );
  r.post(
    '/courses/:id/lessons',
    {
      schema: {
        operationId: 'createLesson',
        tags: lt,
        summary: 'Add a lesson (sectionId or unsectioned)',
        params: CourseParamsSchema,
        body: CreateLessonSchema,
        response: { 201: LessonSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const d = await lessons.create(school(req), req.params.id, req.body);
      return sendJsonText(reply, d.json, 201, d.etag);
    },
  );
  r.get(
    '/courses/:id/lessons/:lessonId',
    {
      schema: {
        operationId: 'getLesson',
        tags: lt,
        summary: 'Get a lesson with its content',
        params: LessonParamsSchema,
        response: { 200: LessonSchema },
      },
      config: read,
    },
    async (req, reply) => {
      const d = await lessons.get(school(req), req.params.id, req.params.lessonId);
      return sendJsonText(reply, d.json, 200, d.etag);
    },
  );
  r.patch(
    '/courses/:id/lessons/:lessonId',
    {
      schema: {
        operationId: 'updateLesson',
        tags: lt,
        summary: 'Update a lesson',
        params: LessonParamsSchema,
        body: UpdateLessonSchema,
        response: { 200: LessonSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const d = await lessons.update(
        school(req),
        req.params.id,
        req.params.lessonId,
        req.body,
        req.headers['if-match'],
      );
      return sendJsonText(reply, d.json, 200, d.etag);
    },
  );
  r.delete(
    '/courses/:id/lessons/:lessonId',
    {
      schema: {
        operationId: 'deleteLesson',
        tags: lt,
        summary: 'Delete a lesson',
        params: LessonParamsSchema,
        response: { 204: z.null() },
      },
      config: write,
    },
    async (req, reply) => {
      await lessons.delete(school(req), req.params.id, req.params.lessonId, req.headers['if-match']);
      return reply.code(204).send(null);
    },
  );
  r.post(
    '/courses/:id/lessons/:lessonId/move',
    {
      schema: {
        operationId: 'moveLesson',
        tags: lt,
        summary: 'Move a lesson to a section (or null) and position',
        params: LessonParamsSchema,
        body: MoveLessonSchema,
        response: { 200: LessonSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const d = await lessons.move(school(req), req.params.id, req.params.lessonId, req.body);
      return sendJsonText(reply, d.json, 200, d.etag);
    },
  );
  r.get(
    '/courses/:id/sections/:sectionId/lessons',
    {
      schema: {
        operationId: 'listSectionLessons',
        tags: lt,
        summary: 'Lessons of a section',
        params: SectionParamsSchema,
        response: { 200: LessonListSchema },
      },
      config: read,
    },
    async (req, reply) => sendJsonText(reply, await lessons.list(school(req), req.params.id, req.params.sectionId)),
  );
  r.post(
    '/courses/:id/sections/:sectionId/lessons',
    {
      schema: {
        operationId: 'createSectionLesson',
        tags: lt,
        summary: 'Add a lesson to a section',
        params: SectionParamsSchema,
        body: CreateLessonSchema,
        response: { 201: LessonSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const d = await lessons.create(school(req), req.params.id, req.body, req.params.sectionId);
      return sendJsonText(reply, d.json, 201, d.etag);
    },
  );
  r.get(
    '/courses/:id/sections/:sectionId/lessons/:lessonId',
    {
      schema: {
        operationId: 'getSectionLesson',
        tags: lt,
        summary: 'Get a lesson of a section',
        params: NestedLessonParamsSchema,
        response: { 200: LessonSchema },
      },
      config: read,
    },
    async (req, reply) => {
      const d = await lessons.get(school(req), req.params.id, req.params.lessonId, req.params.sectionId);
      return sendJsonText(reply, d.json, 200, d.etag);
    },
  );
  r.patch(
    '/courses/:id/sections/:sectionId/lessons/:lessonId',
    {
      schema: {
        operationId: 'updateSectionLesson',
        tags: lt,
        summary: 'Update a lesson of a section',
        params: NestedLessonParamsSchema,
        body: UpdateLessonSchema,
        response: { 200: LessonSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const d = await lessons.update(
        school(req),
        req.params.id,
        req.params.lessonId,
        req.body,
        req.headers['if-match'],
        req.params.sectionId,
      );
      return sendJsonText(reply, d.json, 200, d.etag);
    },
  );
  r.delete(
    '/courses/:id/sections/:sectionId/lessons/:lessonId',
    {
      schema: {
        operationId: 'deleteSectionLesson',
        tags: lt,
        summary: 'Delete a lesson of a section',
        params: NestedLessonParamsSchema,
        response: { 204: z.null() },
      },
      config: write,
    },
    async (req, reply) => {
      await lessons.delete(
        school(req),
        req.params.id,
        req.params.lessonId,
        req.headers['if-match'],
        req.params.sectionId,
      );
      return reply.code(204).send(null);
    },
  );

  // ---------- payment plans ----------
  const pt = ['Payment plans'];
  r.get(
    '/courses/:id/payment-plans',
    {
      schema: {
        operationId: 'listPaymentPlans',
        tags: pt,
        summary: 'Plans of a course (active and archived)',
        params: CourseParamsSchema,
        response: { 200: PaymentPlanListSchema },
      },
      config: read,
    },
    async (req, reply) => sendJsonText(reply, await plans.list(school(req), req.params.id)),
  );
  r.post(
    '/courses/:id/payment-plans',
    {
      schema: {
        operationId: 'createPaymentPlan',
        tags: pt,
        summary: 'Add a plan (the first becomes the default)',
        params: CourseParamsSchema,
        body: CreatePaymentPlanSchema,
        response: { 201: PaymentPlanSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const d = await plans.create(school(req), req.params.id, req.body);
      return sendJsonText(reply, d.json, 201, d.etag);
    },
  );
  r.get(
    '/courses/:id/payment-plans/:planId',
    {
      schema: {
        operationId: 'getPaymentPlan',
        tags: pt,
        summary: 'Get a plan',
        params: PlanParamsSchema,
        response: { 200: PaymentPlanSchema },
      },
      config: read,
    },
    async (req, reply) => {
      const d = await plans.get(school(req), req.params.id, req.params.planId);
      return sendJsonText(reply, d.json, 200, d.etag);
    },
  );
  r.patch(
    '/courses/:id/payment-plans/:planId',
    {
      schema: {
        operationId: 'updatePaymentPlan',
        tags: pt,
        summary: 'Update a plan',
        params: PlanParamsSchema,
        body: UpdatePaymentPlanSchema,
        response: { 200: PaymentPlanSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const d = await plans.update(school(req), req.params.id, req.params.planId, req.body, req.headers['if-match']);
      return sendJsonText(reply, d.json, 200, d.etag);
    },
  );
  r.delete(
    '/courses/:id/payment-plans/:planId',
    {
      schema: {
        operationId: 'archivePaymentPlan',
        tags: pt,
        summary: 'Archive a plan (never removed)',
        params: PlanParamsSchema,
        response: { 200: PaymentPlanSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const d = await plans.archive(school(req), req.params.id, req.params.planId, req.headers['if-match']);
      return sendJsonText(reply, d.json, 200, d.etag);
    },
  );
  r.post(
    '/courses/:id/payment-plans/:planId/default',
    {
      schema: {
        operationId: 'setDefaultPaymentPlan',
        tags: pt,
        summary: 'Make a plan the default',
        params: PlanParamsSchema,
        response: { 200: PaymentPlanSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const d = await plans.makeDefault(school(req), req.params.id, req.params.planId);
      return sendJsonText(reply, d.json, 200, d.etag);
    },
  );
}
