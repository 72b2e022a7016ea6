/** The one list of API operations (REST routes, MCP tools and the OpenAPI document all come from it). */
import { categoryOperations } from '../modules/categories/categories.operations.js';
import type { AnyOperation } from './operation.js';

export const operations: readonly AnyOperation[] = [...categoryOperations];
