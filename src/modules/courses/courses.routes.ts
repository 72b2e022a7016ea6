import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertScope } from '../../lib/scopes.js';
import {
  CourseListSchema,
  CourseParamsSchema,
  CourseSchema,
  CreateCourseSchema,
  DeleteCourseQuerySchema,
  GetCourseQuerySchema,
  ListCoursesQuerySchema,
  UpdateCourseSchema,
} from './courses.schemas.js';
import type { CourseService } from './courses.service.js';
import { sendJsonText } from './json-reply.js';

const tags = ['Courses'];
const read = { scopes: ['courses:read' as const] };
const write = { scopes: ['courses:write' as const] };

export default async function courseRoutes(app: FastifyInstance, { courses }: { courses: CourseService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/courses',
    {
      schema: {
        operationId: 'createCourse',
        tags,
        summary: 'Create a course (optionally with sections and lessons, atomically)',
        body: CreateCourseSchema,
        response: { 201: CourseSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const doc = await courses.create(req.principal!.schoolId, req.body);
      reply.header('location', `/api/v1/courses/${doc.id}`);
      return sendJsonText(reply, doc.json, 201, doc.etag);
    },
  );

  r.get(
    '/courses',
    {
      schema: {
        operationId: 'listCourses',
        tags,
        summary: 'List courses',
        querystring: ListCoursesQuerySchema,
        response: { 200: CourseListSchema },
      },
      config: read,
    },
    async (req, reply) => sendJsonText(reply, await courses.list(req.principal!.schoolId, req.query)),
  );

  r.get(
    '/courses/:id',
    {
      schema: {
        operationId: 'getCourse',
        tags,
        summary: 'Get a course with its ordered curriculum',
        params: CourseParamsSchema,
        querystring: GetCourseQuerySchema,
        response: { 200: CourseSchema },
      },
      config: read,
    },
    async (req, reply) => {
      const doc = await courses.get(req.principal!.schoolId, req.params.id, req.query);
      return sendJsonText(reply, doc.json, 200, doc.etag);
    },
  );

  r.patch(
    '/courses/:id',
    {
      schema: {
        operationId: 'updateCourse',
        tags,
        summary: 'Update a course',
        params: CourseParamsSchema,
        body: UpdateCourseSchema,
        response: { 200: CourseSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const doc = await courses.update(req.principal!.schoolId, req.params.id, req.body, req.headers['if-match']);
      return sendJsonText(reply, doc.json, 200, doc.etag);
    },
  );

  r.delete(
    '/courses/:id',
    {
      schema: {
        operationId: 'deleteCourse',
        tags,
        summary: 'Delete a course and all its content',
        description:
          'With learners enrolled this is 409 has_enrollments unless force=true, which also deletes their enrollments and progress and so needs the enrollments:write scope too.',
        params: CourseParamsSchema,
        querystring: DeleteCourseQuerySchema,
        response: { 204: z.null() },
      },
      config: write,
    },
    async (req, reply) => {
      const force = req.query.force === 'true';
      // Forcing deletes learners' enrollments and progress: that is enrollment data, not catalogue.
      if (force) assertScope(req.principal!.permissions, 'enrollments:write', 'force=true deletes enrollments');
      await courses.delete(req.principal!.schoolId, req.params.id, req.headers['if-match'], force);
      return reply.code(204).send(null);
    },
  );

  for (const [method, published] of [
    ['post', true],
    ['delete', false],
  ] as const) {
    r[method](
      '/courses/:id/publish',
      {
        schema: {
          operationId: published ? 'publishCourse' : 'unpublishCourse',
          tags,
          summary: published ? 'Publish (409 publish_blocked lists what is missing)' : 'Unpublish (back to draft)',
          params: CourseParamsSchema,
          response: { 200: CourseSchema },
        },
        config: write,
      },
      async (req, reply) => {
        const doc = await courses.publish(req.principal!.schoolId, req.params.id, published);
        return sendJsonText(reply, doc.json, 200, doc.etag);
      },
    );
  }

  r.post(
    '/courses/:id/duplicate',
    {
      schema: {
        operationId: 'duplicateCourse',
        tags,
        summary: 'Deep-copy a course as a new draft',
        params: CourseParamsSchema,
        response: { 201: CourseSchema },
      },
      config: write,
    },
    async (req, reply) => {
      const doc = await courses.duplicate(req.principal!.schoolId, req.params.id);
      reply.header('location', `/api/v1/courses/${doc.id}`);
      return sendJsonText(reply, doc.json, 201, doc.etag);
    },
  );
}
