import { defineOperation } from '../../operations/operation.js';
import {
  CategoryListSchema,
  CategoryParamsSchema,
  CategorySchema,
  CreateCategorySchema,
  GetCategoryQuerySchema,
  ListCategoriesQuerySchema,
  UpdateCategorySchema,
} from './categories.schemas.js';

const tags = ['Categories'];
const read = ['courses:read' as const];
const write = ['courses:write' as const];

export const categoryOperations = [
  defineOperation({
    operationId: 'createCategory',
    method: 'POST',
    path: '/categories',
    tags,
    summary: 'Create a category',
    scopes: write,
    body: CreateCategorySchema,
    responses: { 201: CategorySchema },
    errors: ['duplicate_slug'],
    async run({ principal, services }, { body }) {
      const { data, etag } = await services.categories.create(principal.schoolId, body);
      return { status: 201, body: data, etag, location: `/categories/${data.id}` };
    },
  }),
  defineOperation({
    operationId: 'listCategories',
    method: 'GET',
    path: '/categories',
    tags,
    summary: 'List categories (ordered by order)',
    scopes: read,
    query: ListCategoriesQuerySchema,
    responses: { 200: CategoryListSchema },
    async run({ principal, services }, { query }) {
      return { body: await services.categories.list(principal.schoolId, query) };
    },
  }),
  defineOperation({
    operationId: 'getCategory',
    method: 'GET',
    path: '/categories/:id',
    tags,
    summary: 'Get a category',
    scopes: read,
    params: CategoryParamsSchema,
    query: GetCategoryQuerySchema,
    responses: { 200: CategorySchema },
    async run({ principal, services }, { params, query }) {
      const { data, etag } = await services.categories.get(principal.schoolId, params.id, query);
      return { body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'updateCategory',
    method: 'PATCH',
    path: '/categories/:id',
    tags,
    summary: 'Update a category',
    scopes: write,
    params: CategoryParamsSchema,
    body: UpdateCategorySchema,
    responses: { 200: CategorySchema },
    errors: ['duplicate_slug'],
    async run({ principal, services, ifMatch }, { params, body }) {
      const { data, etag } = await services.categories.update(principal.schoolId, params.id, body, ifMatch);
      return { body: data, etag };
    },
  }),
  defineOperation({
    operationId: 'deleteCategory',
    method: 'DELETE',
    path: '/categories/:id',
    tags,
    summary: 'Delete a category (409 while courses use it)',
    scopes: write,
    params: CategoryParamsSchema,
    responses: { 204: null },
    errors: ['conflict'],
    async run({ principal, services, ifMatch }, { params }) {
      await services.categories.delete(principal.schoolId, params.id, ifMatch);
      return { status: 204, body: null };
    },
  }),
];
