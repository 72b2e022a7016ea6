import type { Config } from './config.js';
import type { Db } from './db/client.js';
import { createApiKeyService } from './modules/api-keys/api-keys.service.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createCategoryService } from './modules/categories/categories.service.js';
import { createSchoolService } from './modules/schools/schools.service.js';
import { createUserService } from './modules/users/users.service.js';

/** Every service, wired once with its dependencies; used by the HTTP app and the CLI alike. */
export function createServices(db: Db, config: Config) {
  const apiKeys = createApiKeyService({ db });
  const users = createUserService({ db });
  const schools = createSchoolService({ db, apiKeys, users, defaultRateLimit: config.rateLimitPerMinute });
  return {
    apiKeys,
    users,
    schools,
    auth: createAuthService({ db, sessionTtlHours: config.sessionTtlHours, apiKeys, users, schools }),
    categories: createCategoryService({ db }),
  };
}
export type Services = ReturnType<typeof createServices>;
