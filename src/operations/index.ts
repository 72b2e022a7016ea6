/** The one list of API operations (REST routes, MCP tools and the OpenAPI document all come from it). */
import { apiKeyOperations } from '../modules/api-keys/api-keys.operations.js';
import { categoryOperations } from '../modules/categories/categories.operations.js';
import { communityOperations } from '../modules/communities/communities.operations.js';
import { courseOperations } from '../modules/courses/courses.operations.js';
import { curriculumOperations } from '../modules/courses/curriculum.operations.js';
import { credentialOperations } from '../modules/credentials/credentials.operations.js';
import { enrollmentOperations } from '../modules/enrollments/enrollments.operations.js';
import { eventOperations } from '../modules/events/events.operations.js';
import { learnerOperations } from '../modules/learners/me.operations.js';
import { mediaOperations } from '../modules/media/media.operations.js';
import { schoolOperations } from '../modules/schools/schools.operations.js';
import { studentOperations, userAccountOperations } from '../modules/users/users.operations.js';
import { videoOperations } from '../modules/videos/videos.operations.js';
import { webhookOperations } from '../modules/webhooks/webhooks.operations.js';
import type { AnyOperation } from './operation.js';

export const operations: readonly AnyOperation[] = [
  ...apiKeyOperations,
  ...categoryOperations,
  ...communityOperations,
  ...courseOperations,
  ...credentialOperations,
  ...curriculumOperations,
  ...enrollmentOperations,
  ...eventOperations,
  ...learnerOperations,
  ...mediaOperations,
  ...schoolOperations,
  ...studentOperations,
  ...userAccountOperations,
  ...videoOperations,
  ...webhookOperations,
];
