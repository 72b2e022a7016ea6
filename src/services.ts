import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { createApiKeyService } from './modules/api-keys/api-keys.service.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createCategoryService } from './modules/categories/categories.service.js';
import { createCourseService } from './modules/courses/courses.service.js';
import { createLessonService } from './modules/courses/lessons.service.js';
import { createPaymentPlanService } from './modules/courses/payment-plans.service.js';
import { createSectionService } from './modules/courses/sections.service.js';
import { createSchoolService } from './modules/schools/schools.service.js';
import { createUserService } from './modules/users/users.service.js';

/** Every service, wired once with its dependencies; used by the HTTP app and the CLI alike. */
export function createServices(database: Database, config: Config) {
  const { db } = database;
  const apiKeys = createApiKeyService({ db, notifier: database.notifier });
  const users = createUserService({ db });
  const schools = createSchoolService({ db, apiKeys, users, defaultRateLimit: config.rateLimitPerMinute });
  const categories = createCategoryService({ db });
  const courses = createCourseService({ db, schools, categories, users });
  return {
    apiKeys,
    users,
    schools,
    auth: createAuthService({ db, sessionTtlHours: config.sessionTtlHours, apiKeys, users, schools }),
    categories,
    courses,
    sections: createSectionService({ db, courses }),
    lessons: createLessonService({ db, courses }),
    plans: createPaymentPlanService({ db, courses, schools }),
  };
}
export type Services = ReturnType<typeof createServices>;
