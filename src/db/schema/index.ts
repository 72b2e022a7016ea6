export * from './schools.js';
export * from './users.js';
export * from './auth.js';
export * from './idempotency.js';
export * from './categories.js';
export * from './courses.js';
export * from './media.js';
export * from './secrets.js';
