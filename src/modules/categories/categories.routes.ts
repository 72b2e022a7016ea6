import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CategoryListSchema,
  CategoryParamsSchema,
  CategorySchema,
  CreateCategorySchema,
  GetCategoryQuerySchema,
  ListCategoriesQuerySchema,
  UpdateCategorySchema,
} from './categories.schemas.js';
import type { CategoryService } from './categories.service.js';

const tags = ['Categories'];

export default async function categoryRoutes(app: FastifyInstance, { categories }: { categories: CategoryService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read = { scopes: ['courses:read' as const] };
  const write = { scopes: ['courses:write' as const] };

  r.post(
    '/categories',
    {
      schema: {
        operationId: 'createCategory',
        tags,
        summary: 'Create a category',
        body: CreateCategorySchema,
        response: { 201: CategorySchema },
      },
      config: write,
    },
    async (req, reply) => {
      const { data, etag } = await categories.create(req.principal!.schoolId, req.body);
      return reply.code(201).header('etag', etag).header('location', `/api/v1/categories/${data.id}`).send(data);
    },
  );

  r.get(
    '/categories',
    {
      schema: {
        operationId: 'listCategories',
        tags,
        summary: 'List categories (ordered by order)',
        querystring: ListCategoriesQuerySchema,
        response: { 200: CategoryListSchema },
      },
      config: read,
    },
    async (req) => categories.list(req.principal!.schoolId, req.query),
  );

  r.get(
    '/categories/:id',
    {
      schema: {
        operationId: 'getCategory',
        tags,
        summary: 'Get a category',
        params: CategoryParamsSchema,
        querystring: GetCategoryQuerySchema,
        response: { 200: CategorySchema },
      },
      config: read,
    },
    async (req, reply) => {
      const { data, etag } = await categories.get(req.principal!.schoolId, req.params.id, req.query);
      return reply.header('etag', etag).send(data);
    },
  );

  r.patch(
    '/categories/:id',
    {
      schema: {
        operationId: 'updateCategory',
        tags,
        summary: 'Update a category',
        params: CategoryParamsSchema,
        body: UpdateCategorySchema,
        response: { 200: CategorySchema },
      },
      config: write,
    },
    async (req, reply) => {
      const { data, etag } = await categories.update(
        req.principal!.schoolId,
        req.params.id,
        req.body,
        req.headers['if-match'],
      );
      return reply.header('etag', etag).send(data);
    },
  );

  r.delete(
    '/categories/:id',
    {
      schema: {
        operationId: 'deleteCategory',
        tags,
        summary: 'Delete a category',
        params: CategoryParamsSchema,
        response: { 204: z.null() },
      },
      config: write,
    },
    async (req, reply) => {
      await categories.delete(req.principal!.schoolId, req.params.id, req.headers['if-match']);
      return reply.code(204).send(null);
    },
  );
}
