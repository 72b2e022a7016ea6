import { AppError } from '../../lib/errors.js';
import type { Principal } from '../../lib/principal.js';
import { defineOperation } from '../../operations/operation.js';
import { CertificateListSchema } from '../enrollments/enrollments.schemas.js';
import {
  CourseLessonParamsSchema,
  CourseParamsSchema,
  CreateLearnerTokenSchema,
  LEARNER_TOKEN_MINUTES,
  LearnerTokenSchema,
  MeSchema,
  MyCourseSchema,
  MyEnrollmentListSchema,
  MyEnrollmentSchema,
  MyLessonSchema,
  MyListQuerySchema,
  MyProgressInputSchema,
  MyProgressResultSchema,
  SelfEnrollSchema,
  StudentParamsSchema,
  UpdateMeSchema,
} from './me.schemas.js';

const tags = ['Learners'];

/** The learner behind a /me request (auth `learner` lets no other principal through). */
function learner(principal: Principal) {
  if (principal.via !== 'learner') throw new AppError('forbidden', 'The /me routes need a learner token.');
  return { schoolId: principal.schoolId, studentId: principal.studentId };
}

/** Minted and revoked by the school (its key or session), for one of its students. */
const tokenOperations = [
  defineOperation({
    operationId: 'createLearnerToken',
    method: 'POST',
    path: '/students/:id/tokens',
    tags,
    summary: 'Mint a learner token for a student (shown once)',
    description:
      'A short-lived token (`slt_…`, 5–1440 minutes, default 60) that acts as this student on the /me routes only. Give it to the student app; keep your school key on your server. Never replayed through Idempotency-Key.',
    scopes: ['students:write'],
    params: StudentParamsSchema,
    body: CreateLearnerTokenSchema,
    responses: { 201: LearnerTokenSchema },
    // The token is a secret shown once: an idempotent retry must not hand it out again.
    replayable: false,
    async run({ principal, services }, { params, body }) {
      const minutes = body?.expiresInMinutes ?? LEARNER_TOKEN_MINUTES.default;
      return { status: 201, body: await services.learnerTokens.create(principal.schoolId, params.id, minutes) };
    },
  }),
  defineOperation({
    operationId: 'revokeLearnerTokens',
    method: 'DELETE',
    path: '/students/:id/tokens',
    tags,
    summary: "Revoke all of a student's learner tokens",
    scopes: ['students:write'],
    params: StudentParamsSchema,
    responses: { 204: null },
    async run({ principal, services }, { params }) {
      await services.learnerTokens.revokeAll(principal.schoolId, params.id);
      return { status: 204, body: null };
    },
  }),
];

/** The student's own API: learner tokens only (a school key or session gets 403 here). */
const meOperations = [
  defineOperation({
    operationId: 'getMe',
    method: 'GET',
    path: '/me',
    tags,
    summary: "The student's profile",
    auth: 'learner',
    scopes: [],
    responses: { 200: MeSchema },
    async run({ principal, services }) {
      const { schoolId, studentId } = learner(principal);
      return { body: await services.me.profile(schoolId, studentId) };
    },
  }),
  defineOperation({
    operationId: 'updateMe',
    method: 'PATCH',
    path: '/me',
    tags,
    summary: "Change the student's name, avatar or bio",
    auth: 'learner',
    scopes: [],
    body: UpdateMeSchema,
    responses: { 200: MeSchema },
    async run({ principal, services }, { body }) {
      const { schoolId, studentId } = learner(principal);
      return { body: await services.me.update(schoolId, studentId, body, principal) };
    },
  }),
  defineOperation({
    operationId: 'listMyEnrollments',
    method: 'GET',
    path: '/me/enrollments',
    tags,
    summary: "The student's enrollments with progress",
    auth: 'learner',
    scopes: [],
    query: MyListQuerySchema,
    responses: { 200: MyEnrollmentListSchema },
    async run({ principal, services }, { query }) {
      const { schoolId, studentId } = learner(principal);
      return { body: await services.me.enrollments(schoolId, studentId, query) };
    },
  }),
  defineOperation({
    operationId: 'enrollMe',
    method: 'POST',
    path: '/me/enrollments',
    tags,
    summary: 'Self-enrol in a published course whose default plan is free',
    description: 'A paid course answers 403 with `details[].code: payment_required`; a draft or unknown course 404.',
    auth: 'learner',
    scopes: [],
    body: SelfEnrollSchema,
    responses: { 201: MyEnrollmentSchema },
    errors: ['already_enrolled', 'not_found'],
    async run({ principal, services }, { body }) {
      const { schoolId, studentId } = learner(principal);
      const enrollment = await services.me.enrol(schoolId, studentId, body.courseId);
      return { status: 201, body: enrollment };
    },
  }),
  defineOperation({
    operationId: 'getMyCourse',
    method: 'GET',
    path: '/me/courses/:courseId',
    tags,
    summary: 'The outline of a course, with lock and completion per lesson',
    description:
      'Enrolled: every published section and lesson with `locked`, `unlocksAt`, `completed`. Not enrolled: a published course shows only its preview lessons.',
    auth: 'learner',
    scopes: [],
    params: CourseParamsSchema,
    responses: { 200: MyCourseSchema },
    async run({ principal, services }, { params }) {
      const { schoolId, studentId } = learner(principal);
      return { body: await services.me.course(schoolId, studentId, params.courseId) };
    },
  }),
  defineOperation({
    operationId: 'getMyLesson',
    method: 'GET',
    path: '/me/courses/:courseId/lessons/:lessonId',
    tags,
    summary: 'A lesson with its content (quizzes without their answers)',
    description:
      'Media lessons carry a short-lived signed download URL. A locked lesson answers 409 lesson_locked with unlocksAt when known.',
    auth: 'learner',
    scopes: [],
    params: CourseLessonParamsSchema,
    responses: { 200: MyLessonSchema },
    errors: ['lesson_locked'],
    async run({ principal, services }, { params }) {
      const { schoolId, studentId } = learner(principal);
      return { body: await services.me.lesson(schoolId, studentId, params.courseId, params.lessonId) };
    },
  }),
  defineOperation({
    operationId: 'recordMyProgress',
    method: 'POST',
    path: '/me/courses/:courseId/lessons/:lessonId/progress',
    tags,
    summary: 'Record progress on a lesson (the rules of PATCH /enrollments/{id})',
    description:
      'Watch time, completion, or quiz answers (one array of option indexes per question); a quiz answer returns the score, passed, and per question whether it was right.',
    auth: 'learner',
    scopes: [],
    params: CourseLessonParamsSchema,
    body: MyProgressInputSchema,
    responses: { 200: MyProgressResultSchema },
    errors: ['lesson_locked'],
    async run({ principal, services }, { params, body }) {
      const { schoolId, studentId } = learner(principal);
      return {
        body: await services.me.recordProgress(schoolId, studentId, params.courseId, params.lessonId, body),
      };
    },
  }),
  defineOperation({
    operationId: 'listMyCertificates',
    method: 'GET',
    path: '/me/certificates',
    tags,
    summary: "The student's certificates",
    auth: 'learner',
    scopes: [],
    query: MyListQuerySchema,
    responses: { 200: CertificateListSchema },
    async run({ principal, services }, { query }) {
      const { schoolId, studentId } = learner(principal);
      return { body: await services.me.certificates(schoolId, studentId, query) };
    },
  }),
];

export const learnerOperations = [...tokenOperations, ...meOperations];
