import type { Config } from './config.js';
import type { Db } from './db/client.js';
import { createApiKeyService } from './modules/api-keys/api-keys.service.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createCategoryService } from './modules/categories/categories.service.js';
import { createSchoolService } from './modules/schools/schools.service.js';

/** Every service, wired once with its dependencies; used by the HTTP app and the CLI alike. */
export function createServices(db: Db, config: Config) {
  const apiKeys = createApiKeyService({ db });
  return {
    apiKeys,
    auth: createAuthService({ db, sessionTtlHours: config.sessionTtlHours }),
    schools: createSchoolService({ db, apiKeys, defaultRateLimit: config.rateLimitPerMinute }),
    categories: createCategoryService({ db }),
  };
}
export type Services = ReturnType<typeof createServices>;
