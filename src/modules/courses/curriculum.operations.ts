import { defineOperation } from '../../operations/operation.js';
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

const read = ['courses:read' as const];
const write = ['courses:write' as const];
/** Lesson input can name an unsupported type (scorm) or a video URL no provider knows. */
const lessonErrors = ['not_supported' as const, 'invalid_video_url' as const];

const sectionTags = ['Sections'];
const sectionOperations = [
  defineOperation({
    operationId: 'listSections',
    method: 'GET',
    path: '/courses/:id/sections',
    tags: sectionTags,
    summary: 'Sections with their lessons, in order',
    scopes: read,
    params: CourseParamsSchema,
    responses: { 200: SectionListSchema },
    async run({ principal, services }, { params }) {
      return { body: await services.sections.list(principal.schoolId, params.id) };
    },
  }),
  defineOperation({
    operationId: 'createSection',
    method: 'POST',
    path: '/courses/:id/sections',
    tags: sectionTags,
    summary: 'Add a section (appended unless position is given)',
    scopes: write,
    params: CourseParamsSchema,
    body: CreateSectionSchema,
    responses: { 201: SectionSchema },
    errors: ['duplicate_title', 'duplicate_external_id', ...lessonErrors],
    async run({ principal, services }, { params, body }) {
      const d = await services.sections.create(principal.schoolId, params.id, body);
      return { status: 201, body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'reorderSections',
    method: 'POST',
    path: '/courses/:id/sections/reorder',
    tags: sectionTags,
    summary: 'Reorder: list every section exactly once',
    scopes: write,
    params: CourseParamsSchema,
    body: ReorderSectionsSchema,
    responses: { 200: SectionListSchema },
    // The same order twice is the same order.
    idempotent: true,
    async run({ principal, services }, { params, body }) {
      const list = await services.sections.reorder(principal.schoolId, params.id, body.sectionIds);
      return { body: list };
    },
  }),
  defineOperation({
    operationId: 'getSection',
    method: 'GET',
    path: '/courses/:id/sections/:sectionId',
    tags: sectionTags,
    summary: 'Get a section with its lessons',
    scopes: read,
    params: SectionParamsSchema,
    responses: { 200: SectionSchema },
    async run({ principal, services }, { params }) {
      const d = await services.sections.get(principal.schoolId, params.id, params.sectionId);
      return { body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'updateSection',
    method: 'PATCH',
    path: '/courses/:id/sections/:sectionId',
    tags: sectionTags,
    summary: 'Update a section',
    scopes: write,
    params: SectionParamsSchema,
    body: UpdateSectionSchema,
    responses: { 200: SectionSchema },
    errors: ['duplicate_title', 'duplicate_external_id'],
    async run({ principal, services, ifMatch }, { params, body }) {
      const d = await services.sections.update(principal.schoolId, params.id, params.sectionId, body, ifMatch);
      return { body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'deleteSection',
    method: 'DELETE',
    path: '/courses/:id/sections/:sectionId',
    tags: sectionTags,
    summary: 'Delete a section and its lessons',
    scopes: write,
    params: SectionParamsSchema,
    responses: { 204: null },
    async run({ principal, services, ifMatch }, { params }) {
      await services.sections.delete(principal.schoolId, params.id, params.sectionId, ifMatch);
      return { status: 204, body: null };
    },
  }),
];

// Lessons: the flat routes and the routes nested under a section share the service.
const lessonTags = ['Lessons'];
const lessonOperations = [
  defineOperation({
    operationId: 'listLessons',
    method: 'GET',
    path: '/courses/:id/lessons',
    tags: lessonTags,
    summary: 'All lessons of the course, in curriculum order',
    scopes: read,
    params: CourseParamsSchema,
    responses: { 200: LessonListSchema },
    async run({ principal, services }, { params }) {
      return { body: await services.lessons.list(principal.schoolId, params.id) };
    },
  }),
  defineOperation({
    operationId: 'createLesson',
    method: 'POST',
    path: '/courses/:id/lessons',
    tags: lessonTags,
    summary: 'Add a lesson (sectionId or unsectioned)',
    scopes: write,
    params: CourseParamsSchema,
    body: CreateLessonSchema,
    responses: { 201: LessonSchema },
    errors: ['duplicate_external_id', ...lessonErrors],
    async run({ principal, services }, { params, body }) {
      const d = await services.lessons.create(principal.schoolId, params.id, body);
      return { status: 201, body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'getLesson',
    method: 'GET',
    path: '/courses/:id/lessons/:lessonId',
    tags: lessonTags,
    summary: 'Get a lesson with its content',
    scopes: read,
    params: LessonParamsSchema,
    responses: { 200: LessonSchema },
    async run({ principal, services }, { params }) {
      const d = await services.lessons.get(principal.schoolId, params.id, params.lessonId);
      return { body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'updateLesson',
    method: 'PATCH',
    path: '/courses/:id/lessons/:lessonId',
    tags: lessonTags,
    summary: 'Update a lesson',
    scopes: write,
    params: LessonParamsSchema,
    body: UpdateLessonSchema,
    responses: { 200: LessonSchema },
    errors: ['duplicate_external_id', ...lessonErrors],
    async run({ principal, services, ifMatch }, { params, body }) {
      const d = await services.lessons.update(principal.schoolId, params.id, params.lessonId, body, ifMatch);
      return { body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'deleteLesson',
    method: 'DELETE',
    path: '/courses/:id/lessons/:lessonId',
    tags: lessonTags,
    summary: 'Delete a lesson',
    scopes: write,
    params: LessonParamsSchema,
    responses: { 204: null },
    async run({ principal, services, ifMatch }, { params }) {
      await services.lessons.delete(principal.schoolId, params.id, params.lessonId, ifMatch);
      return { status: 204, body: null };
    },
  }),
  defineOperation({
    operationId: 'moveLesson',
    method: 'POST',
    path: '/courses/:id/lessons/:lessonId/move',
    tags: lessonTags,
    summary: 'Move a lesson to a section (or null) and position',
    scopes: write,
    params: LessonParamsSchema,
    body: MoveLessonSchema,
    responses: { 200: LessonSchema },
    // The same move twice leaves the lesson in the same place.
    idempotent: true,
    async run({ principal, services }, { params, body }) {
      const d = await services.lessons.move(principal.schoolId, params.id, params.lessonId, body);
      return { body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'listSectionLessons',
    method: 'GET',
    path: '/courses/:id/sections/:sectionId/lessons',
    tags: lessonTags,
    summary: 'Lessons of a section',
    scopes: read,
    params: SectionParamsSchema,
    responses: { 200: LessonListSchema },
    async run({ principal, services }, { params }) {
      const list = await services.lessons.list(principal.schoolId, params.id, params.sectionId);
      return { body: list };
    },
  }),
  defineOperation({
    operationId: 'createSectionLesson',
    method: 'POST',
    path: '/courses/:id/sections/:sectionId/lessons',
    tags: lessonTags,
    summary: 'Add a lesson to a section',
    scopes: write,
    params: SectionParamsSchema,
    body: CreateLessonSchema,
    responses: { 201: LessonSchema },
    errors: ['duplicate_external_id', ...lessonErrors],
    async run({ principal, services }, { params, body }) {
      const d = await services.lessons.create(principal.schoolId, params.id, body, params.sectionId);
      return { status: 201, body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'getSectionLesson',
    method: 'GET',
    path: '/courses/:id/sections/:sectionId/lessons/:lessonId',
    tags: lessonTags,
    summary: 'Get a lesson of a section',
    scopes: read,
    params: NestedLessonParamsSchema,
    responses: { 200: LessonSchema },
    async run({ principal, services }, { params }) {
      const d = await services.lessons.get(principal.schoolId, params.id, params.lessonId, params.sectionId);
      return { body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'updateSectionLesson',
    method: 'PATCH',
    path: '/courses/:id/sections/:sectionId/lessons/:lessonId',
    tags: lessonTags,
    summary: 'Update a lesson of a section',
    scopes: write,
    params: NestedLessonParamsSchema,
    body: UpdateLessonSchema,
    responses: { 200: LessonSchema },
    errors: ['duplicate_external_id', ...lessonErrors],
    async run({ principal, services, ifMatch }, { params, body }) {
      const { id, lessonId, sectionId } = params;
      const d = await services.lessons.update(principal.schoolId, id, lessonId, body, ifMatch, sectionId);
      return { body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'deleteSectionLesson',
    method: 'DELETE',
    path: '/courses/:id/sections/:sectionId/lessons/:lessonId',
    tags: lessonTags,
    summary: 'Delete a lesson of a section',
    scopes: write,
    params: NestedLessonParamsSchema,
    responses: { 204: null },
    async run({ principal, services, ifMatch }, { params }) {
      await services.lessons.delete(principal.schoolId, params.id, params.lessonId, ifMatch, params.sectionId);
      return { status: 204, body: null };
    },
  }),
];

const planTags = ['Payment plans'];
const paymentPlanOperations = [
  defineOperation({
    operationId: 'listPaymentPlans',
    method: 'GET',
    path: '/courses/:id/payment-plans',
    tags: planTags,
    summary: 'Plans of a course (active and archived)',
    scopes: read,
    params: CourseParamsSchema,
    responses: { 200: PaymentPlanListSchema },
    async run({ principal, services }, { params }) {
      return { body: await services.plans.list(principal.schoolId, params.id) };
    },
  }),
  defineOperation({
    operationId: 'createPaymentPlan',
    method: 'POST',
    path: '/courses/:id/payment-plans',
    tags: planTags,
    summary: 'Add a plan (the first becomes the default)',
    scopes: write,
    params: CourseParamsSchema,
    body: CreatePaymentPlanSchema,
    responses: { 201: PaymentPlanSchema },
    async run({ principal, services }, { params, body }) {
      const d = await services.plans.create(principal.schoolId, params.id, body);
      return { status: 201, body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'getPaymentPlan',
    method: 'GET',
    path: '/courses/:id/payment-plans/:planId',
    tags: planTags,
    summary: 'Get a plan',
    scopes: read,
    params: PlanParamsSchema,
    responses: { 200: PaymentPlanSchema },
    async run({ principal, services }, { params }) {
      const d = await services.plans.get(principal.schoolId, params.id, params.planId);
      return { body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'updatePaymentPlan',
    method: 'PATCH',
    path: '/courses/:id/payment-plans/:planId',
    tags: planTags,
    summary: 'Update a plan',
    scopes: write,
    params: PlanParamsSchema,
    body: UpdatePaymentPlanSchema,
    responses: { 200: PaymentPlanSchema },
    errors: ['conflict'],
    async run({ principal, services, ifMatch }, { params, body }) {
      const d = await services.plans.update(principal.schoolId, params.id, params.planId, body, ifMatch);
      return { body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'archivePaymentPlan',
    method: 'DELETE',
    path: '/courses/:id/payment-plans/:planId',
    tags: planTags,
    summary: 'Archive a plan (never removed)',
    scopes: write,
    params: PlanParamsSchema,
    responses: { 200: PaymentPlanSchema },
    errors: ['conflict'],
    async run({ principal, services, ifMatch }, { params }) {
      const d = await services.plans.archive(principal.schoolId, params.id, params.planId, ifMatch);
      return { body: d.json, etag: d.etag };
    },
  }),
  defineOperation({
    operationId: 'setDefaultPaymentPlan',
    method: 'POST',
    path: '/courses/:id/payment-plans/:planId/default',
    tags: planTags,
    summary: 'Make a plan the default',
    scopes: write,
    params: PlanParamsSchema,
    responses: { 200: PaymentPlanSchema },
    // The default stays the default.
    idempotent: true,
    async run({ principal, services }, { params }) {
      const d = await services.plans.makeDefault(principal.schoolId, params.id, params.planId);
      return { body: d.json, etag: d.etag };
    },
  }),
];

/** Sections, lessons (flat and nested paths) and payment plans of a course. */
export const curriculumOperations = [...sectionOperations, ...lessonOperations, ...paymentPlanOperations];
