import { z } from 'zod';
import { emailVisibility } from '../../lib/email-visibility.js';
import type { ErrorCode } from '../../lib/errors.js';
import { assertScope } from '../../lib/scopes.js';
import { limitedArray } from '../../lib/validation.js';
import { defineOperation, rawJson } from '../../operations/operation.js';
import { hideInstructorEmails } from './course-json.js';
import {
  type Course,
  CourseListSchema,
  CourseParamsSchema,
  CourseSchema,
  CreateCourseSchema,
  DeleteCourseQuerySchema,
  GetCourseQuerySchema,
  ListCoursesQuerySchema,
  MAX_NESTED_LESSONS,
  MAX_NESTED_SECTIONS,
  UpdateCourseSchema,
} from './courses.schemas.js';
import {
  BulkCreateResultSchema,
  CourseDocumentSchema,
  ExportedCourseSchema,
  MAX_BULK_COURSES,
  SyncParamsSchema,
  SyncQuerySchema,
  SyncResultSchema,
} from './sync.schemas.js';

/** Items are validated one by one by the service, so one bad item fails alone (its paths start inside it). */
const BulkCreateCoursesSchema = z
  .strictObject({
    courses: limitedArray(
      z
        .array(
          // Any value: an item that is not a course object fails alone (validation_error in its result).
          z.unknown().meta({
            description: 'A course exactly as the body of POST /courses (createCourse), sections and lessons included.',
          }),
        )
        .min(1),
      MAX_BULK_COURSES,
      'courses',
    ),
  })
  .meta({
    description: `At most ${MAX_BULK_COURSES} courses, and ${MAX_NESTED_SECTIONS} sections and ${MAX_NESTED_LESSONS} lessons over all of them (code too_many_items, path courses), counted before any work. Each is created in its own transaction; the answer reports each item.`,
    example: { courses: [{ title: 'Course one' }, { title: 'Course two', isFree: true }] },
  });

const tags = ['Courses'];
/** What writing a whole course (create, sync) can answer besides the common errors. */
const courseWriteErrors: ErrorCode[] = [
  'duplicate_slug',
  'duplicate_title',
  'duplicate_external_id',
  'publish_blocked',
  'not_supported',
  'invalid_video_url',
];
const read = ['courses:read' as const];
const write = ['courses:write' as const];

/** Courses (API.md §3): the service builds each document in PostgreSQL; it is sent as that text. */
export const courseOperations = [
  defineOperation({
    operationId: 'createCourse',
    method: 'POST',
    path: '/courses',
    tags,
    summary: 'Create a course (optionally with sections and lessons, atomically)',
    scopes: write,
    body: CreateCourseSchema,
    responses: { 201: CourseSchema },
    errors: courseWriteErrors,
    async run({ principal, services }, { body }) {
      const doc = await services.courses.create(principal.schoolId, body);
      return { status: 201, body: doc.json, etag: doc.etag, location: `/courses/${doc.id}` };
    },
  }),
  defineOperation({
    operationId: 'listCourses',
    method: 'GET',
    path: '/courses',
    tags,
    summary: 'List courses',
    scopes: read,
    query: ListCoursesQuerySchema,
    responses: { 200: CourseListSchema },
    async run({ principal, services }, { query }) {
      return { body: await services.courses.list(principal.schoolId, query) };
    },
  }),
  defineOperation({
    operationId: 'getCourse',
    method: 'GET',
    path: '/courses/:id',
    tags,
    summary: 'Get a course with its ordered curriculum',
    description:
      "include=instructors embeds the lessons' instructors; their emails are null unless the caller holds students:read.",
    scopes: read,
    params: CourseParamsSchema,
    query: GetCourseQuerySchema,
    responses: { 200: CourseSchema },
    async run({ principal, services }, { params, query }) {
      const doc = await services.courses.get(principal.schoolId, params.id, query);
      return { body: rawJson<Course>(hideInstructorEmails(doc.json.text, emailVisibility(principal))), etag: doc.etag };
    },
  }),
  defineOperation({
    operationId: 'updateCourse',
    method: 'PATCH',
    path: '/courses/:id',
    tags,
    summary: 'Update a course',
    scopes: write,
    params: CourseParamsSchema,
    body: UpdateCourseSchema,
    responses: { 200: CourseSchema },
    errors: ['duplicate_slug', 'duplicate_external_id', 'publish_blocked', 'conflict'],
    async run({ principal, services, ifMatch }, { params, body }) {
      const doc = await services.courses.update(principal.schoolId, params.id, body, ifMatch);
      return { body: doc.json, etag: doc.etag };
    },
  }),
  defineOperation({
    operationId: 'deleteCourse',
    method: 'DELETE',
    path: '/courses/:id',
    tags,
    summary: 'Delete a course and all its content',
    description:
      'With learners enrolled this is 409 has_enrollments unless force=true, which also deletes their enrollments and progress and so needs the enrollments:write scope too.',
    scopes: write,
    params: CourseParamsSchema,
    query: DeleteCourseQuerySchema,
    responses: { 204: null },
    errors: ['has_enrollments'],
    async run({ principal, services, ifMatch }, { params, query }) {
      const force = query.force === 'true';
      // Forcing deletes learners' enrollments and progress: that is enrollment data, not catalogue.
      if (force) assertScope(principal.permissions, 'enrollments:write', 'force=true deletes enrollments');
      await services.courses.delete(principal.schoolId, params.id, ifMatch, force);
      return { status: 204, body: null };
    },
  }),
  defineOperation({
    operationId: 'publishCourse',
    method: 'POST',
    path: '/courses/:id/publish',
    tags,
    summary: 'Publish (409 publish_blocked lists what is missing)',
    scopes: write,
    params: CourseParamsSchema,
    responses: { 200: CourseSchema },
    errors: ['publish_blocked'],
    // Publishing a published course leaves it published.
    idempotent: true,
    async run({ principal, services }, { params }) {
      const doc = await services.courses.publish(principal.schoolId, params.id, true);
      return { body: doc.json, etag: doc.etag };
    },
  }),
  defineOperation({
    operationId: 'unpublishCourse',
    method: 'DELETE',
    path: '/courses/:id/publish',
    tags,
    summary: 'Unpublish (back to draft)',
    scopes: write,
    params: CourseParamsSchema,
    responses: { 200: CourseSchema },
    // Back to draft: nothing is removed.
    destructive: false,
    async run({ principal, services }, { params }) {
      const doc = await services.courses.publish(principal.schoolId, params.id, false);
      return { body: doc.json, etag: doc.etag };
    },
  }),
  defineOperation({
    operationId: 'duplicateCourse',
    method: 'POST',
    path: '/courses/:id/duplicate',
    tags,
    summary: 'Deep-copy a course as a new draft',
    scopes: write,
    params: CourseParamsSchema,
    responses: { 201: CourseSchema },
    async run({ principal, services }, { params }) {
      const doc = await services.courses.duplicate(principal.schoolId, params.id);
      return { status: 201, body: doc.json, etag: doc.etag, location: `/courses/${doc.id}` };
    },
  }),
  defineOperation({
    operationId: 'syncCourseByExternalId',
    method: 'PUT',
    path: '/courses/by-external-id/:externalId',
    tags,
    summary: 'Declarative sync: make the course with this externalId equal to the document',
    description:
      'Creates (201) or updates (200) the course with this externalId so it equals the document, in one transaction: course fields, sections and lessons (matched by externalId; without one, by title within their parent), payment plans (matched by type and interval; plans left out are archived). Children left out are deleted; ids of matched children never change. The same document twice changes nothing (no new version, no event). dryRun=true answers the same changes and writes nothing. If-Match is checked against the stored course. Concurrent syncs of one externalId run one after the other.',
    scopes: write,
    params: SyncParamsSchema,
    query: SyncQuerySchema,
    body: CourseDocumentSchema,
    responses: { 200: SyncResultSchema, 201: SyncResultSchema },
    errors: [...courseWriteErrors, 'conflict'],
    async run({ principal, services, ifMatch }, { params, query, body }) {
      const dryRun = query.dryRun === 'true';
      const result = await services.courseSync.sync(principal.schoolId, params.externalId, body, { dryRun, ifMatch });
      const created = result.status === 'created' && !dryRun;
      return {
        status: created ? 201 : 200,
        body: { course: result.course, changes: result.changes, dryRun: result.dryRun },
        ...(result.etag ? { etag: result.etag } : {}),
        ...(created && result.course ? { location: `/courses/${result.course.id}` } : {}),
      };
    },
  }),
  defineOperation({
    operationId: 'exportCourse',
    method: 'GET',
    path: '/courses/:id/export',
    tags,
    summary: 'Export a course as the document declarative sync takes',
    description:
      'The course, its sections and lessons (quiz content, media references, video URLs as sent), its active payment plans and image URLs as stored; syncing it back changes nothing.',
    scopes: read,
    params: CourseParamsSchema,
    responses: { 200: ExportedCourseSchema },
    async run({ principal, services }, { params }) {
      return { body: await services.courseSync.export(principal.schoolId, params.id) };
    },
  }),
  defineOperation({
    operationId: 'bulkCreateCourses',
    method: 'POST',
    path: '/courses/bulk',
    tags,
    summary: 'Create many courses, reporting each item',
    description: `At most ${MAX_BULK_COURSES} courses. Each item is created as POST /courses would, in its own transaction: one bad item fails alone (status failed with the error it would have answered). Always 200 with one result per item, in order. Safe to retry with an Idempotency-Key.`,
    scopes: write,
    body: BulkCreateCoursesSchema,
    responses: { 200: BulkCreateResultSchema },
    async run({ principal, services }, { body }) {
      return { body: await services.courseSync.bulkCreate(principal.schoolId, body.courses) };
    },
  }),
];
