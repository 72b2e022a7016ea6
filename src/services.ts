import path from 'node:path';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { instanceSecret } from './db/secrets.js';
import type { SafeFetchOptions } from './lib/safe-fetch.js';
import { createApiKeyService } from './modules/api-keys/api-keys.service.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createCategoryService } from './modules/categories/categories.service.js';
import { createCommunityService } from './modules/communities/communities.service.js';
import { createCourseService } from './modules/courses/courses.service.js';
import { createLessonService } from './modules/courses/lessons.service.js';
import { createPaymentPlanService } from './modules/courses/payment-plans.service.js';
import { createSectionService } from './modules/courses/sections.service.js';
import { createCourseSyncService } from './modules/courses/sync.service.js';
import { createCredentialService } from './modules/credentials/credentials.service.js';
import { createCertificateService } from './modules/enrollments/certificates.service.js';
import { createEnrollmentService } from './modules/enrollments/enrollments.service.js';
import { createLearningService } from './modules/enrollments/learning.service.js';
import { createProgressService } from './modules/enrollments/progress.service.js';
import { createEventService } from './modules/events/events.service.js';
import { createLearnerTokenService } from './modules/learners/learner-tokens.service.js';
import { createMeService } from './modules/learners/me.service.js';
import { createMediaService } from './modules/media/media.service.js';
import { createLocalDriver } from './modules/media/storage/local.js';
import { createS3Driver } from './modules/media/storage/s3.js';
import { createSchoolService } from './modules/schools/schools.service.js';
import { createUserService } from './modules/users/users.service.js';
import type { DeliveryPolicy } from './modules/webhooks/delivery.js';
import { createSecretBox } from './modules/webhooks/secret-box.js';
import { createWebhookService } from './modules/webhooks/webhooks.service.js';

/**
 * Every service, wired once with its dependencies; used by the HTTP app and the CLI alike.
 * `extras.imageFetch` lets tests pin where fetched image URLs may connect (see lib/safe-fetch; the
 * operator's OUTBOUND_ALLOW_HOSTS always applies); `extras.now` is the clock of the learning rules;
 * `extras.webhooks` pins the delivery connector, retry policy and clock the same way.
 */
export function createServices(
  database: Database,
  config: Config,
  extras: {
    imageFetch?: SafeFetchOptions;
    now?: () => Date;
    webhooks?: {
      connector?: SafeFetchOptions;
      policy?: Partial<DeliveryPolicy>;
      now?: () => Date;
      random?: () => number;
    };
  } = {},
) {
  const { db } = database;
  // Other services record their events through this one, inside their own transactions.
  const events = createEventService({ db });
  const apiKeys = createApiKeyService({
    db,
    notifier: database.notifier,
    rateLimitCeiling: config.ceilings.rateLimitPerMinute,
  });
  const users = createUserService({ db, events });
  const schools = createSchoolService({
    db,
    apiKeys,
    users,
    defaults: {
      rateLimitPerMinute: config.rateLimitPerMinute,
      mediaQuotaBytes: config.mediaQuotaBytes,
      maxUploadBytes: config.maxUploadBytes,
    },
    ceilings: config.ceilings,
  });
  const categories = createCategoryService({ db });
  const storage = config.s3
    ? createS3Driver(config.s3)
    : createLocalDriver({
        root: path.join(config.dataDir, 'media'),
        publicUrl: config.publicUrl,
        secret: memo(() => instanceSecret(db, 'media-links')),
      });
  const now = extras.now ?? (() => new Date());
  const media = createMediaService({
    db,
    driver: storage,
    schools,
    events,
    imageFetch: { allowHosts: config.outboundAllowHosts, ...extras.imageFetch },
  });
  const courses = createCourseService({ db, schools, categories, users, media, events });
  // One box for every secret kept encrypted in the database: webhook secrets, issuer keys.
  const secrets = createSecretBox(config.encryptionKey, () => instanceSecret(db, 'encryption-key'));
  const credentials = createCredentialService({ db, publicUrl: config.publicUrl, secrets, schools });
  const certificates = createCertificateService({
    db,
    publicUrl: config.publicUrl,
    credentials,
    users,
    courses,
    events,
    now,
  });
  const progress = createProgressService({ db, now, schools, users, courses, certificates, events });
  const webhooks = createWebhookService({
    db,
    events,
    secrets,
    connector: { allowHosts: config.outboundAllowHosts, ...extras.webhooks?.connector },
    policy: extras.webhooks?.policy,
    now: extras.webhooks?.now,
    random: extras.webhooks?.random,
  });
  const lessons = createLessonService({ db, courses, events });
  const enrollments = createEnrollmentService({ db, progress, events });
  return {
    apiKeys,
    users,
    schools,
    auth: createAuthService({
      db,
      sessionTtlHours: config.sessionTtlHours,
      sessionIdleMinutes: config.sessionIdleMinutes,
      rateLimitCeiling: config.ceilings.rateLimitPerMinute,
      apiKeys,
      users,
      schools,
    }),
    categories,
    courses,
    sections: createSectionService({ db, courses, events }),
    lessons,
    plans: createPaymentPlanService({ db, courses, schools, events }),
    courseSync: createCourseSyncService({ db, schools, categories, media, courses, events }),
    media,
    enrollments,
    certificates,
    credentials,
    learning: createLearningService({ db, now, users, schools }),
    communities: createCommunityService({ db, events }),
    learnerTokens: createLearnerTokenService({
      db,
      users,
      now,
      rateLimitCeiling: config.ceilings.rateLimitPerMinute,
    }),
    me: createMeService({ users, courses, lessons, enrollments, certificates, media }),
    events,
    webhooks,
    /** The local storage driver when media live on disk (its upload and download routes). */
    localStorage: storage.kind === 'local' ? storage : undefined,
  };
}
export type Services = ReturnType<typeof createServices>;

/** A lazily computed value, computed once (a failed attempt is retried next time). */
function memo<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () =>
    (value ??= make().catch((err: unknown) => {
      value = undefined;
      throw err;
    }));
}
